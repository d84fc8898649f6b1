"""The usage log (QUERY_LOG, or DATABASE_URL): what people look for and do not find, without personal data.

Stored, per day: the number of searches, of "no good match" answers, of weak matches, of corrected
questions and of clicks on results (with the clicked rank: 0 for a recommended result), how often
each best bet fired, and the text of questions that found no good answer or only a weak one
(normalised, without what could identify a person: `search_app.web.privacy`; deleted after
QUERY_LOG_DAYS). Never an IP address, cookie, user agent or session, and no other question's text.

`python -m search_app usage --log FILE` prints a summary.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from search_app.web.privacy import anonymise
from search_index.database import ERRORS, Connection, Database, describe
from search_index.text import words

# A worker's writer figures count in /admin/status while it has written within this many seconds.
WRITER_SEEN_SECONDS = 600
MAX_LENGTH = 200
# Ranks counted one by one; a click further down counts as this rank ("and below").
MAX_RANK = 20
# Events waiting for the writer; past this (the log unwritable for a long time) new ones are dropped
# and counted.
MAX_PENDING = 10_000
FLUSH_SECONDS = 1.0
log = logging.getLogger(__name__)

def normalise(query: str) -> str:
    """Lower-case words only, so that the same question asked differently counts once."""
    return " ".join(words(query))[:MAX_LENGTH]


@dataclass(frozen=True)
class Day:
    day: str
    searches: int
    no_match: int
    weak: int
    corrected: int
    clicks: int

    @property
    def no_match_rate(self) -> float:
        return self.no_match / self.searches if self.searches else 0.0


@dataclass
class LogHealth:
    """How the usage log's writer is doing, for /admin/status."""

    written: int = 0
    failures: int = 0
    dropped: int = 0
    last_error: str | None = None


class UsageLog:
    """Counts searches and clicks per day in the shared record (search_index.database): a SQLite file
    every worker of a machine shares, or PostgreSQL, which every replica shares.

    A search or click only appends an event to a queue in memory; a background writer adds the queue
    to the database once a second. The writer never waits long for the database (a lock, a backup, a
    database that is down) and never fails a request: an event it cannot write stays queued (up to
    MAX_PENDING) and the failure is counted. A log that cannot be opened at all leaves the app serving
    without it."""

    def __init__(self, database: Database | Path | str, retention_days: int = 90,
                 flush_seconds: float = FLUSH_SECONDS) -> None:
        self.database = database if isinstance(database, Database) else Database(str(database))
        self.retention_days = retention_days
        self.flush_seconds = flush_seconds
        self.pruned_on: date | None = None
        self.pending: deque[tuple] = deque()
        self.health = LogHealth()
        self._writer_pid: int | None = None
        self._start_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.stopped = threading.Event()
        self._prepare()

    @property
    def writer(self) -> str:
        """This worker's name among every replica's writers."""
        return f"{socket.gethostname()}:{os.getpid()}"

    def _prepare(self) -> bool:
        """Migrate the database's schema if it is not yet; False (failure counted) when it cannot."""
        if self.database.migrated:
            return True
        try:
            self.database.migrate()
        except ERRORS as exc:
            self._failed(exc)
        return self.database.migrated

    def _failed(self, exc: Exception) -> None:
        self.health.failures += 1
        self.health.last_error = describe(exc)
        log.warning("usage log not written: %s", exc)

    def _read(self, sql: str, parameters: tuple) -> list[tuple]:
        self.flush()
        with self.database.connect() as db:
            return [tuple(row) for row in db.execute(sql, parameters).fetchall()]

    def record_search(self, query: str, no_match: bool, corrected: bool, best_bet: str | None = None,
                      today: date | None = None, weak: bool = False) -> None:
        """Count one search; an unanswered question's text is kept, without what identifies a person."""
        text = normalise(anonymise(query)) if no_match or weak else ""
        self._add(("search", (today or date.today()).isoformat(), int(no_match), int(corrected), text, best_bet,
                   int(weak)))

    def record_click(self, rank: int, today: date | None = None) -> None:
        """Count one click on a result at this rank (0: a recommended result)."""
        self._add(("click", (today or date.today()).isoformat(), min(rank, MAX_RANK)))

    def _add(self, event: tuple) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.health.dropped += 1
            return
        self.pending.append(event)
        self._start_writer()

    def _start_writer(self) -> None:
        """One background writer per process (a forked worker starts its own)."""
        if self._writer_pid == os.getpid():
            return
        with self._start_lock:
            if self._writer_pid != os.getpid():
                self._writer_pid = os.getpid()
                threading.Thread(target=self._write_forever, name="usage-log", daemon=True).start()

    def _write_forever(self) -> None:
        while not self.stopped.wait(self.flush_seconds):
            self.flush()

    def close(self) -> None:
        """Write what is queued, if the database takes it, and stop this process's writer."""
        self.flush()
        self.stopped.set()

    def flush(self) -> bool:
        """Write every queued event now; False when they could not be written (they stay queued)."""
        with self._flush_lock:
            if not self.pending or not self._prepare():
                return not self.pending
            events = [self.pending.popleft() for _ in range(len(self.pending))]
            try:
                with self.database.connect() as db:
                    for event in events:
                        (self._write_search if event[0] == "search" else self._write_click)(db, *event[1:])
                    self._prune(db, max(date.fromisoformat(event[1]) for event in events))
                    self._write_health(db, len(events))
            except ERRORS as exc:
                self.pending.extendleft(reversed(events))
                self._failed(exc)
                return False
            self.health.written += len(events)
            return True

    def _write_health(self, db: Connection, written: int) -> None:
        """This worker's writer figures, as they stand once these events are written, for every
        worker's /admin/status."""
        health = self.health
        db.execute("INSERT INTO writers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (writer) DO UPDATE SET "
                   "written = excluded.written, failures = excluded.failures, dropped = excluded.dropped, "
                   "last_error = excluded.last_error, seen = excluded.seen",
                   (self.writer, health.written + written, health.failures, health.dropped, health.last_error,
                    time.time()))

    @staticmethod
    def _write_search(db: Connection, day: str, no_match: int, corrected: int, text: str,
                      best_bet: str | None, weak: int) -> None:
        db.execute("INSERT INTO daily (day, searches, no_match, corrected, weak) VALUES (?, 1, ?, ?, ?) "
                   "ON CONFLICT(day) DO UPDATE SET searches = daily.searches + 1, "
                   "no_match = daily.no_match + excluded.no_match, corrected = daily.corrected + excluded.corrected, "
                   "weak = daily.weak + excluded.weak", (day, no_match, corrected, weak))
        if text:
            db.execute("INSERT INTO gaps (query, day, count, weak) VALUES (?, ?, 1, ?) "
                       "ON CONFLICT(query, day) DO UPDATE SET count = gaps.count + 1, weak = gaps.weak + excluded.weak",
                       (text, day, weak))
        if best_bet:
            db.execute("INSERT INTO best_bets VALUES (?, ?, 1) "
                       "ON CONFLICT(day, bet) DO UPDATE SET count = best_bets.count + 1", (day, best_bet))

    @staticmethod
    def _write_click(db: Connection, day: str, rank: int) -> None:
        db.execute("INSERT INTO daily (day, clicks) VALUES (?, 1) "
                   "ON CONFLICT(day) DO UPDATE SET clicks = daily.clicks + 1", (day,))
        db.execute("INSERT INTO clicks VALUES (?, ?, 1) ON CONFLICT(day, rank) DO UPDATE SET count = clicks.count + 1",
                   (day, rank))

    def status(self) -> dict:
        """The writers' health, every worker's that wrote lately added to this one's: events queued
        (this worker's), written, failed writes, dropped events, the last error, and how many workers."""
        own = {"pending": len(self.pending), **asdict(self.health), "workers": 1}
        try:
            with self.database.connect() as db:
                others = db.execute("SELECT written, failures, dropped, last_error FROM writers "
                                    "WHERE writer != ? AND seen >= ? ORDER BY seen DESC",
                                    (self.writer, time.time() - WRITER_SEEN_SECONDS)).fetchall()
        except ERRORS:
            return own
        for written, failures, dropped, last_error in others:
            own.update(written=own["written"] + written, failures=own["failures"] + failures,
                       dropped=own["dropped"] + dropped, workers=own["workers"] + 1)
            own["last_error"] = own["last_error"] or last_error
        return own

    def _prune(self, db: Connection, today: date) -> None:
        """Once a day: question texts older than the retention period go."""
        if self.pruned_on != today:
            cutoff = (today - timedelta(days=self.retention_days)).isoformat()
            db.execute("DELETE FROM gaps WHERE day < ?", (cutoff,))
            self.pruned_on = today

    def _since(self, days: int, today: date | None) -> str:
        return ((today or date.today()) - timedelta(days=days - 1)).isoformat()

    def days(self, days: int = 30, today: date | None = None) -> list[Day]:
        """The daily figures of the last `days` days, oldest first: days without searches included, days
        before the log's first day not (nothing was counted then, which is not zero)."""
        end = today or date.today()
        found = {row[0]: Day(*row) for row in self._read(
            "SELECT day, searches, no_match, weak, corrected, clicks FROM daily WHERE day >= ?",
            (self._since(days, end),))}
        [(first,)] = self._read("SELECT min(day) FROM daily", ())
        every = [(end - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]
        return [found.get(day, Day(day, 0, 0, 0, 0, 0)) for day in every if day >= (first or end.isoformat())]

    def clicks_by_rank(self, days: int = 30, today: date | None = None) -> dict[int, int]:
        return dict(self._read("SELECT rank, sum(count) FROM clicks WHERE day >= ? GROUP BY rank ORDER BY rank",
                               (self._since(days, today),)))

    def best_bets(self, days: int = 30, today: date | None = None) -> dict[str, int]:
        return dict(self._read("SELECT bet, sum(count) FROM best_bets WHERE day >= ? GROUP BY bet",
                               (self._since(days, today),)))

    def top(self, days: int = 30, limit: int = 20, today: date | None = None) -> list[tuple[str, int, int]]:
        """The most frequent questions without a good match of the last `days` days: each with how many
        times it was asked and how many of those it was matched weak (the others: no good match)."""
        return self._read(
            "SELECT query, sum(count) AS n, sum(weak) FROM gaps WHERE day >= ? GROUP BY query "
            "ORDER BY n DESC, query LIMIT ?", (self._since(days, today), limit))

