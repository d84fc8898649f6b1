"""Load benchmark: the app under gunicorn on 127.0.0.1, driven by wrk with fresh real questions.

    python -m bench.load --index-dir DIR --eval-dir DIR [--seconds 15] [--concurrency 1 4 16]
                         [--baseline-repo DIR --baseline-index DIR]

Every step starts a fresh server and asks questions it has never seen (each wrk thread takes its own
share of the evaluation questions, in order), so the query cache cannot answer them; the cache hits
the server reports are counted and shown beside every row. The servers: the default configuration
(search_app/gunicorn_conf.py) without a record, with the usage log and live curation in a SQLite file
(QUERY_LOG) and in PostgreSQL (DATABASE_URL, a private cluster started for the run, where Debian's
server is installed: `make postgres-setup`), a single worker, and, with --baseline-repo, the
default configuration of another checkout (an earlier release) serving its own index. Each row gives
queries per second, latency median / 95th / 99th percentile, errors, cache hits, and the workers'
resident memory after the step (all of it, and the part shared between processes). Errors count
failed requests and answers other than 2xx.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.evaluate import load_queries
from bench.servers import ROOT, gunicorn, postgres, postgres_bin, totals
from indexer import embedding
from search_app.web.params import MAX_QUERY
from search_index import models

LUA = Path(__file__).resolve().parent / "wrk-questions.lua"
WARM_UP = 20
WRK_THREADS = 2


def questions(eval_dir: Path) -> list[str]:
    """Every distinct evaluation question of the folder that the API accepts."""
    return questions_in(sorted(eval_dir.glob("*.jsonl")))


def questions_in(files: list[Path]) -> list[str]:
    """The distinct questions of the files that the API accepts (at most MAX_QUERY characters), in order."""
    found = (judged.query.strip() for file in files for judged in load_queries(file))
    return list(dict.fromkeys(q for q in found if q and len(q) <= MAX_QUERY))


def search_path(question: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": question})


def warm_up(base: str, warm: list[str]) -> None:
    """Questions kept apart from the measured ones: the model, the index and the caches of the OS warm."""
    for question in warm:
        with urllib.request.urlopen(base + search_path(question), timeout=30) as response:
            response.read()


def wrk(base: str, paths_file: Path, concurrency: int, seconds: int) -> dict:
    threads = min(concurrency, WRK_THREADS)
    command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(LUA), base, "--", str(paths_file), str(threads)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
    result["qps"] = round(result["requests"] / result["duration_s"], 1)
    return result


def reference_encode_ms(questions: list[str]) -> float:
    """Median milliseconds of a bare PyTorch MiniLM encode of one question on one thread: the machine's
    speed, by which answers a second are compared across machines (answers/s x this in seconds)."""
    embedding.set_threads(1)
    model = embedding.load_model(models.MINILM)
    times = []
    for question in questions:
        started = time.perf_counter()
        model.encode([question], normalize_embeddings=True, show_progress_bar=False)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def step(index_dir: Path, env: dict[str, str], root: Path, paths_file: Path, warm: list[str],
         concurrency: int, seconds: int) -> dict:
    with gunicorn(index_dir, {"RATE_LIMIT_PER_MINUTE": "0", **env}, root=root) as server:
        warm_up(server.base, warm)
        result = wrk(server.base, paths_file, concurrency, seconds)
        memory = server.worker_memory()
    result.update(totals(memory), workers=len(memory))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--eval-dir", required=True, type=Path)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--baseline-repo", type=Path, help="a checkout of an earlier release, measured beside")
    parser.add_argument("--baseline-index", type=Path, help="the index the baseline checkout serves")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("error: wrk is not installed (make bench installs it)", file=sys.stderr)
        return 1
    pool = questions(args.eval_dir)
    warm, measured = pool[-WARM_UP:], pool[:-WARM_UP]
    records = contextlib.ExitStack()
    folder = Path(records.enter_context(tempfile.TemporaryDirectory(prefix="curated-search-bench-")))
    servers = [("this release", args.index_dir, {}, ROOT),
               ("this release, record in SQLite", args.index_dir, {"QUERY_LOG": str(folder / "record.sqlite")}, ROOT)]
    if postgres_bin() is not None:
        folder.chmod(0o755)
        cluster = records.enter_context(postgres(folder / "postgres"))
        servers.append(("this release, record in PostgreSQL", args.index_dir,
                        {"DATABASE_URL": cluster.create_database("bench")}, ROOT))
    servers.append(("this release", args.index_dir, {"WORKERS": "1"}, ROOT))
    if args.baseline_repo:
        servers.append(("earlier release", args.baseline_index or args.index_dir, {}, args.baseline_repo))
    rows = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(search_path(q) for q in measured) + "\n")
        paths_file = Path(handle.name)
    try:
        for name, index_dir, env, root in servers:
            for concurrency in args.concurrency:
                result = step(index_dir, env, root, paths_file, warm, concurrency, args.seconds)
                rows.append((name, concurrency, result))
                print(name, concurrency, result, file=sys.stderr)
    finally:
        paths_file.unlink()
        records.close()
    reference = reference_encode_ms(measured[:200])
    print(f"{len(measured)} distinct questions, a fresh server for every row; a bare PyTorch MiniLM encode of "
          f"one question: {reference:.1f} ms (median of 200)\n")
    print("| server | concurrency | queries/s | queries/s x encode s | median ms | p95 ms | p99 ms | errors | "
          "cache hits | workers' RSS MB (shared) | workers' PSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, concurrency, r in rows:
        workers = f"{r['workers']} worker" + ("s" if r["workers"] > 1 else "")
        print(f"| {name} ({workers}) | {concurrency} | {r['qps']} | {r['qps'] * reference / 1000:.2f} | "
              f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
              f"{r['errors'] + r['non_2xx']} | {r['cache_hits']} of {r['requests']} | "
              f"{r['rss_mb']} ({r['shared_mb']}) x{r['workers']} | {r['pss_mb']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
