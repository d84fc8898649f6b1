"""Load benchmark: the app under gunicorn on 127.0.0.1, driven by wrk with real questions.

    python -m bench.load --index-dir DIR --eval-dir DIR [--seconds 20] [--concurrency 1 4 16]

Runs a single-worker baseline and the default server (search_app/gunicorn_conf.py) in the same run,
and prints queries per second, latency median / 95th / 99th percentile, and errors at each concurrency.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from bench.evaluate import load_queries
from bench.servers import gunicorn
from search_app.params import MAX_QUERY

LUA = Path(__file__).resolve().parent / "wrk-questions.lua"
SERVERS = {"baseline (1 worker, 1 thread)": {"WORKERS": "1", "THREADS": "1"}, "default": {}}


def request_paths(eval_dir: Path) -> list[str]:
    """Every evaluation question the API accepts (at most MAX_QUERY characters), as a request path."""
    paths = []
    for file in sorted(eval_dir.glob("*.jsonl")):
        for query in (judged.query for judged in load_queries(file)):
            if query.strip() and len(query) <= MAX_QUERY:
                paths.append("/api/search?" + urllib.parse.urlencode({"q": query}))
    return list(dict.fromkeys(paths))


def wrk(base: str, paths_file: Path, concurrency: int, seconds: int) -> dict:
    threads = min(concurrency, 2)
    command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(LUA), base, "--", str(paths_file)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
    result["qps"] = round(result["requests"] / result["duration_s"], 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--eval-dir", required=True, type=Path)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("error: wrk is not installed (make bench installs it)", file=sys.stderr)
        return 1
    rows = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(request_paths(args.eval_dir)) + "\n")
        paths_file = Path(handle.name)
    try:
        for name, env in SERVERS.items():
            with gunicorn(args.index_dir, {"RATE_LIMIT_PER_MINUTE": "0", **env}) as base:
                wrk(base, paths_file, 2, 5)
                for concurrency in args.concurrency:
                    rows.append((name, concurrency, wrk(base, paths_file, concurrency, args.seconds)))
                    print(name, concurrency, rows[-1][2], file=sys.stderr)
    finally:
        paths_file.unlink()
    print("| server | concurrency | queries/s | median ms | p95 ms | p99 ms | errors | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    for name, concurrency, r in rows:
        print(f"| {name} | {concurrency} | {r['qps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
              f"{r['errors']} | {r['non_2xx']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
