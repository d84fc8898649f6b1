"""The editors' live curation as each worker serves it: the record's newest revision, read by a
background poller every POLL_SECONDS and applied to the served version (search_app.engine.snapshot
`curated`), so that an edit made on any replica is served by every replica within about a second.

A search never waits for the record: it takes the revision the poller last read. A record that is down
or slow keeps the last revision served (counted and shown on /admin/status); while none has been read,
the version's own curation (from the reviewed files) is served."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from search_app.engine.snapshot import Snapshot
from search_index.curation_store import CurationStore, Revision
from search_index.database import ERRORS, describe
from search_index.query_encoder import QueryEncoder

POLL_SECONDS = 0.5
log = logging.getLogger(__name__)


@dataclass
class FollowHealth:
    reads: int = 0
    failures: int = 0
    last_error: str | None = None
    last_read: float | None = None


class LiveCuration:
    """Follows the record's newest curation revision and applies it to snapshots."""

    def __init__(self, store: CurationStore, encoder: QueryEncoder, served: Callable[[], Snapshot | None],
                 poll_seconds: float = POLL_SECONDS) -> None:
        """`encoder`: the model best bets' phrasings are compared with questions by (MiniLM);
        `served`: the snapshot being served, if any (to apply a new revision to before it is asked for)."""
        self.store = store
        self.encoder = encoder
        self.served = served
        self.poll_seconds = poll_seconds
        self.current: Revision | None = None
        self.health = FollowHealth()
        self._applied: tuple[tuple[str, int], Snapshot] | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._poller_pid: int | None = None
        self.stopped = threading.Event()
        self.poll()

    def poll(self) -> bool:
        """Read the newest revision if it is new; False when the record could not be read."""
        try:
            number = self.store.latest_number()
            if number and (self.current is None or number != self.current.number):
                self.current = self.store.latest()
        except ERRORS as exc:
            self.health.failures += 1
            self.health.last_error = describe(exc)
            log.warning("live curation not read: %s", self.health.last_error)
            return False
        self.health.reads += 1
        self.health.last_read = time.time()
        return True

    def _start(self) -> None:
        """One poller per process (a forked worker starts its own)."""
        if self._poller_pid == os.getpid():
            return
        with self._lock:
            if self._poller_pid != os.getpid():
                self._poller_pid = os.getpid()
                threading.Thread(target=self._poll_forever, name="live-curation", daemon=True).start()

    def _poll_forever(self) -> None:
        while not self.stopped.wait(self.poll_seconds):
            if self.poll() and (served := self.served()) is not None:
                self.apply(served, start=False)

    def close(self) -> None:
        """Stop this process's poller."""
        self.stopped.set()

    def apply(self, snapshot: Snapshot, start: bool = True) -> Snapshot:
        """The snapshot with the newest revision read applied (the same object until either changes)."""
        if start:
            self._start()
        revision = self.current
        if revision is None:
            return snapshot
        key = (snapshot.version, revision.number)
        applied = self._applied
        if applied is not None and applied[0] == key:
            return applied[1]
        with self._lock:
            if self._applied is not None and self._applied[0] == key:
                return self._applied[1]
            vectors = self.vectors(snapshot, revision.state.curation.phrasings)
            curated = snapshot.curated(revision.state, vectors, revision.number)
            self._applied = (key, curated)
            return curated

    def vectors(self, snapshot: Snapshot, phrasings: Sequence[str]) -> np.ndarray:
        """One row per phrasing: those the version stored at build time, the others encoded once."""
        if not self._vectors:
            stored = snapshot.reader.curation().phrasings
            self._vectors.update(zip(stored, snapshot.reader.bet_vectors(), strict=False))
        missing = [p for p in dict.fromkeys(phrasings) if p not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.encoder.encode(missing)[0], strict=True))
        dimensions = snapshot.reader.vectors.d
        return (np.vstack([self._vectors[p] for p in phrasings]).astype(np.float32) if phrasings
                else np.zeros((0, dimensions), dtype=np.float32))

    def status(self) -> dict:
        """For /admin/status: the revision served and how reading the record goes."""
        revision = self.current
        return {"revision": revision.number if revision else None, "reads": self.health.reads,
                "failures": self.health.failures, "last_error": self.health.last_error,
                "last_read": self.health.last_read}
