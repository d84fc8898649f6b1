"""The record every replica shares: the usage log and the editors' live curation, in one database. A
SQLite file by default (QUERY_LOG), PostgreSQL when DATABASE_URL names one (`postgresql://…`, psycopg 3
with a pool). Its schema is migrated by yoyo (`search_index/migrations/`) when it is first opened.

Statements are written once, with `?` placeholders and SQL both databases speak; `Database.connect`
hands out a connection whose `execute` takes them. No call ever waits long: SQLite fails at once on a
lock, PostgreSQL after `TIMEOUT_SECONDS`; the callers keep what they could not write and try again."""
from __future__ import annotations

import os
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg_pool

MIGRATIONS = Path(__file__).with_name("migrations")
TIMEOUT_SECONDS = 2.0
POOL_SIZE = 4
# What a failing database raises, whichever it is.
ERRORS = (sqlite3.Error, psycopg.Error, OSError)


def describe(exc: BaseException) -> str:
    """An error in one line: its type and its first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}".rstrip(": ")


def without_password(url: str) -> str:
    """A database address fit to show: its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Connection:
    """One connection in a transaction; `execute` takes `?` placeholders on both databases."""

    def __init__(self, raw: sqlite3.Connection | psycopg.Connection, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres

    def execute(self, sql: str, parameters: Sequence = ()) -> sqlite3.Cursor | psycopg.Cursor:
        if self.postgres:
            return self.raw.execute(sql.replace("?", "%s"), tuple(parameters))
        return self.raw.execute(sql, tuple(parameters))

    def many(self, sql: str, rows: Sequence[Sequence]) -> None:
        if self.postgres:
            with self.raw.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), [tuple(row) for row in rows])
        else:
            self.raw.executemany(sql, [tuple(row) for row in rows])


class Database:
    """A SQLite file or a PostgreSQL database, its schema migrated."""

    def __init__(self, url: str) -> None:
        """`url`: `postgresql://…`, or a SQLite file's path (or `sqlite:///path`)."""
        self.url = url
        self.postgres = url.startswith(("postgresql://", "postgres://"))
        self.path = None if self.postgres else Path(url.removeprefix("sqlite://") if url.startswith("sqlite://")
                                                    else url)
        self.migrated = False
        self._lock = threading.Lock()
        self._sqlite: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._pool: psycopg_pool.ConnectionPool | None = None
        self._pid = os.getpid()

    @property
    def kind(self) -> str:
        return "postgresql" if self.postgres else "sqlite"

    def shown(self) -> str:
        return without_password(self.url) if self.postgres else str(self.path)

    def migrate(self) -> None:
        """Bring the schema up to date (yoyo, under its lock: replicas starting together migrate once)."""
        from yoyo import get_backend, read_migrations

        if self.migrated:
            return
        with self._lock:
            if self.migrated:
                return
            if self.postgres:
                url = "postgresql+psycopg://" + self.url.split("://", 1)[1]
                if "connect_timeout=" not in url:  # a database that does not answer never holds a start
                    url += ("&" if "?" in url else "?") + f"connect_timeout={max(1, round(TIMEOUT_SECONDS))}"
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                url = f"sqlite:///{self.path.resolve()}"
            backend = get_backend(url)
            try:
                with backend.lock(timeout=30):
                    backend.apply_migrations(backend.to_apply(read_migrations(str(MIGRATIONS))))
            finally:
                backend.connection.close()
            self.migrated = True

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection borrowed from the pool, in a transaction committed on leaving (rolled back on an
        error); the schema is migrated first if it was not yet. Raises one of ERRORS when the database
        cannot be reached, is locked or is slow."""
        self.migrate()
        self._own_connections()
        if self.postgres:
            with self._postgres_pool().connection(timeout=TIMEOUT_SECONDS) as raw:
                yield Connection(raw, postgres=True)
            return
        try:
            raw = self._sqlite.get_nowait()
        except queue.Empty:
            raw = self._open_sqlite()
        try:
            with raw:
                yield Connection(raw, postgres=False)
        finally:
            self._sqlite.put(raw)

    def _own_connections(self) -> None:
        """A forked worker never uses its parent's connections: it opens its own."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._sqlite, self._pool, self._pid = queue.SimpleQueue(), None, os.getpid()

    def _open_sqlite(self) -> sqlite3.Connection:
        raw = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:
            raw.close()
            raise
        return raw

    def _postgres_pool(self) -> psycopg_pool.ConnectionPool:
        with self._lock:
            if self._pool is None:
                timeout = int(TIMEOUT_SECONDS * 1000)
                options = f"-c statement_timeout={timeout} -c lock_timeout={timeout}"
                self._pool = psycopg_pool.ConnectionPool(
                    self.url, min_size=1, max_size=POOL_SIZE, timeout=TIMEOUT_SECONDS, open=False,
                    check=psycopg_pool.ConnectionPool.check_connection,
                    kwargs={"connect_timeout": max(1, round(TIMEOUT_SECONDS)), "options": options})
                self._pool.open(wait=False)
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        while not self._sqlite.empty():
            self._sqlite.get_nowait().close()


def open_database(url: str | None, query_log: str | Path | None = None) -> Database | None:
    """The database the settings name: DATABASE_URL, else the QUERY_LOG file, else none."""
    if url:
        return Database(url)
    if query_log:
        return Database(str(query_log))
    return None
