"""Content gaps: questions that found no good answer, counted per day (no IP, no cookie, bounded retention).

    python -m search_app.gaps --log FILE [--days 30] [--top 20]
"""
from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

from indexer.text import words

SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (query TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
                                 PRIMARY KEY (query, day)) WITHOUT ROWID;
"""
MAX_LENGTH = 200
log = logging.getLogger(__name__)


def normalise(query: str) -> str:
    """Lower-case words only, so that the same question asked differently counts once."""
    return " ".join(words(query))[:MAX_LENGTH]


class GapLog:
    """Counts unanswered questions in a SQLite file shared by every worker."""

    def __init__(self, path: Path, retention_days: int = 90) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.local = threading.local()
        self.pruned_on: date | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        db = getattr(self.local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=2.0)
            db.execute("PRAGMA journal_mode=WAL")
            self.local.db = db
        return db

    def record(self, query: str, today: date | None = None) -> None:
        """Count one unanswered question; a failure here never fails the search."""
        text = normalise(query)
        if not text:
            return
        today = today or date.today()
        try:
            with self.connect() as db:
                db.execute("INSERT INTO gaps VALUES (?, ?, 1) ON CONFLICT(query, day) DO UPDATE SET count = count + 1",
                           (text, today.isoformat()))
                if self.pruned_on != today:
                    cutoff = (today - timedelta(days=self.retention_days)).isoformat()
                    db.execute("DELETE FROM gaps WHERE day < ?", (cutoff,))
                    self.pruned_on = today
        except sqlite3.Error as exc:
            log.warning("query log not written: %s", exc)

    def top(self, days: int = 30, limit: int = 20, today: date | None = None) -> list[tuple[str, int]]:
        since = ((today or date.today()) - timedelta(days=days)).isoformat()
        return self.connect().execute(
            "SELECT query, sum(count) AS n FROM gaps WHERE day >= ? GROUP BY query ORDER BY n DESC, query LIMIT ?",
            (since, limit)).fetchall()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search_app.gaps", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", required=True, type=Path, help="the QUERY_LOG file the app writes")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    if not args.log.is_file():
        print(f"error: no query log at {args.log}", file=sys.stderr)
        return 1
    rows = GapLog(args.log).top(args.days, args.top)
    print(f"Most frequent unanswered questions, last {args.days} days:")
    for query, count in rows:
        print(f"{count:6}  {query}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
