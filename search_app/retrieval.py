"""Question -> candidate passages from the published index (dense and keyword) -> ranked pages.

The retriever follows the index directory's published version: when a new one is published, the
next search opens it and later searches use it; searches already running finish on the old one.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer import embedding
from indexer.store import IndexReader, PassageRecord, StoreError, published_version
from indexer.synonyms import expansions
from search_app import ranking
from search_app.spelling import Speller
from search_app.text import content_words, question_focus

DENSE_CANDIDATES = 200
FILTERED_CANDIDATES = 2000
KEYWORD_CANDIDATES = 200
MIN_SCORE = 0.42
REFRESH_SECONDS = 1.0
COMMON_SHARE = 0.2


@dataclass(frozen=True)
class SearchOptions:
    limit: int = 10
    offset: int = 0
    source: str | None = None
    mode: str = "default"
    correct: bool = True


@dataclass
class SearchResult:
    query: str
    total: int
    pages: list[ranking.PageHit] = field(default_factory=list)
    no_match: bool = False
    corrected_query: str | None = None
    version: str = ""


def keyword_query(query: str, operator: str = "OR", also: list[str] = (), common: frozenset[str] = frozenset()) -> str | None:
    """An FTS5 expression joining the question's content words (and any synonym phrases in `also`), each quoted
    so that no operator gets through. With OR, words in `common` are left out unless nothing else is left:
    they add almost nothing to BM25 and cost the most to score."""
    terms = content_words(query)
    if operator == "OR":
        terms = [t for t in terms if t not in common] or terms
    if not terms:
        return None
    return f" {operator} ".join('"' + t.replace('"', "") + '"' for t in [*terms, *also])


class IndexState:
    """One published version and what is derived from it: its reader and its speller."""

    def __init__(self, index_dir: Path, device: str, version: str | None = None) -> None:
        self.reader = IndexReader(index_dir, version)
        self.version = self.reader.version
        info = embedding.model_info(device)
        expected = self.reader.manifest["model"]
        if (info.name, info.sha256) != (expected["name"], expected["sha256"]):
            raise StoreError(f"index built with {expected['name']} ({expected['sha256'][:12]}), "
                             f"but the installed model is {info.name} ({info.sha256[:12]}): rebuild the index")
        vocabulary = self.reader.vocabulary()
        self.speller = Speller(vocabulary)
        limit = COMMON_SHARE * self.reader.manifest["counts"]["passages"]
        self.common = frozenset(word for word, count in vocabulary if count > limit)
        self.sources = self.reader.sources()
        self.synonyms = [tuple(group) for group in self.reader.manifest.get("synonyms", [])]


class Retriever:
    """Searches the published version of an index directory, following new publications."""

    def __init__(self, index_dir: Path, device: str = "cpu", fusion: ranking.Fusion = ranking.Fusion(),
                 min_score: float = MIN_SCORE, refresh_seconds: float = REFRESH_SECONDS,
                 sections_per_page: int = ranking.SECTIONS_PER_PAGE) -> None:
        self.index_dir = Path(index_dir)
        self.device = device
        self.fusion = fusion
        self.min_score = min_score
        self.sections_per_page = sections_per_page
        self.refresh_seconds = refresh_seconds
        self._state = IndexState(self.index_dir, device)
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def state(self) -> IndexState:
        """The current version's state, switching to a newly published version when there is one."""
        if time.monotonic() - self._checked >= self.refresh_seconds and self._lock.acquire(blocking=False):
            try:
                self._checked = time.monotonic()
                version = published_version(self.index_dir)
                if version and version != self._state.version:
                    self._state = IndexState(self.index_dir, self.device, version)
            finally:
                self._lock.release()
        return self._state

    @property
    def version(self) -> str:
        return self.state().version

    def sources(self) -> dict[str, int]:
        return self.state().sources

    def keyword(self, query: str, k: int, state: IndexState | None = None, operator: str = "OR") -> list[tuple[int, float]]:
        """Keyword hits for any content word and its synonyms (OR), or for all content words (AND)."""
        state = state or self.state()
        also = expansions(query, state.synonyms) if operator == "OR" else []
        match = keyword_query(query, operator, also, state.common)
        return state.reader.keyword(match, k) if match else []

    def title_bonus(self, state: IndexState, vectors: np.ndarray, records: dict[int, PassageRecord]) -> dict[int, float]:
        """A page whose title matches the question (what people ask about) is lifted above pages that only mention it."""
        page_ids = list(dict.fromkeys(r.page_id for r in records.values()))
        similarity = state.reader.title_similarity(vectors, page_ids)
        return {pid: self.fusion.title_weight * cos for pid, cos in similarity.items()}

    def search(self, query: str, options: SearchOptions = SearchOptions()) -> SearchResult:
        state = self.state()
        corrected = state.speller.correct(query) if options.correct else None
        effective = corrected or query
        k = FILTERED_CANDIDATES if options.source else DENSE_CANDIDATES
        questions = [effective, *filter(None, [question_focus(effective)])]
        vectors = np.vstack([embedding.embed_query(q, self.device) for q in questions])
        dense = ranking.best_of(*(state.reader.dense(v, k) for v in vectors))[:k]
        empty = SearchResult(query, 0, no_match=True, corrected_query=corrected, version=state.version)
        if not dense:
            return empty
        if dense[0][1] < self.min_score and not self.keyword(effective, 1, state, operator="AND"):
            return empty
        keyword = self.keyword(effective, KEYWORD_CANDIDATES, state) if options.mode != "dense" else []
        scores = ranking.fuse(options.mode, dense, keyword, self.fusion)
        records = state.reader.passages(list(scores))
        if options.source:
            records = {pid: r for pid, r in records.items() if r.source == options.source}
        bonus = self.title_bonus(state, vectors, records) if options.mode == "default" else None
        pages = ranking.group(records, scores, bonus, self.sections_per_page)
        window = pages[options.offset: options.offset + options.limit]
        return SearchResult(query, len(pages), window, corrected_query=corrected, version=state.version)
