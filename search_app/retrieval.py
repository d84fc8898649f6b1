"""Question -> candidate passages from the published index (dense and keyword) -> ranked pages.

The retriever follows the index directory's published version: when a new one is published, the
next search opens it and later searches use it; searches already running finish on the old one.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search_app import matching, ranking
from search_app.answers import AnswerMarker
from search_app.curation import Curator, Recommendation
from search_app.query_words import content_words, question_focus
from search_app.ranking import RankingConfig
from search_app.spelling import Speller
from search_app.suggest import Suggester, topics
from search_index import embedding, keywords, language, publishing
from search_index.best_bets import Curation
from search_index.embedding import MODEL_CACHE
from search_index.format import StoreError
from search_index.publishing import open_version, published_version
from search_index.query_encoder import QueryEncoder, encoders
from search_index.reader import PageInfo, stats
from search_index.synonyms import expansions

REFRESH_SECONDS = 1.0
log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """No index version can be served; the message says why."""


def describe(exc: Exception) -> str:
    """An error in one line: its own message, or its type where it has none."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text if isinstance(exc, StoreError) else f"{type(exc).__name__}: {text}".rstrip(": ")


@dataclass(frozen=True)
class SearchOptions:
    limit: int = 10
    offset: int = 0
    site: str | None = None
    mode: str = "default"
    correct: bool = True
    interface: str = language.DEFAULT  # the reader's interface language (search_index.language.detect)


@dataclass(frozen=True)
class QuestionVector:
    """A question's vector and the model (by key) that made it, which also finds its answer sentence."""

    model: str
    vector: np.ndarray


@dataclass
class SearchResult:
    query: str
    total: int
    pages: list[ranking.PageHit] = field(default_factory=list)
    no_match: bool = False
    corrected_query: str | None = None
    version: str = ""
    cached: bool = False
    recommended: Recommendation | None = None
    match: str = "none"
    missing: list[str] = field(default_factory=list)
    vector: QuestionVector | None = None
    language: str = language.DEFAULT


def keyword_terms(query: str, also: Sequence[str] = (), common: frozenset[str] = frozenset()) -> list[str]:
    """The keyword terms of a question: its content words (those in `common` left out unless nothing
    else is left) and any synonym phrases in `also`, as search_index.keywords indexes them."""
    words = content_words(query)
    words = [w for w in words if w not in common] or words
    return [term for w in words for term in word_terms(w)] + [keywords.phrase_term(p) for p in also]


def word_terms(word: str) -> list[str]:
    """A word's keyword terms; of a word that splits ("30's", "non-smoker"), the pieces of two or more
    characters (a lone "s" of a possessive would match almost every passage)."""
    pieces = keywords.tokens(word)
    return [p for p in pieces if len(p) > 1] or pieces if len(pieces) > 1 else pieces


class IndexState:
    """One published version and what is derived from it: its reader and its speller."""

    def __init__(self, index_dir: Path, config: RankingConfig, version: str | None = None) -> None:
        self.reader = open_version(index_dir, version)
        self.version = self.reader.version
        info = embedding.model_info()
        expected = self.reader.manifest["model"]
        if not info.built(expected):
            raise StoreError(f"index built with {expected['name']} ({expected['sha256'][:12]}), "
                             f"but the installed model is {info.name} ({info.sha256[:12]}): rebuild the index")
        vocabulary = self.reader.vocabulary()
        self.speller = Speller(vocabulary)
        self.min_score = ranking.off_topic_threshold(self.reader.manifest["off_topic_scores"],
                                                     config.off_topic_quantile)
        self.min_score_es = ranking.off_topic_threshold(self.reader.manifest["e5_off_topic_scores"],
                                                        config.off_topic_quantile_es)
        limit = config.common_share * self.reader.manifest["counts"]["passages"]
        self.common = frozenset(word for word, count in vocabulary if count > limit)
        self.corpus_words = frozenset(word for word, _ in vocabulary)
        self.sites = self.reader.sites()
        self.helpline: str = self.reader.manifest.get("helpline", "")
        self.reader.owners([])  # reads the passages' owners now rather than in the first search
        self.synonyms = [tuple(group) for group in self.reader.manifest.get("synonyms", [])]
        self.curator = Curator(self.reader.resolved_curation(), self.synonyms, config.best_bet_min_cosine)
        phrasings = [p for bet in self.curator.bets for p in bet.phrasings]
        suggested = topics(self.reader.headings(), self.synonyms, self.reader.manifest.get("phrases", []), phrasings)
        self.suggester = Suggester(suggested, self.speller)


class Retriever:
    """Searches the published version of an index directory, following new publications."""

    def __init__(self, index_dir: Path, config: RankingConfig = RankingConfig(),
                 question_encoders: dict[str, QueryEncoder] | None = None,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.index_dir = Path(index_dir)
        self.config = config
        self.encoders = question_encoders or encoders(MODEL_CACHE)
        self.answers = {key: AnswerMarker(encoder.encode_sentences) for key, encoder in self.encoders.items()}
        self.refresh_seconds = refresh_seconds
        self.problem: str | None = None
        self.encoder_problem = next(filter(None, (encoder.problem() for encoder in self.encoders.values())), None)
        self._state: IndexState | None = None
        self._refused: str | None = None
        self._lock = threading.Lock()
        self._follow()
        self._checked = time.monotonic()

    def state(self) -> IndexState:
        """The served version's state, switching to a newly published version when it can be opened;
        NotReady when nothing can be answered: no version opens, the served version holds no pages, or
        the question encoder does not work."""
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
        if not self._state.reader.manifest["counts"]["pages"]:
            raise NotReady(f"the served version {self._state.version} holds no pages: publish one that does, "
                           "or roll back (`python -m indexer rollback`)")
        return self._state

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
            self._state = IndexState(self.index_dir, self.config, version)
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
                self._state = IndexState(self.index_dir, self.config, candidate)
            except Exception as exc:  # noqa: BLE001 - try the next one
                log.error("version %s cannot be served either: %s", candidate, describe(exc))
                continue
            self.problem += f"; serving the newest version that opens, {candidate}"
            return

    @property
    def version(self) -> str:
        return self.state().version

    @property
    def serving(self) -> str | None:
        """The version being served, or None."""
        return self._state.version if self._state else None

    def sites(self) -> dict[str, int]:
        return self.state().sites

    def status(self) -> dict:
        """What a maintainer wants to know about the served version (`search_index.reader.stats`)."""
        return stats(self.state().reader)

    def helpline(self) -> str:
        """The helpline line of the sources file ("" when it names none)."""
        return self.state().helpline

    def shown_page(self, url: str) -> PageInfo | None:
        """The served version's record of the page at this address; None when it holds no such page
        or the editors hide it."""
        state = self.state()
        info = state.reader.page_by_url(url)
        return None if info is None or info.page_id in state.curator.hidden_pages else info

    def curation(self) -> Curation:
        """The best bets and hidden pages of the served version."""
        return self.state().reader.curation()

    def history(self, limit: int) -> list[dict]:
        """The latest publications and rollbacks of the index directory, newest first."""
        return publishing.history(self.index_dir, limit)

    def suggest(self, typed: str) -> list[str]:
        """Topics of the served version completing what has been typed."""
        return self.state().suggester.suggest(typed)

    def keyword(self, query: str, k: int, state: IndexState) -> list[tuple[int, float]]:
        """Keyword hits for any content word of the question or its synonyms."""
        terms = keyword_terms(query, expansions(query, state.synonyms), state.common)
        return state.reader.keyword(terms, k)

    def holds_every_word(self, query: str, state: IndexState) -> bool:
        """Whether a passage holds every content word of the question."""
        return bool(state.reader.keyword(keyword_terms(query), 1, every=True))

    def mark_answer(self, question: QuestionVector, shown: str) -> tuple[int, int] | None:
        """The sentence of an excerpt that best answers the question (search_app.answers)."""
        return self.answers[question.model].mark(question.vector, shown)

    def search(self, query: str, options: SearchOptions = SearchOptions()) -> SearchResult:
        """English questions: MiniLM (fused with multilingual-e5 when e5_weight > 0), keyword and title
        signals on top, spelling corrected. Spanish questions: multilingual-e5 alone, never corrected
        into English."""
        state = self.state()
        spoken = language.detect(query, options.interface)
        if spoken == "es":
            return self.search_spanish(query, options, state)
        config = self.config
        corrected = state.speller.correct(query) if options.correct else None
        effective = corrected or query
        k = config.filtered_candidates if options.site else config.dense_candidates
        also = expansions(effective, state.synonyms)
        questions = [effective, *filter(None, [question_focus(effective)])]
        questions += [f"{effective} ({', '.join(also)})"] if also else []
        vectors, cached = self.encoders["minilm"].encode(questions)
        minilm = ranking.best_of(*state.reader.dense(vectors, k))[:k]
        question = QuestionVector("minilm", vectors[0])
        recommended = state.curator.recommend(effective, vectors[0], options.site) if not options.offset else None
        empty = SearchResult(query, 0, no_match=recommended is None, corrected_query=corrected,
                             version=state.version, cached=cached, recommended=recommended,
                             match="none" if recommended is None else "good", vector=question)
        if not minilm:
            return empty
        best = minilm[0][1]
        if best < state.min_score and not self.holds_every_word(effective, state):
            return empty
        e5_vector = None
        if options.mode in ("fused", "rrf", "e5") or (options.mode == "default" and config.e5_weight > 0):
            found, e5_cached = self.encoders["e5"].encode([effective])
            e5_vector, cached = found[0], cached and e5_cached
            dense = self.fused(state, vectors, e5_vector, minilm, k, options.mode)
        else:
            dense = minilm
        keyword = self.keyword(effective, config.keyword_candidates, state) if options.mode not in ranking.DENSE else []
        scores = ranking.fuse(options.mode, dense, keyword, config)
        owners = state.curator.visible(state.reader.owners(list(scores), options.site))
        bonus = None
        if options.mode == "default":
            page_ids = list(dict.fromkeys(owner.page_id for owner in owners.values()))
            bonus = self.title_bonus(state, page_ids, vectors, e5_vector)
            for page_id, spoken in zip(page_ids, state.reader.page_languages(page_ids), strict=True):
                bonus[page_id] = bonus.get(page_id, 0.0) - (spoken != "en") * config.other_language_penalty
        pages, total = self.page_window(state, owners, scores, bonus, options)
        absent = self.absent_words(effective, pages, recommended, state)
        match = "good" if recommended else matching.quality(not pages, best, absent, config.weak_below,
                                                              config.weak_missing_below)
        return SearchResult(query, total, pages, corrected_query=corrected, version=state.version,
                            cached=cached, recommended=recommended, match=match, missing=absent, vector=question)

    def fused(self, state: IndexState, vectors: np.ndarray, e5_vector: np.ndarray,
              minilm: list[tuple[int, float]], k: int, mode: str) -> list[tuple[int, float]]:
        """The candidates of both models, each scored by both (search_app.ranking.fuse_models, e5's share
        e5_weight, or FUSED_MODE_WEIGHT in mode "fused"); in mode "e5", by multilingual-e5 alone; in
        mode "rrf", by reciprocal rank fusion of the two rankings."""
        e5 = state.reader.dense(e5_vector, k, "e5")[0]
        if mode == "e5":
            return e5
        if mode == "rrf":
            return sorted(ranking.rrf([minilm, e5], self.config.rrf_k).items(), key=lambda item: -item[1])
        ids = list(dict.fromkeys([passage_id for passage_id, _ in minilm + e5]))
        minilm_cosines = np.max([state.reader.cosines(ids, vector, "minilm") for vector in vectors], axis=0)
        e5_cosines = state.reader.cosines(ids, e5_vector, "e5")
        weight = self.config.e5_weight if mode == "default" else ranking.FUSED_MODE_WEIGHT
        scores = ranking.fuse_models(minilm_cosines, state.reader.spread(vectors[0], "minilm"), e5_cosines,
                                     state.reader.spread(e5_vector, "e5"), weight)
        return sorted(zip(ids, scores.tolist(), strict=True), key=lambda item: -item[1])

    def title_bonus(self, state: IndexState, page_ids: list[int], vectors: np.ndarray,
                    e5_vector: np.ndarray | None) -> dict[int, float]:
        """title_weight x how far the question's closeness to each page's title passes title_floor, by
        MiniLM (both models fused as the passages are, when e5 read the question): the page about what
        was asked is lifted above pages that only mention it."""
        if not page_ids:
            return {}
        scores = (state.reader.title_vectors(page_ids) @ vectors.T).max(axis=1)
        if e5_vector is not None:
            e5 = state.reader.title_vectors(page_ids, "e5") @ e5_vector
            scores = ranking.fuse_models(scores, state.reader.spread(vectors[0], "minilm"), e5,
                                         state.reader.spread(e5_vector, "e5"), self.config.e5_weight)
        lifted = self.config.title_weight * np.maximum(scores - self.config.title_floor, 0.0)
        return dict(zip(page_ids, lifted.tolist(), strict=True))

    def search_spanish(self, query: str, options: SearchOptions, state: IndexState) -> SearchResult:
        """A Spanish question: multilingual-e5's nearest passages (MiniLM's in mode "dense"), with the
        keyword side only at keyword_weight_es > 0 (measured: it costs Spanish questions; no synonyms,
        they are English), no best bets (their phrasings are English), no spelling correction; `weak`
        by e5's best cosine alone."""
        k = self.config.filtered_candidates if options.site else self.config.dense_candidates
        key = "minilm" if options.mode == "dense" else "e5"
        vectors, cached = self.encoders[key].encode([query])
        question = QuestionVector(key, vectors[0])
        dense = state.reader.dense(vectors, k, key)[0]
        threshold = state.min_score_es if key == "e5" else state.min_score
        if not dense or dense[0][1] < threshold:
            return SearchResult(query, 0, no_match=True, version=state.version, cached=cached, vector=question,
                                language="es")
        scores = dict(dense)
        if key == "e5" and self.config.keyword_weight_es > 0:
            keyword = state.reader.keyword(keyword_terms(query, (), state.common), self.config.keyword_candidates)
            scores = ranking.weighted(dense, keyword, self.config.keyword_weight_es)
        owners = state.curator.visible(state.reader.owners(list(scores), options.site))
        page_ids = list(dict.fromkeys(owner.page_id for owner in owners.values()))
        penalty = self.config.other_language_penalty_es
        bonus = {page_id: -penalty * (spoken != "es")
                 for page_id, spoken in zip(page_ids, state.reader.page_languages(page_ids), strict=True)}
        pages, total = self.page_window(state, owners, scores, bonus, options)
        weak_below = self.config.weak_below_es if key == "e5" else self.config.weak_below
        match = matching.quality(not pages, dense[0][1], [], weak_below, weak_below)
        return SearchResult(query, total, pages, version=state.version, cached=cached, match=match,
                            vector=question, language="es")

    def page_window(self, state: IndexState, owners: dict, scores: dict[int, float], bonus: dict[int, float] | None,
                    options: SearchOptions) -> tuple[list[ranking.PageHit], int]:
        """The pages of the requested window with their records, and how many pages were ranked."""
        ranked = ranking.group(owners, scores, bonus, self.config.sections_per_page)
        window = ranked[options.offset: options.offset + options.limit]
        records = state.reader.passages([passage_id for page in window for _, passage_id, _ in page.sections])
        return ranking.page_hits(window, records), len(ranked)

    def absent_words(self, question: str, pages: list[ranking.PageHit], recommended: Recommendation | None,
                     state: IndexState) -> list[str]:
        """The question's focus words that neither the shown passages nor the corpus hold."""
        texts = [text for page in pages for hit in page.sections[: self.config.excerpts_per_page]
                 for text in (page.title, hit.heading, hit.passage.text)]
        for record in recommended.passages if recommended else []:
            texts += [record.title, record.text]
        words = matching.focus_words(question, state.common)
        return matching.missing(words, texts, state.corpus_words)
