"""A ranking lever measured on halves: choose a value on one half of the questions, confirm on the other.

    python -m bench.levers --index-dir DIR --queries FILE.jsonl [FILE.jsonl ...] --lever NAME VALUE [VALUE ...]
        [--with NAME VALUE ...] [--mode MODE]

For each value of the lever (a name of search_app.engine.ranking.levers: a field of RankingConfig, or a
language's as "es.weak_below"; every other at the app's setting) it prints nDCG@10, MRR@10, Success@1
and the share matched `good` on the even-numbered questions (half A), the odd-numbered ones (half B)
and all, for each file (a .txt file: questions the corpus does not answer, where only `good` means
anything, and lower is better).
A value earns its place only if it wins on the half it was not picked on. `--mode` measures another
strategy (`--mode dense`: the comparison the default ranking must beat) on the same halves.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.evaluate import evaluate, load_queries
from search_app.engine.ranking import RankingConfig, levers, tuned
from search_app.engine.retrieval import Retriever
from search_app.engine.strategies import MODES
from search_index.format import set_search_threads

METRICS = ("ndcg10", "mrr10", "success1", "good")


def halves(items: list) -> dict[str, list]:
    return {"A": items[0::2], "B": items[1::2], "all": items}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.levers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path, nargs="+")
    parser.add_argument("--lever", required=True, nargs="+", metavar=("NAME", "VALUE"))
    parser.add_argument("--with", dest="fixed", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="another lever set for every run (another setting than the app's)")
    parser.add_argument("--mode", choices=MODES, default="default", help="the strategy measured (default: the app's)")
    args = parser.parse_args(argv)
    name, values = args.lever[0], args.lever[1:]
    known = levers(RankingConfig())
    if name not in known or not values:
        parser.error(f"--lever takes one of {', '.join(known)} and at least one value")
    set_search_threads(1)
    base = RankingConfig()
    for fixed, value in args.fixed:
        if fixed not in known:
            parser.error(f"--with takes one of {', '.join(known)}")
        base = tuned(base, fixed, float(value))
    sets = {path.stem: load_queries(path) for path in args.queries}
    print("| lever | set | " + " | ".join(f"{m} {h}" for m in METRICS for h in ("A", "B", "all")) + " |")
    print("|" + "---|" * (2 + 3 * len(METRICS)))
    for value in values:
        retriever = Retriever(args.index_dir, tuned(base, name, float(value)))
        for set_name, queries in sets.items():
            scores = {h: evaluate(retriever, part, args.mode) for h, part in halves(queries).items()}
            cells = [str(scores[h][m]) for m in METRICS for h in ("A", "B", "all")]
            print(f"| {name}={value} | {set_name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
