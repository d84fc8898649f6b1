"""The sections to grade next: for each judged question, the sections that the chosen modes put among
their first `depth` and that have no grade yet, each once, with the passage a reader sees first.

    python -m bench.pool --index-dir DIR --queries FILE.jsonl [FILE.jsonl ...] [--modes default dense e5]
        [--depth 1]

Prints one JSON object a line: the set, the question, the section's public address and heading, and the
passage. Read each; a section that answers goes into the question's "relevant" list with its grade (1 in
part, 2 or 3 in full), one that does not into its "not_relevant" list (url and section), so that neither
is listed again.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.evaluate import Judged, load_queries, public_url
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_app.engine.strategies import MODES
from search_index.format import set_search_threads


def ungraded(retriever: Retriever, judged: Judged, modes: list[str], depth: int) -> Iterator[dict]:
    """The question's sections neither graded nor read among each mode's first `depth`, in the order found."""
    seen = set(judged.grades) | judged.not_relevant
    for mode in modes:
        result = retriever.search(judged.query, SearchOptions(limit=depth, mode=mode))
        shown = [(public_url(page), hit.heading, hit.passage.text) for page in result.pages for hit in page.sections]
        for url, heading, text in shown[:depth]:
            if (url, heading) not in seen:
                seen.add((url, heading))
                yield {"query": judged.query, "url": url, "section": heading, "mode": mode, "text": text}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pool", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path, nargs="+")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=["default", "dense", "e5"])
    parser.add_argument("--depth", type=int, default=1, help="how many of each mode's first sections")
    args = parser.parse_args(argv)
    if args.depth < 1:
        parser.error("--depth is at least 1")
    set_search_threads(1)
    retriever = Retriever(args.index_dir)
    for path in args.queries:
        for judged in load_queries(path):
            for row in ungraded(retriever, judged, args.modes, args.depth):
                print(json.dumps({"set": path.stem, **row}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
