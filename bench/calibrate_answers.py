"""How likely the first section answers, from the second stage's score of its passage: a logistic fit
chosen on one half of the questions and confirmed on the other (search_app.engine.rereading).

    python -m bench.calibrate_answers --index-dir DIR --queries FILE.jsonl [...] --unanswered FILE.txt [...]
        [--lever NAME VALUE ...]

A judged question counts as answered when its first section is judged (grade >= 2) an answer; a question
of an unanswered file (one a line: on topic, but the pages do not answer it) never. It prints, for each
half, the fit (slope, intercept), and on the other half: the share of right first sections judged
weak at each threshold and the share of unanswered questions judged weak, so that a threshold is
chosen on A and confirmed on B.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.evaluate import load_queries, ranked_sections, reciprocal_rank
from bench.levers import halves
from search_app.engine.ranking import RankingConfig, tuned
from search_app.engine.results import SearchOptions, SearchResult
from search_app.engine.retrieval import Retriever
from search_index.format import set_search_threads

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)


def first_score(result: SearchResult) -> float | None:
    """The second stage's score of the result's first passage (None where it did not read the question),
    read back from its probability under the identity calibration."""
    return None if result.answers is None else math.log(result.answers / (1 - result.answers))


def fit(scores: list[float], answered: list[int]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(np.asarray(scores).reshape(-1, 1), np.asarray(answered))
    return float(model.coef_[0][0]), float(model.intercept_[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate_answers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path, nargs="+")
    parser.add_argument("--unanswered", type=Path, nargs="*", default=[])
    parser.add_argument("--lever", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="another setting than the app's (a name of search_app.engine.ranking.levers)")
    args = parser.parse_args(argv)
    set_search_threads(1)
    config = replace(RankingConfig(), reread_calibration=(1.0, 0.0))
    for name, value in args.lever:
        config = tuned(config, name, float(value))
    retriever = Retriever(args.index_dir, config)
    rows: list[tuple[float, int]] = []
    for path in args.queries:
        judged = load_queries(path)
        for item in judged:
            result = retriever.search(item.query, SearchOptions(limit=10))
            if (score := first_score(result)) is not None:
                rows.append((score, int(reciprocal_rank(ranked_sections(result), item.grades) == 1.0)))
    for path in args.unanswered:
        questions = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        scores = (first_score(retriever.search(question, SearchOptions(limit=1))) for question in questions)
        rows += [(score, -1) for score in scores if score is not None]
    parts = halves(rows)
    for chosen, other in (("A", "B"), ("B", "A"), ("all", "all")):
        fitted = [(s, max(a, 0)) for s, a in parts[chosen]]
        slope, intercept = fit([s for s, _ in fitted], [a for _, a in fitted])
        print(f"fit on {chosen}: slope {slope:.4f}, intercept {intercept:.4f}; measured on {other}:")
        for threshold in THRESHOLDS:
            weak = [(1 / (1 + math.exp(-(slope * s + intercept))) < threshold, a) for s, a in parts[other]]
            right = [w for w, a in weak if a == 1]
            unanswered = [w for w, a in weak if a == -1]
            print(f"  below {threshold}: right first sections judged weak {np.mean(right):.3f} ({len(right)}), "
                  f"unanswered judged weak {np.mean(unanswered) if unanswered else float('nan'):.3f} "
                  f"({len(unanswered)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
