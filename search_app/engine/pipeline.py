"""One question's path, stage by stage, on one snapshot of the index:

    the question's language -> its profile -> the question as the corpus reads it (spelling, synonyms,
    phrasings) -> its reading by the judging model -> the editors' best bet -> off-topic or not ->
    candidates (the strategy) -> scores (dense, keyword) -> pages with their best sections -> how well
    they match -> the result.

Each stage is a function of plain values; the strategy (search_app.engine.strategies) and the
language's profile (search_app.engine.profiles) are data, chosen once at the top.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from search_app.engine import matching, ranking, rereading
from search_app.engine.profiles import LanguageProfile, for_site, spoken
from search_app.engine.query_words import question_focus
from search_app.engine.ranking import RankingConfig
from search_app.engine.results import QuestionVector, SearchOptions, SearchResult
from search_app.engine.snapshot import Snapshot, keyword_terms
from search_app.engine.strategies import Candidates, Hits, Reading, Strategy, strategy_for
from search_index.pair_reader import PairReader
from search_index.query_encoder import QueryEncoder
from search_index.synonyms import expansions

MODELS = ("minilm", "e5")


@dataclass(frozen=True)
class Question:
    """A question as the corpus reads it: as asked, corrected (or None), the synonyms it brings, and
    the phrasings the judging model reads (the question, its focus sentence, with its synonyms)."""

    asked: str
    corrected: str | None
    also: list[str]
    phrasings: list[str]

    @property
    def text(self) -> str:
        return self.corrected or self.asked


def understand(query: str, profile: LanguageProfile, options: SearchOptions, snapshot: Snapshot) -> Question:
    corrected = snapshot.speller.correct(query) if options.correct and profile.corrected else None
    text = corrected or query
    also = expansions(text, snapshot.synonyms) if profile.synonyms else []
    focus = question_focus(text) if profile.focus else None
    phrasings = [text, *filter(None, [focus])] + ([f"{text} ({', '.join(also)})"] if also else [])
    return Question(query, corrected, also, phrasings)


class Reader:
    """Reads the question with a model: its vectors and nearest passages (k of them), and whether every
    vector came from the encoders' caches."""

    def __init__(self, snapshot: Snapshot, encoders: Mapping[str, QueryEncoder], k: int) -> None:
        self.snapshot, self.encoders, self.k = snapshot, encoders, k
        self.cached = True

    def read(self, model: str, texts: list[str]) -> Reading:
        vectors, cached = self.encoders[model].encode(texts)
        self.cached = self.cached and cached
        return Reading(model, vectors, ranking.best_of(*self.snapshot.reader.dense(vectors, self.k, model))[: self.k])

    def fuse(self, first: Reading, second: Reading, weight: float) -> Hits:
        """The candidates of both readings, each scored by both models on the first one's scale
        (search_app.engine.ranking.fuse_models, `weight` the second one's share)."""
        reader = self.snapshot.reader
        ids = list(dict.fromkeys(passage_id for passage_id, _ in first.hits + second.hits))
        first_cosines = np.max([reader.cosines(ids, vector, first.model) for vector in first.vectors], axis=0)
        second_cosines = reader.cosines(ids, second.vectors[0], second.model)
        spread = self.snapshot.spread
        scores = ranking.fuse_models(first_cosines, spread(first.vectors[0], first.model), second_cosines,
                                     spread(second.vectors[0], second.model), weight)
        return sorted(zip(ids, scores.tolist(), strict=True), key=lambda item: -item[1])


def search(snapshot: Snapshot, encoders: Mapping[str, QueryEncoder], config: RankingConfig, query: str,
           options: SearchOptions, pair_reader: PairReader | None = None) -> SearchResult:
    profile = for_site(spoken(query, options.interface, config.profiles), snapshot.ranking, config.pinned)
    strategy = strategy_for(options.mode, profile)
    question = understand(query, profile, options, snapshot)
    reader = Reader(snapshot, encoders, config.filtered_candidates if options.site else config.dense_candidates)
    judge = strategy.judge or profile.reader
    judged = reader.read(judge, question.phrasings)
    recommended = (snapshot.curator.recommend(question.text, judged.vectors[0], options.site)
                   if profile.best_bets and not options.offset else None)
    result = SearchResult(query, 0, no_match=recommended is None, corrected_query=question.corrected,
                          version=snapshot.version, recommended=recommended,
                          match="none" if recommended is None else "good",
                          vector=QuestionVector(judge, judged.vectors[0]), language=profile.code,
                          unmarked=snapshot.unmarked(question.text))
    if off_topic(judged, question, profile, snapshot):
        result.cached = reader.cached
        return result
    found = first_stage(snapshot, reader, question, judged, profile, strategy, config, options.site)
    other, scores, owners = found.other, found.scores, found.owners
    reread = (rereading.reread(pair_reader, question.text, owners, scores, snapshot.reader.passages,
                               config.reread_candidates, config.reread_weight)
              if pair_reader is not None and profile.reread and strategy.rereads and config.reread_candidates
              else None)
    bonus = page_bonus(snapshot, owners, judged, other, strategy, profile, config)
    pages, total = page_window(snapshot, owners, reread.scores if reread else scores, bonus, options, config)
    focus = matching.focus_words(question.text, snapshot.common)
    absent = (absent_words(focus, pages, recommended, snapshot, config)
              if profile.weak_missing_below is not None else [])
    # The first section's passage was read unless a page's bonus lifted a page none of whose sections
    # the stage read: then the first stage judges.
    first_read = reread.read.get(pages[0].sections[0].passage.id) if reread and pages else None
    if first_read is not None:
        result.answers = rereading.answers_probability(first_read, config.reread_calibration)
        match = "good" if recommended else matching.quality(False, result.answers, [], profile.weak_answers_below,
                                                              profile.weak_answers_below)
    else:
        weak_below = profile.weak_below[judge]
        covered = profile.rescued_by_words and bool(pages) and covers(focus, pages[0])
        match = "good" if recommended else matching.quality(not pages, judged.hits[0][1], absent, weak_below,
                                                              profile.weak_missing_below or weak_below, covered)
    result.total, result.pages, result.no_match, result.match, result.missing = total, pages, False, match, absent
    result.cached = reader.cached
    return result


@dataclass
class FirstStage:
    """What the first stage found: the other model's reading (read when first asked for), the keyword
    hits, the candidates' scores by passage id, and the owners of those the reader may see."""

    other: OtherReading
    keyword: Hits
    scores: dict[int, float]
    owners: dict


def first_stage(snapshot: Snapshot, reader: Reader, question: Question, judged: Reading, profile: LanguageProfile,
                strategy: Strategy, config: RankingConfig, site: str | None) -> FirstStage:
    """The candidates of the strategy, scored by dense and keyword sides, without what is hidden or
    (with a site filter) on other sites."""
    other = OtherReading(reader, next(model for model in MODELS if model != judged.model), question.text)
    dense = strategy.candidates(Candidates(judged, other, reader.fuse, config.rrf_k, config.fused_weight), profile)
    terms = keyword_terms(question.text, snapshot.keyword_also(question.also), snapshot.common)
    keyword = snapshot.reader.keyword(terms, config.keyword_candidates) if strategy.asks_keyword(profile) else []
    names = (snapshot.reader.keyword(snapshot.names(question.text), config.keyword_candidates)
             if strategy.asks_names(profile) else [])
    scores = strategy.scores(dense, keyword, names, profile, config)
    owners = snapshot.curator.visible(snapshot.reader.owners(list(scores), site))
    return FirstStage(other, keyword, scores, owners)


def off_topic(judged: Reading, question: Question, profile: LanguageProfile, snapshot: Snapshot) -> bool:
    """No passage is near, or the nearest is no closer than the version's everyday off-topic questions
    come (unless, where the language's words are the corpus's, a passage holds every word asked)."""
    if not judged.hits:
        return True
    if judged.hits[0][1] >= snapshot.threshold(judged.model, profile.off_topic_quantile):
        return False
    return not (profile.rescued_by_words and snapshot.holds_every_word(question.text))


class OtherReading:
    """The other model's reading of the question, read only when a strategy first asks for it."""

    def __init__(self, reader: Reader, model: str, text: str) -> None:
        self.reader, self.model, self.text = reader, model, text
        self.found: Reading | None = None

    def __call__(self) -> Reading:
        if self.found is None:
            self.found = self.reader.read(self.model, [self.text])
        return self.found


def page_bonus(snapshot: Snapshot, owners: dict, judged: Reading, other: OtherReading, strategy: Strategy,
               profile: LanguageProfile, config: RankingConfig) -> dict[int, float] | None:
    """What lifts or lowers a whole page, in strategies that use it: its title's closeness to the
    question, past the language's title_floor (by both models when the other reads the question), and
    a page in another language than the question's."""
    if not strategy.page_bonus:
        return None
    page_ids = list(dict.fromkeys(owner.page_id for owner in owners.values()))
    bonus = {}
    if profile.titles and page_ids:
        reader = snapshot.reader
        scores = (reader.title_vectors(page_ids, judged.model) @ judged.vectors.T).max(axis=1)
        if strategy.reads_other(profile):
            second = other()
            second_scores = reader.title_vectors(page_ids, second.model) @ second.vectors[0]
            scores = ranking.fuse_models(scores, snapshot.spread(judged.vectors[0], judged.model), second_scores,
                                         snapshot.spread(second.vectors[0], second.model),
                                         profile.second_reader_weight)
        lifted = config.title_weight * np.maximum(scores - profile.title_floor, 0.0)
        bonus = dict(zip(page_ids, lifted.tolist(), strict=True))
    for page_id, written in zip(page_ids, snapshot.reader.page_languages(page_ids), strict=True):
        bonus[page_id] = bonus.get(page_id, 0.0) - (written != profile.code) * profile.other_language_penalty
    return bonus


def page_window(snapshot: Snapshot, owners: dict, scores: dict[int, float], bonus: dict[int, float] | None,
                options: SearchOptions, config: RankingConfig) -> tuple[list[ranking.PageHit], int]:
    """The pages of the requested window with their records, and how many pages were ranked."""
    ranked = ranking.group(owners, scores, bonus, config.sections_per_page)
    window = ranked[options.offset: options.offset + options.limit]
    records = snapshot.reader.passages([passage_id for page in window for _, passage_id, _ in page.sections])
    return ranking.page_hits(window, records), len(ranked)


def covers(focus: list[str], page: ranking.PageHit) -> bool:
    """Whether the first section (its page's title, its heading and its passage) holds every word the
    question is about (`focus`): the pages talk about what was asked, however briefly ("her2")."""
    first = page.sections[0]
    return bool(focus) and not matching.unheld(focus, (page.title, first.heading, first.passage.text))


def absent_words(focus: list[str], pages: list[ranking.PageHit], recommended, snapshot: Snapshot,
                 config: RankingConfig) -> list[str]:
    """The question's focus words that neither the shown passages nor the corpus hold."""
    texts = [text for page in pages for hit in page.sections[: config.excerpts_per_page]
             for text in (page.title, hit.heading, hit.passage.text)]
    for record in recommended.passages if recommended else []:
        texts += [record.title, record.text]
    return matching.missing(focus, texts, snapshot.corpus_terms)
