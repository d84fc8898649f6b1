"""The usage log (QUERY_LOG): what people look for and do not find, without personal data.

Stored, per day: the number of searches, of "no good match" answers, of corrected questions and of
clicks on results (with the clicked rank: 0 for a recommended result), how often each best bet fired,
and the text of questions that found no good answer (normalised; deleted after QUERY_LOG_DAYS). Never an
IP address, cookie, user agent or session, and no other question's text.

`python -m indexer usage --log FILE` prints a summary.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from search_index.text import words

SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (query TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
                                 PRIMARY KEY (query, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, searches INTEGER NOT NULL DEFAULT 0,
                                  no_match INTEGER NOT NULL DEFAULT 0, corrected INTEGER NOT NULL DEFAULT 0,
                                  clicks INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clicks (day TEXT NOT NULL, rank INTEGER NOT NULL, count INTEGER NOT NULL,
                                   PRIMARY KEY (day, rank)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS best_bets (day TEXT NOT NULL, bet TEXT NOT NULL, count INTEGER NOT NULL,
                                      PRIMARY KEY (day, bet)) WITHOUT ROWID;
"""
MAX_LENGTH = 200
# Ranks counted one by one; a click further down counts as this rank ("and below").
MAX_RANK = 20
log = logging.getLogger(__name__)


def normalise(query: str) -> str:
    """Lower-case words only, so that the same question asked differently counts once."""
    return " ".join(words(query))[:MAX_LENGTH]


@dataclass(frozen=True)
class Day:
    day: str
    searches: int
    no_match: int
    corrected: int
    clicks: int

    @property
    def no_match_rate(self) -> float:
        return self.no_match / self.searches if self.searches else 0.0


class UsageLog:
    """Counts searches and clicks per day in a SQLite file shared by every worker."""

    def __init__(self, path: Path, retention_days: int = 90) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self.pruned_on: date | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection borrowed from a pool (one per request in flight, whatever runs requests:
        threads or greenlets), in a transaction committed on leaving."""
        try:
            db = self.pool.get_nowait()
        except queue.Empty:
            db = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        try:
            with db:
                yield db
        finally:
            self.pool.put(db)

    def _read(self, sql: str, parameters: tuple) -> list[tuple]:
        with self.connect() as db:
            return db.execute(sql, parameters).fetchall()

    def record_search(self, query: str, no_match: bool, corrected: bool, best_bet: str | None = None,
                      today: date | None = None) -> None:
        """Count one search; an unanswered question's text is kept. A failure here never fails the search."""
        day = (today or date.today()).isoformat()
        text = normalise(query) if no_match else ""
        try:
            with self.connect() as db:
                db.execute("INSERT INTO daily (day, searches, no_match, corrected) VALUES (?, 1, ?, ?) "
                           "ON CONFLICT(day) DO UPDATE SET searches = searches + 1, "
                           "no_match = no_match + excluded.no_match, corrected = corrected + excluded.corrected",
                           (day, int(no_match), int(corrected)))
                if text:
                    db.execute("INSERT INTO gaps VALUES (?, ?, 1) "
                               "ON CONFLICT(query, day) DO UPDATE SET count = count + 1", (text, day))
                if best_bet:
                    db.execute("INSERT INTO best_bets VALUES (?, ?, 1) "
                               "ON CONFLICT(day, bet) DO UPDATE SET count = count + 1", (day, best_bet))
                self._prune(db, today or date.today())
        except sqlite3.Error as exc:
            log.warning("usage log not written: %s", exc)

    def record_click(self, rank: int, today: date | None = None) -> None:
        """Count one click on a result at this rank (0: a recommended result)."""
        day = (today or date.today()).isoformat()
        try:
            with self.connect() as db:
                db.execute("INSERT INTO daily (day, clicks) VALUES (?, 1) "
                           "ON CONFLICT(day) DO UPDATE SET clicks = clicks + 1", (day,))
                db.execute("INSERT INTO clicks VALUES (?, ?, 1) ON CONFLICT(day, rank) DO UPDATE SET count = count + 1",
                           (day, min(rank, MAX_RANK)))
        except sqlite3.Error as exc:
            log.warning("usage log not written: %s", exc)

    def _prune(self, db: sqlite3.Connection, today: date) -> None:
        """Once a day: question texts older than the retention period go."""
        if self.pruned_on != today:
            cutoff = (today - timedelta(days=self.retention_days)).isoformat()
            db.execute("DELETE FROM gaps WHERE day < ?", (cutoff,))
            self.pruned_on = today

    def _since(self, days: int, today: date | None) -> str:
        return ((today or date.today()) - timedelta(days=days - 1)).isoformat()

    def days(self, days: int = 30, today: date | None = None) -> list[Day]:
        """The daily figures of the last `days` days, oldest first (days without searches included)."""
        end = today or date.today()
        found = {row[0]: Day(*row) for row in self._read(
            "SELECT day, searches, no_match, corrected, clicks FROM daily WHERE day >= ?", (self._since(days, end),))}
        every = [(end - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]
        return [found.get(day, Day(day, 0, 0, 0, 0)) for day in every]

    def clicks_by_rank(self, days: int = 30, today: date | None = None) -> dict[int, int]:
        return dict(self._read("SELECT rank, sum(count) FROM clicks WHERE day >= ? GROUP BY rank ORDER BY rank",
                               (self._since(days, today),)))

    def best_bets(self, days: int = 30, today: date | None = None) -> dict[str, int]:
        return dict(self._read("SELECT bet, sum(count) FROM best_bets WHERE day >= ? GROUP BY bet",
                               (self._since(days, today),)))

    def top(self, days: int = 30, limit: int = 20, today: date | None = None) -> list[tuple[str, int]]:
        """The most frequent unanswered questions of the last `days` days."""
        return self._read(
            "SELECT query, sum(count) AS n FROM gaps WHERE day >= ? GROUP BY query ORDER BY n DESC, query LIMIT ?",
            (self._since(days, today), limit))

