"""Load benchmark: the app under gunicorn on 127.0.0.1, driven by wrk with real questions.

    python bench/load.py --index-dir DIR --eval-dir DIR [--seconds 20] [--concurrency 1 4 16]

Runs a single-worker baseline and the default server (search_app/gunicorn_conf.py) in the same run,
and prints queries per second, latency median / 95th / 99th percentile, and errors at each concurrency.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from search_app.evaluate import load_queries  # noqa: E402
from search_app.latency import free_port, wait_ready  # noqa: E402
from search_app.params import MAX_QUERY  # noqa: E402
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


def start_server(index_dir: Path, extra_env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "INDEX_DIR": str(index_dir), "PORT": str(port), "RATE_LIMIT_PER_MINUTE": "0", **extra_env}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "search_app/gunicorn_conf.py",
                               "--log-level", "warning", "search_app:create_app()"], cwd=ROOT, env=env,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
    except RuntimeError:
        server.kill()
        raise
    return server, base


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
            server, base = start_server(args.index_dir, env)
            try:
                wrk(base, paths_file, 2, 5)
                for concurrency in args.concurrency:
                    rows.append((name, concurrency, wrk(base, paths_file, concurrency, args.seconds)))
                    print(name, concurrency, rows[-1][2], file=sys.stderr)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
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
