"""`python -m training ranker`: the second stage's cross-encoder (make train-ranker)."""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

from training import cross_encoder, medquad

# The MedQuAD files the ranker is trained from (github.com/abachaa/MedQuAD at 577bd37): the sha256 of
# their paths and bytes, in path order.
MEDQUAD_SHA256 = "238353aeccfed41f6d4508619cb9af07943454a6cabb0d03c983137f27aa86b6"


def medquad_digest(repo: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for folder in medquad.SITES for p in (repo / folder).glob("*.xml")):
        digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training ranker", description=__doc__)
    parser.add_argument("command", choices=["ranker"])
    parser.add_argument("--medquad", type=Path, required=True, help="a checkout of github.com/abachaa/MedQuAD")
    parser.add_argument("--pages", type=Path, required=True, help="the benchmark corpus's pages")
    parser.add_argument("--held-out", type=Path, nargs="+", required=True,
                        help="evaluation sets whose questions are never trained on")
    parser.add_argument("--cache", type=Path, default=Path("var/models/embeddings.sqlite"))
    parser.add_argument("--out", type=Path, default=Path("var/ranker"))
    parser.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is at hand")
    parser.add_argument("--groups", type=int, default=cross_encoder.Recipe.groups)
    parser.add_argument("--heading-dropout", type=float, default=cross_encoder.Recipe.heading_dropout,
                        help="the share of groups read without their passages' headings")
    parser.add_argument("--base", choices=sorted(cross_encoder.BASES), default=cross_encoder.Recipe.base,
                        help="the reader whose first layers the ranker starts from")
    parser.add_argument("--layers", type=int, choices=range(1, max(b.layers for b in cross_encoder.BASES.values()) + 1),
                        default=cross_encoder.Recipe.layers,
                        help="how many of the reader's layers the ranker keeps ("
                        + ", ".join(f"{b.name} has {b.layers}" for b in cross_encoder.BASES.values()) + ")")
    args = parser.parse_args(argv)
    base = cross_encoder.BASES[args.base]
    if args.layers > base.layers:
        parser.error(f"{base.name} has {base.layers} layers")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    found = medquad_digest(args.medquad)
    if MEDQUAD_SHA256 and found != MEDQUAD_SHA256:
        print(f"{args.medquad}: not the MedQuAD files the ranker is trained from (sha256 {found})", file=sys.stderr)
        return 2
    held_out = medquad.held_out_questions(
        [p for path in args.held_out for p in (sorted(path.glob("*.*")) if path.is_dir() else [path])])
    recipe = cross_encoder.Recipe(base=args.base, layers=args.layers, groups=args.groups,
                                  heading_dropout=args.heading_dropout)
    groups = medquad.groups(args.medquad, args.pages, held_out, args.cache, recipe.seed)
    logging.info("%d groups (%d held-out questions left out)", len(groups), len(held_out))
    figures = cross_encoder.train(groups, recipe, args.out, args.device)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
