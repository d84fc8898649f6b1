"""The published version of an index directory, followed: when a new one is published, the next
request takes it and later requests use it; requests already running finish on the old one. A search
runs the pipeline (search_app.engine.pipeline) on one snapshot.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from search_app.engine import pipeline, word_forms
from search_app.engine.answers import AnswerMarker, PairMarker
from search_app.engine.ranking import RankingConfig
from search_app.engine.results import Mark, SearchOptions, SearchResult, finish
from search_app.engine.snapshot import Snapshot
from search_index import pair_reader, publishing
from search_index.format import StoreError
from search_index.models import MODEL_CACHE
from search_index.publishing import published_version
from search_index.query_encoder import QueryEncoder, encoders

REFRESH_SECONDS = 1.0
log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """No index version can be served; the message says why."""


def describe(exc: Exception) -> str:
    """An error in one line: its own message, or its type where it has none."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text if isinstance(exc, StoreError) else f"{type(exc).__name__}: {text}".rstrip(": ")


class Retriever:
    """Searches the published version of an index directory, following new publications."""

    def __init__(self, index_dir: Path, config: RankingConfig = RankingConfig(),
                 question_encoders: dict[str, QueryEncoder] | None = None,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.index_dir = Path(index_dir)
        self.config = config
        self.encoders = question_encoders or encoders(MODEL_CACHE)
        self.answers = {key: AnswerMarker(encoder.encode_sentences, config.answer_min_cosine)
                        for key, encoder in self.encoders.items()}
        self.refresh_seconds = refresh_seconds
        # An optional part that cannot be used: the search answers without it, and /readyz says so.
        self.degraded: str | None = None
        unread = word_forms.load()
        if unread is not None:
            self.degraded = (f"word forms cannot be read ({describe(unread)}): each word is its own only form; "
                             "reinstall with `make setup`")
            log.error(self.degraded)
        self.problem: str | None = None
        self.encoder_problem = next(filter(None, (encoder.problem() for encoder in self.encoders.values())), None)
        self.pair_reader = self.pair_marker = None
        if config.reread_candidates:
            try:
                self.pair_reader = pair_reader.trained()
                self.pair_marker = PairMarker(self.pair_reader)
            except Exception as exc:  # noqa: BLE001 - a damaged install is reported by /readyz, not a crash
                problem = (f"the second stage's model cannot be read ({describe(exc)}): make it with "
                           "`make train-ranker`, or turn the stage off (reread_candidates 0)")
                self.encoder_problem = self.encoder_problem or problem
        self._state: Snapshot | None = None
        self._refused: str | None = None
        self._lock = threading.Lock()
        self._follow()
        self._checked = time.monotonic()

    def snapshot(self) -> Snapshot:
        """The served version, switching to a newly published version when it can be opened; NotReady
        when nothing can be answered: no version opens, the served version holds no pages, or the
        question encoder does not work. A request takes it once and uses it throughout."""
        if time.monotonic() - self._checked >= self.refresh_seconds and self._lock.acquire(blocking=False):
            try:
                self._checked = time.monotonic()
                self._follow()
            finally:
                self._lock.release()
        if self.encoder_problem:
            raise NotReady(f"questions cannot be encoded: {self.encoder_problem}")
        if self._state is None:
            raise NotReady(self.problem or "no index is loaded")
        if not self._state.reader.manifest.counts["pages"]:
            raise NotReady(f"the served version {self._state.version} holds no pages: publish one that does, "
                           "or roll back (`python -m indexer rollback`)")
        return self._state

    def search(self, query: str, options: SearchOptions = SearchOptions(),
               snapshot: Snapshot | None = None) -> SearchResult:
        """The question's results on `snapshot` (the served version unless given), finished to be shown."""
        snapshot = snapshot or self.snapshot()
        result = pipeline.search(snapshot, self.encoders, self.config, query, options, self.pair_reader)
        return finish(result, self.marker(result), snapshot.share_copies)

    def marker(self, result: SearchResult) -> Mark | None:
        """What marks the result's answer sentence: the pair reader where it read the question, else
        the question's model; nothing where the match is not `good` (the page says the passages may not
        answer, and no sentence is pointed at as the answer)."""
        if result.match != "good":
            return None
        if result.answers is not None and self.pair_marker is not None:
            marker = self.pair_marker
            return lambda record, shown: marker.mark(result.searched, record, shown)
        if result.vector is None:
            return None
        vector, by_model = result.vector.vector, self.answers[result.vector.model]
        return lambda record, shown: by_model.mark(vector, shown)

    def _follow(self) -> None:
        """Open the published version if it is new. Opening is all or nothing: a version that cannot be
        opened, for any reason, is reported and never switched to (the version being served stays); a
        worker with nothing served yet serves the newest version on disk that opens."""
        version = published_version(self.index_dir)
        served = self._state.version if self._state else None
        if version is not None and version == served:
            self.problem = self._refused = None
            return
        if version is not None and version == self._refused:
            return
        if version is None and self._state is not None:
            return
        try:
            if version is None:
                raise StoreError(f"no published index in {self.index_dir}: build one with `python -m indexer build`")
            self._state = Snapshot(self.index_dir, self.config, self.encoders["minilm"].info(), version)
            self.problem = self._refused = None
        except Exception as exc:  # noqa: BLE001 - a damaged version of any kind must not stop the service
            self._refused = version
            self.problem = f"version {version} cannot be served: {describe(exc)}"
            log.error(self.problem)
            if self._state is None:
                self._open_newest(exclude=version)

    def _open_newest(self, exclude: str | None) -> None:
        """Serve the newest version on disk, other than `exclude`, that opens (a fresh worker while
        `current` names a damaged or missing version)."""
        for candidate in reversed(publishing.versions(self.index_dir)):
            if candidate == exclude:
                continue
            try:
                self._state = Snapshot(self.index_dir, self.config, self.encoders["minilm"].info(), candidate)
            except Exception as exc:  # noqa: BLE001 - try the next one
                log.error("version %s cannot be served either: %s", candidate, describe(exc))
                continue
            self.problem += f"; serving the newest version that opens, {candidate}"
            return

    @property
    def version(self) -> str:
        return self.snapshot().version

    @property
    def current(self) -> Snapshot | None:
        """The snapshot being served, without following a new publication (None while none opens)."""
        return self._state

    @property
    def serving(self) -> str | None:
        """The version being served, or None."""
        return self._state.version if self._state else None

    def history(self, limit: int) -> list[dict]:
        """The latest publications and rollbacks of the index directory, newest first."""
        return publishing.history(self.index_dir, limit)
