"""Search quality on judged questions: nDCG@10, Recall@10, MRR@10, Success@1, page Recall@5.

    python -m bench.evaluate --index-dir DIR --queries FILE.jsonl [--mode MODE] [--json]
    python -m bench.evaluate --index-dir DIR --eval-dir DIR [DIR ...]   (every file, every mode, one table)

Every field of the ranking configuration is a flag (--title-weight 0.2, --sections-per-page 3, ...),
so a lever is measured with the same code the app runs.

Each line of a queries file: {"query": "...", "relevant": [{"url", "section", "grade"}, ...]}, and
optionally "not_relevant": [{"url", "section"}, ...], the sections read and found not to answer
(python -m bench.pool lists neither again; no figure counts them).
Questions go through the same code path as the API (Retriever.search).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from search_app.engine.ranking import PageHit, RankingConfig, levers, tuned
from search_app.engine.results import SearchOptions, SearchResult
from search_app.engine.retrieval import Retriever
from search_app.engine.strategies import MODES
from search_index.format import PassageRecord, set_search_threads

K = 10
PAGE_K = 5
RESULT_PAGES = 10
ANSWER_GRADE = 2
TYPO_FILE = "medquad-typos.jsonl"
CLEAN_FILE = "medquad-questions.jsonl"


@dataclass(frozen=True)
class Judged:
    """A question with its graded sections; `misspelled` when it was written with spelling mistakes
    (every question of the typo set, and those marked so), so that correcting it is no false correction;
    `not_relevant`, the sections read and found not to answer."""

    query: str
    grades: dict[tuple[str, str], int]
    misspelled: bool = False
    not_relevant: frozenset[tuple[str, str]] = frozenset()


def load_queries(path: Path, head: int | None = None) -> list[Judged]:
    """Judged questions of a JSONL file; of a text file (questions the corpus does not answer, one a
    line), the questions with no judged section."""
    judged = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            if Path(path).suffix == ".txt":
                judged.append(Judged(line.strip(), {}))
                continue
            item = json.loads(line)
            grades = {(r["url"], r["section"]): int(r.get("grade", 1)) for r in item["relevant"]}
            misspelled = Path(path).name == TYPO_FILE or bool(item.get("misspelled"))
            not_relevant = frozenset((r["url"], r["section"]) for r in item.get("not_relevant", []))
            judged.append(Judged(item["query"], grades, misspelled, not_relevant))
            if head and len(judged) == head:
                break
    return judged


def ranked_sections(result: SearchResult) -> list[tuple[str, str]]:
    """Distinct (url, section) pairs in the order the results show them; first occurrence wins."""
    seen = dict.fromkeys((public_url(page), hit.heading) for page in result.pages for hit in page.sections)
    return list(seen)


def public_url(page: PageHit) -> str:
    """The page's public address, by which judgments name it (its link may be a local copy)."""
    return page.original_url or page.url


def ranked_pages(result: SearchResult) -> list[str]:
    return list(dict.fromkeys(public_url(page) for page in result.pages))


def ndcg(ranking: list[tuple[str, str]], grades: dict[tuple[str, str], int], k: int = K) -> float:
    dcg = sum(grades.get(item, 0) / math.log2(i + 2) for i, item in enumerate(ranking[:k]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(grades.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def recall(ranking: list, relevant: set, k: int) -> float:
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranking: list[tuple[str, str]], grades: dict[tuple[str, str], int], k: int = K) -> float:
    for i, item in enumerate(ranking[:k]):
        if grades.get(item, 0) >= ANSWER_GRADE:
            return 1.0 / (i + 1)
    return 0.0


def marked_section(result: SearchResult) -> tuple[str, str] | None:
    """The (url, section) of the excerpt a reader sees first (the first recommended one, else the first
    result's first passage) when a sentence of it is marked as the answer, else None."""
    first = [(shown.record.original_url or shown.record.url, shown.section, shown.excerpt)
             for shown in result.shown_recommended]
    first += [(public_url(page.page), page.passages[0].section, page.passages[0].excerpt)
              for page in result.shown_pages[:1]]
    if not first:
        return None
    url, section, excerpt = first[0]
    return (url, section) if excerpt.answer else None


def score_one(result: SearchResult, judged: Judged, answer: tuple[str, str] | None = None) -> dict[str, float]:
    sections = ranked_sections(result)
    pages = ranked_pages(result)
    relevant_pages = {url for (url, _), g in judged.grades.items() if g > 0}
    rr = reciprocal_rank(sections, judged.grades)
    return {
        "ndcg10": ndcg(sections, judged.grades),
        "recall10": recall(sections, {k for k, g in judged.grades.items() if g > 0}, K),
        "mrr10": rr,
        "success1": 1.0 if rr == 1.0 else 0.0,
        "page_recall5": recall(pages, relevant_pages, PAGE_K),
        "refused": 1.0 if result.no_match else 0.0,
        "good": 1.0 if result.match == "good" else 0.0,
        "doubted_right": 1.0 if rr == 1.0 and result.match != "good" else 0.0,
        "marked": 1.0 if answer else 0.0,
        "answer_in_judged": 1.0 if answer and judged.grades.get(answer, 0) >= ANSWER_GRADE else 0.0,
        "bets": 1.0 if result.recommended else 0.0,
        "bets_relevant": 1.0 if result.recommended and all(
            judged_relevant(record, judged.grades) for record in result.recommended.passages) else 0.0,
    }


def judged_relevant(record: PassageRecord, grades: dict[tuple[str, str], int]) -> bool:
    """Whether a recommended section is judged relevant (a whole page: any of its sections)."""
    url = record.original_url or record.url
    if record.section:
        return grades.get((url, record.section), 0) > 0
    return any(g > 0 for (page, _), g in grades.items() if page == url)


def evaluate(retriever: Retriever, queries: list[Judged], mode: str = "default", correct: bool = True) -> dict:
    """Mean metrics over the queries, how many the speller changed (and how many of those were written
    without mistakes), and the median query time in ms."""
    rows, times, corrected, wrongly = [], [], 0, 0
    options = SearchOptions(limit=RESULT_PAGES, mode=mode, correct=correct)
    for judged in queries:
        started = time.perf_counter()
        result = retriever.search(judged.query, options)
        times.append((time.perf_counter() - started) * 1000)
        answer = marked_section(result)
        rows.append(score_one(result, judged, answer))
        corrected += result.corrected_query is not None
        wrongly += result.corrected_query is not None and not judged.misspelled
    summary = {"n": len(rows), "corrected": corrected, "wrongly_corrected": wrongly,
               "bets": int(sum(r["bets"] for r in rows)), "bets_relevant": int(sum(r["bets_relevant"] for r in rows))}
    for key in ("ndcg10", "recall10", "mrr10", "success1", "page_recall5", "refused", "good", "marked",
                "answer_in_judged"):
        summary[key] = round(statistics.fmean(r[key] for r in rows), 4) if rows else 0.0
    right = [r["doubted_right"] for r in rows if r["success1"]]
    summary["doubted_right"] = round(statistics.fmean(right), 4) if right else 0.0
    summary["median_ms"] = round(statistics.median(times), 1) if times else 0.0
    return summary


def refusals(retriever: Retriever, questions: list[str]) -> tuple[float, float, int, int]:
    """Shares of the questions answered 'no good match' and not matched as `good` (weak or none), how
    many fire a best bet, and how many have a sentence marked as the answer."""
    results = [retriever.search(q) for q in questions]
    if not results:
        return 0.0, 0.0, 0, 0
    share = round(sum(r.no_match for r in results) / len(results), 4)
    not_good = round(sum(r.match != "good" for r in results) / len(results), 4)
    marked = sum(marked_section(r) is not None for r in results)
    return share, not_good, sum(r.recommended is not None for r in results), marked


def eval_sets(eval_dir: Path) -> list[tuple[str, Path, int | None]]:
    """(name, file, head) for every judged file, plus the clean twin of the typo set."""
    sets = [(p.stem, p, None) for p in sorted(eval_dir.glob("*.jsonl"))]
    if (eval_dir / TYPO_FILE).is_file() and (eval_dir / CLEAN_FILE).is_file():
        typo_count = sum(1 for line in open(eval_dir / TYPO_FILE, encoding="utf-8") if line.strip())
        sets.append((f"{Path(CLEAN_FILE).stem}[:{typo_count}]", eval_dir / CLEAN_FILE, typo_count))
    return sets


COLUMNS = ("n", "ndcg10", "recall10", "mrr10", "success1", "page_recall5", "refused", "good", "doubted_right",
           "marked", "answer_in_judged", "corrected",
           "wrongly_corrected", "bets", "bets_relevant", "median_ms")
RUNS = (("keyword", True), ("dense", True), ("e5", True), ("fused", True), ("rrf", True), ("hybrid", True),
        ("default", False), ("default", True))


def print_table(rows: list[tuple[str, str, dict]]) -> None:
    header = ["set", "mode", *COLUMNS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, mode, summary in rows:
        print("| " + " | ".join([name, mode] + [str(summary[c]) for c in COLUMNS]) + " |")


def english_threshold(retriever: Retriever) -> float:
    """The off-topic threshold of English questions on the served version."""
    english = retriever.config.profile("en")
    return retriever.snapshot().threshold(english.reader, english.off_topic_quantile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--queries", type=Path, help="one judged JSONL file")
    source.add_argument("--eval-dir", type=Path, nargs="+", help="every *.jsonl in these folders, in every mode")
    parser.add_argument("--mode", choices=MODES, default="default")
    parser.add_argument("--correct", action=argparse.BooleanOptionalAction, default=True,
                        help="spelling correction (with --queries)")
    parser.add_argument("--json", action="store_true", help="one JSON object (with --queries)")
    parser.add_argument("--refusals", type=Path, nargs="+", default=[],
                        help="files of questions the corpus does not answer, one a line: the share refused")
    parser.add_argument("--threads", type=int, default=1, help="FAISS threads")
    settings = parser.add_argument_group("levers", "measure with other ranking settings than the app's "
                                                      "(a language's as --es.weak-below)")
    for name, value in levers(RankingConfig()).items():
        settings.add_argument("--" + name.replace("_", "-"), dest=name, type=type(value),
                              help=f"the app's: {value}, or the index's own (its sources file's [ranking])")
    args = parser.parse_args(argv)
    set_search_threads(args.threads)
    config = RankingConfig()
    for name in levers(config):
        if getattr(args, name) is not None:
            config = tuned(config, name, getattr(args, name))
    retriever = Retriever(args.index_dir, config)
    if args.queries:
        summary = evaluate(retriever, load_queries(args.queries), args.mode, args.correct)
        if args.json:
            keys = ("n", "ndcg10", "recall10", "mrr10", "success1", "page_recall5", "refused", "wrongly_corrected")
            print(json.dumps({k: summary[k] for k in keys}))
        else:
            print_table([(args.queries.stem, args.mode + ("" if args.correct else " (no correction)"), summary)])
    else:
        rows = []
        for name, path, head in [found for folder in args.eval_dir for found in eval_sets(folder)]:
            queries = load_queries(path, head)
            for mode, correct in RUNS:
                label = mode + ("" if correct else " (no correction)")
                rows.append((name, label, evaluate(retriever, queries, mode, correct)))
                print(f"{name} {mode}: {rows[-1][2]}", file=sys.stderr)
        print_table(rows)
    for path in args.refusals:
        questions = [q.strip() for q in path.read_text(encoding="utf-8").splitlines() if q.strip()]
        share, not_good, bets, marked = refusals(retriever, questions)
        print(f"\nanswered 'no good match': {share} of {len(questions)} questions in {path} "
              f"(threshold {english_threshold(retriever):.3f}); matched weak or none: {not_good}; "
              f"a best bet fired for {bets}; a sentence marked as the answer for {marked}",
              file=sys.stderr if args.json else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
