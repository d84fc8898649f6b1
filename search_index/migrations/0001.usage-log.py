"""The usage log's tables. A SQLite file made before migrations keeps its tables and counts: its tables
gain the columns they lack, and its writers table (each worker's health, rewritten every second) is
made anew, keyed by host and process."""
from yoyo import step

__depends__: set[str] = set()

TABLES = """
CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, searches INTEGER NOT NULL DEFAULT 0,
    no_match INTEGER NOT NULL DEFAULT 0, corrected INTEGER NOT NULL DEFAULT 0, weak INTEGER NOT NULL DEFAULT 0,
    clicks INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS gaps (query TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
    weak INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (query, day));
CREATE TABLE IF NOT EXISTS clicks (day TEXT NOT NULL, rank INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (day, rank));
CREATE TABLE IF NOT EXISTS best_bets (day TEXT NOT NULL, bet TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (day, bet));
"""
WRITERS = """CREATE TABLE writers (writer TEXT PRIMARY KEY, written INTEGER NOT NULL, failures INTEGER NOT NULL,
    dropped INTEGER NOT NULL, last_error TEXT, seen DOUBLE PRECISION NOT NULL)"""


def sqlite(connection) -> bool:
    return type(connection).__module__.startswith("sqlite3")


def apply(connection) -> None:
    cursor = connection.cursor()
    for statement in filter(str.strip, TABLES.split(";")):
        cursor.execute(statement)
    if sqlite(connection):
        for table in ("daily", "gaps"):
            columns = {row[1] for row in cursor.execute(f"PRAGMA table_info({table})")}
            if "weak" not in columns:
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN weak INTEGER NOT NULL DEFAULT 0")
    cursor.execute("DROP TABLE IF EXISTS writers")
    cursor.execute(WRITERS)


def rollback(connection) -> None:
    cursor = connection.cursor()
    for table in ("writers", "best_bets", "clicks", "gaps", "daily"):
        cursor.execute(f"DROP TABLE {table}")


steps = [step(apply, rollback)]
