"""How fast an editor's change reaches another replica, and what applying one costs a worker.

    python -m bench.curation --index-dir DIR [--changes 20]

Two apps on the same index and the same record (each with its own poller, as two replicas have), on a
SQLite file and, where Debian's PostgreSQL server is installed, on a private PostgreSQL cluster: each
change (a best bet pinned, then removed, in turn) is made on the first and timed until the second
answers with it. Then the cost of applying one revision to the served version (best bets resolved,
suggestions rebuilt), which a worker's poller pays once per change.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.servers import postgres, postgres_bin
from search_app import create_app
from search_app.web.services import services
from search_index.curation_store import CurationState

TOKEN = "bench-editor-token-0123456789abcdefghij"
AS_EDITOR = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
PHRASING = "a question no page answers, pinned for the benchmark"


def app_on(index_dir: Path, record: dict):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0,
                       "EDITOR_TOKENS": [("bench", TOKEN)], **record}).test_client()


def recommended(client) -> bool:
    body = client.get("/api/search", query_string={"q": PHRASING}).get_json()
    return bool(body["recommended"])


def propagation(index_dir: Path, record: dict, changes: int) -> list[float]:
    """Seconds from each change on one app until the other serves it."""
    first, second = app_on(index_dir, record), app_on(index_dir, record)
    target = first.get("/api/search", query_string={"q": "treatment"}).get_json()["results"][0]["page"]["url"]
    seconds = []
    for number in range(changes):
        pinned = number % 2 == 0
        if pinned:
            answer = first.post("/admin/curation/bets", headers=AS_EDITOR, data={"phrasings": PHRASING, "show": target})
        else:
            answer = first.post("/admin/curation/bets/remove", headers=AS_EDITOR, data={"name": PHRASING})
        assert answer.status_code == 200, answer.get_json()
        started = time.monotonic()
        while recommended(second) != pinned:
            time.sleep(0.01)
        seconds.append(time.monotonic() - started)
    return seconds


def apply_cost(index_dir: Path, record: dict, repeats: int = 5) -> float:
    """Median milliseconds to apply one revision to the served version."""
    client = app_on(index_dir, record)
    served = services(client.application).retriever.snapshot()
    state = CurationState(served.curation(), tuple(served.synonyms))
    vectors = served.reader.bet_vectors()
    times = []
    for number in range(repeats):
        started = time.perf_counter()
        served.curated(state, vectors, number + 1)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.curation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="curated-search-bench-")))
        folder.chmod(0o755)
        records = [("SQLite", {"QUERY_LOG": str(folder / "record.sqlite")})]
        if postgres_bin() is not None:
            cluster = stack.enter_context(postgres(folder / "postgres"))
            records.append(("PostgreSQL", {"DATABASE_URL": cluster.create_database("bench")}))
        print(f"{args.changes} changes each, made on one app and timed until the other serves them\n")
        print("| record | median s | p90 s | max s |")
        print("|---|---|---|---|")
        for name, record in records:
            seconds = sorted(propagation(args.index_dir, record, args.changes))
            p90 = seconds[int(0.9 * (len(seconds) - 1))]
            print(f"| {name} | {statistics.median(seconds):.2f} | {p90:.2f} | {seconds[-1]:.2f} |")
        print(f"\napplying one revision to the served version: {apply_cost(args.index_dir, records[0][1]):.0f} ms "
              "(median of 5), once per change in each worker's poller")
    return 0


if __name__ == "__main__":
    sys.exit(main())
