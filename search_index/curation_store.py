"""The editors' live curation in the shared record (search_index.database): best bets, hidden pages and
sections, and synonym groups, changed in the browser and served by every replica.

Every state the curation has had is kept, one revision each, with who made it (their token's name),
when and what they did; the newest is served. An undo writes an earlier state again as a new revision,
so that nothing is ever lost. While the record holds no revision, each index version's own curation
(from the reviewed files, stored at build time) is served."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from search_index.best_bets import Curation
from search_index.database import ERRORS, Database

# Concurrent edits may pick the same next revision number (PostgreSQL) or meet a lock (SQLite, which
# never waits): the loser tries again, a little later.
COMMIT_TRIES = 5
RETRY_SECONDS = 0.05


@dataclass(frozen=True)
class CurationState:
    """What the editors decide: best bets and hidden addresses (as in the best bets file) and synonym
    groups (as in the synonym list)."""

    curation: Curation = field(default_factory=Curation)
    synonyms: tuple[tuple[str, ...], ...] = ()

    def to_json(self) -> dict:
        return {**self.curation.to_json(), "synonyms": [list(group) for group in self.synonyms]}

    @classmethod
    def from_json(cls, data: dict) -> CurationState:
        return cls(Curation.from_json(data), tuple(tuple(group) for group in data.get("synonyms", [])))


@dataclass(frozen=True)
class Revision:
    number: int
    at: float
    editor: str
    action: str
    state: CurationState


class CurationStore:
    """The revisions of the live curation in one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def latest_number(self) -> int:
        """The newest revision's number; 0 while there is none. Raises one of ERRORS."""
        with self.database.connect() as db:
            (number,) = db.execute("SELECT max(revision) FROM curation").fetchone()
        return number or 0

    def latest(self) -> Revision | None:
        with self.database.connect() as db:
            row = db.execute("SELECT revision, at, editor, action, state FROM curation "
                             "ORDER BY revision DESC LIMIT 1").fetchone()
        return revision(row) if row else None

    def get(self, number: int) -> Revision | None:
        with self.database.connect() as db:
            row = db.execute("SELECT revision, at, editor, action, state FROM curation WHERE revision = ?",
                             (number,)).fetchone()
        return revision(row) if row else None

    def history(self, limit: int = 50) -> list[Revision]:
        """The latest revisions, newest first."""
        with self.database.connect() as db:
            rows = db.execute("SELECT revision, at, editor, action, state FROM curation "
                              "ORDER BY revision DESC LIMIT ?", (limit,)).fetchall()
        return [revision(row) for row in rows]

    def commit(self, editor: str, action: str, state: CurationState) -> Revision:
        """Record a new state as the newest revision. Raises one of ERRORS when it cannot."""
        text = json.dumps(state.to_json(), ensure_ascii=False, sort_keys=True)
        for attempt in range(COMMIT_TRIES):
            try:
                with self.database.connect() as db:
                    (last,) = db.execute("SELECT max(revision) FROM curation").fetchone()
                    number, at = (last or 0) + 1, time.time()
                    db.execute("INSERT INTO curation (revision, at, editor, action, state) VALUES (?, ?, ?, ?, ?)",
                               (number, at, editor, action, text))
                return Revision(number, at, editor, action, state)
            except ERRORS as exc:
                if attempt == COMMIT_TRIES - 1 or not collided(exc):
                    raise
                time.sleep(RETRY_SECONDS * (attempt + 1))
        raise AssertionError("unreachable")


def collided(exc: BaseException) -> bool:
    """Whether a write failed because another edit was written at the same moment."""
    text = str(exc).lower()
    return any(sign in text for sign in ("unique", "duplicate key", "locked", "busy"))


def revision(row) -> Revision:
    number, at, editor, action, state = row
    return Revision(number, at, editor, action, CurationState.from_json(json.loads(state)))
