"""Query latency, in-process and over HTTP on 127.0.0.1, with median and 99th percentile, what the
usage log's write adds to a search, suggestions as you type, and a profile of where an in-process
search spends its time.

    python -m bench.latency --index-dir DIR --queries FILE.jsonl [--count 500]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.evaluate import load_queries
from bench.servers import gunicorn
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_app.web.usage import UsageLog
from search_index.format import set_search_threads

WARM_UP = 20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(times_ms: list[float], digits: int = 1) -> dict:
    return {"n": len(times_ms), "median_ms": round(statistics.median(times_ms), digits),
            "p99_ms": round(percentile(times_ms, 0.99), digits)}


def in_process(index_dir: Path, queries: list[str], warm: list[str]) -> dict:
    """Each question asked once, after warming up on other questions: the query cache never answers."""
    retriever = Retriever(index_dir)
    for query in warm:
        retriever.search(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        retriever.search(query, SearchOptions())
        times.append((time.perf_counter() - started) * 1000)
    return summary(times)


STAGES = {
    "query embedding (model)": ("query_encoder.py", "encode"),
    "vector search (FAISS)": ("reader.py", "dense"),
    "both models' scores of the candidates": ("reader.py", "cosines"),
    "score spread per model (sampled passages)": ("snapshot.py", "spread"),
    "keyword search (BM25 postings)": ("reader.py", "keyword"),
    "passage owners (arrays)": ("reader.py", "owners"),
    "records of shown passages (SQLite)": ("reader.py", "passages"),
    "spelling correction": ("spelling.py", "correct"),
    "score fusion": ("strategies.py", "scores"),
    "page-title similarity": ("pipeline.py", "page_bonus"),
    "grouping into pages": ("ranking.py", "group"),
    "best bets (matching)": ("curation.py", "recommend"),
    "hidden pages (filter)": ("curation.py", "visible"),
}


def profile(index_dir: Path, queries: list[str]) -> dict[str, float]:
    """Milliseconds per query spent in each stage (cumulative time, profiler overhead included)."""
    retriever = Retriever(index_dir)
    profiler = cProfile.Profile()
    profiler.enable()
    for query in queries:
        retriever.search(query, SearchOptions())
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(tt for (_, _, name), (_, _, tt, _, _) in stats.items())
    per_stage = {}
    for label, (file, function) in STAGES.items():
        found = [ct for (path, _, name), (_, _, _, ct, _) in stats.items() if path.endswith(file) and name == function]
        per_stage[label] = round(max(found, default=0.0) * 1000 / len(queries), 2)
    per_stage["whole search"] = round(total * 1000 / len(queries), 2)
    return per_stage


def suggestions(index_dir: Path, queries: list[str]) -> dict:
    """/api/suggest in-process: the first 3, 6 and 10 characters of each question, as typed."""
    retriever = Retriever(index_dir)
    times = []
    for query in queries:
        for length in (3, 6, 10):
            started = time.perf_counter()
            retriever.snapshot().suggest(query[:length])
            times.append((time.perf_counter() - started) * 1000)
    return summary(times, 2)


def usage_log_write(count: int) -> dict:
    """What the usage log adds to a search: one search counted (in a fresh log file), each time."""
    with tempfile.TemporaryDirectory() as folder:
        usage = UsageLog(Path(folder) / "usage.sqlite")
        times = []
        for i in range(count):
            started = time.perf_counter()
            usage.record_search(f"question {i}", no_match=i % 10 == 0, corrected=i % 7 == 0)
            times.append((time.perf_counter() - started) * 1000)
    return summary(times, 3)


def over_http(index_dir: Path, queries: list[str], warm: list[str]) -> dict:
    """One gunicorn worker on 127.0.0.1, one request at a time, each question once."""
    with gunicorn(index_dir, {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0"}) as server:
        times = []
        for i, query in enumerate(warm + queries):
            url = server.base + "/api/search?" + urllib.parse.urlencode({"q": query})
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
            if i >= len(warm):
                times.append((time.perf_counter() - started) * 1000)
        return summary(times)


ROW_NAMES = {"in_process": "in-process (`Retriever.search`)", "http": "over HTTP (gunicorn, 1 worker, 127.0.0.1)",
             "suggest": "`/api/suggest` in-process", "usage_log": "usage log write"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args(argv)
    set_search_threads(1)
    loaded = list(dict.fromkeys(judged.query for judged in load_queries(args.queries, args.count + WARM_UP)))
    warm, queries = loaded[:WARM_UP], loaded[WARM_UP:]
    results = {"in_process": in_process(args.index_dir, queries, warm),
               "http": over_http(args.index_dir, queries, warm)}
    results["suggest"] = suggestions(args.index_dir, queries)
    results["usage_log"] = usage_log_write(len(queries))
    print("| | questions | median | p99 |\n|---|---|---|---|")
    for name, values in results.items():
        print(f"| {ROW_NAMES[name]} | {values['n']} | {values['median_ms']} ms | {values['p99_ms']} ms |")
    print("\nprofile of an in-process search, ms per query (under cProfile, new questions):")
    for stage, ms in profile(args.index_dir, queries).items():
        print(f"  {stage:30} {ms}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
