"""One published version and what is derived from it: its reader, speller, thresholds, curation and
suggestions. A request takes one snapshot and everything it shows comes from it."""
from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from search_app.engine import ranking
from search_app.engine.curation import Curator
from search_app.engine.profiles import spoken
from search_app.engine.query_words import content_words
from search_app.engine.ranking import RankingConfig
from search_app.engine.spelling import Speller
from search_app.engine.suggest import Suggester, topics
from search_index import keywords, language
from search_index.best_bets import Curation
from search_index.curation_store import CurationState
from search_index.format import StoreError
from search_index.models import ModelInfo
from search_index.publishing import open_version
from search_index.reader import PageInfo, stats
from search_index.targets import resolved_curation


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


# Questions offered when a question finds no good match.
CLOSE_QUESTIONS = 5


class Snapshot:
    """One published version and what is derived from it."""

    def __init__(self, index_dir: Path, config: RankingConfig, questions: ModelInfo,
                 version: str | None = None) -> None:
        """`questions`: the model the app's questions are encoded with, which must be the version's."""
        self.reader = open_version(index_dir, version)
        self.config = config
        self.version = self.reader.version
        info = questions
        expected = self.reader.manifest.model
        if not info.built(expected):
            raise StoreError(f"index built with {expected['name']} ({expected['sha256'][:12]}), "
                             f"but the installed model is {info.name} ({info.sha256[:12]}): rebuild the index")
        vocabulary = self.reader.vocabulary()
        self.speller = Speller(vocabulary)
        limit = config.common_share * self.reader.manifest.counts["passages"]
        self.common = frozenset(word for word, count in vocabulary if count > limit)
        self.corpus_terms = frozenset(keywords.tokens(" ".join(word for word, _ in vocabulary)))
        self.everywhere = self.reader.terms_held_by(config.highlight_max_share)
        self.sites = self.reader.sites()
        self.helpline: str = self.reader.manifest.helpline
        self.share_copies = frozenset(self.reader.manifest.share_copies)
        self.ranking: dict[str, dict[str, float]] = self.reader.manifest.ranking
        self.reader.owners([])  # reads the passages' owners now rather than in the first search
        self.thresholds: dict[tuple[str, float], float] = {}
        self.samples = {model: self.reader.sample_vectors(model, config.spread_sample)
                        for model in self.reader.model_vectors}
        self.synonyms = [tuple(group) for group in self.reader.manifest.synonyms]
        # Synonym phrases the keyword side counts as terms of their own (those of the build's list).
        self.phrases = frozenset(term for group in self.synonyms for term in group if " " in term)
        self.headings = self.reader.headings()
        self.revision = 0
        self.curator = Curator(resolved_curation(self.reader), self.synonyms, config.best_bet_min_cosine)
        self.suggester = self._suggester()

    def _suggester(self) -> Suggester:
        phrasings = [p for bet in self.curator.bets for p in bet.phrasings]
        return Suggester(topics(self.headings, self.synonyms, self.reader.manifest.phrases, phrasings), self.speller)

    def curated(self, state: CurationState, bet_vectors: np.ndarray, revision: int) -> Snapshot:
        """This version with the editors' live curation (revision `revision` of the record) in place of
        its own: its best bets (with their phrasings' vectors, one row each), hidden pages and sections,
        and synonyms. No passage's vector changes."""
        other = copy.copy(self)
        other.revision = revision
        other.synonyms = [tuple(group) for group in state.synonyms]
        other.speller = self.speller.knowing(term for group in state.synonyms for term in group)
        other.curator = Curator(resolved_curation(self.reader, state.curation, bet_vectors), other.synonyms,
                                self.config.best_bet_min_cosine)
        other.suggester = other._suggester()
        return other

    def keyword_also(self, also: Sequence[str]) -> list[str]:
        """Synonym terms as the keyword side can search them: a phrase it counts as a term of its own
        stays one; another phrase (added after the build) is searched by its words."""
        return [piece for term in also for piece in ([term] if " " not in term or term in self.phrases
                                                     else term.split())]

    def names(self, question: str) -> list[str]:
        """The keyword terms of the question's names: its content words that the English word list does
        not hold, numbers and the corpus's most common words aside ("nccn", "her2", "brca"). The
        models read such words poorly; the keyword side matches them exactly."""
        english = self.speller.english
        words = [w for w in content_words(question) if w not in english and w not in self.common and not w.isdigit()]
        return [term for word in words for term in word_terms(word)]

    def unmarked(self, question: str) -> frozenset[str]:
        """The question's words that are not highlighted: those most passages hold."""
        return frozenset(word for word in content_words(question)
                         if (terms := keywords.tokens(word)) and all(t in self.everywhere for t in terms))

    def threshold(self, model: str, quantile: float) -> float:
        """The best-passage cosine, by `model`, under which a question counts as off-topic here (computed
        once per model and quantile, not per search)."""
        key = (model, quantile)
        if key not in self.thresholds:
            self.thresholds[key] = ranking.off_topic_threshold(self.reader.manifest.calibration(model), quantile)
        return self.thresholds[key]

    def spread(self, query_vector: np.ndarray, model: str) -> tuple[float, float]:
        """Mean and standard deviation of the question's cosine to the passages (over a sample of them):
        the scale on which one model's cosines are compared with another's."""
        cosines = self.samples[model] @ np.asarray(query_vector, dtype=np.float32)
        if not len(cosines):
            return 0.0, 1.0
        return float(cosines.mean()), max(float(cosines.std()), 1e-6)

    def holds_every_word(self, query: str) -> bool:
        """Whether a passage holds every content word of the question."""
        return bool(self.reader.keyword(keyword_terms(query), 1, every=True))

    def shown_page(self, url: str) -> PageInfo | None:
        """The record of the page at this address; None when it holds no such page or the editors hide it."""
        info = self.reader.page_by_url(url)
        return None if info is None or info.page_id in self.curator.hidden_pages else info

    def browse(self) -> dict[str, list[tuple[str, PageInfo]]]:
        """The pages people can open (not those the editors hide), by site, with their addresses."""
        found: dict[str, list[tuple[str, PageInfo]]] = {}
        for url, info in self.reader.page_list():
            if info.page_id not in self.curator.hidden_pages:
                found.setdefault(info.site, []).append((url, info))
        return found

    def close_questions(self, question: str, interface: str = language.DEFAULT,
                        limit: int = CLOSE_QUESTIONS) -> list[str]:
        """What someone whose question found no good match could ask instead: the topics its less common
        words start (else the editors' reviewed questions); none for a question read in another language
        than the pages'."""
        if spoken(question, interface, self.config.profiles) is not self.config.profiles[0]:
            return []
        found: list[str] = []
        for word in (w for w in content_words(question) if w not in self.common):
            found += self.suggester.suggest(word, limit, respell=False)
        found += [phrasing for bet in self.curator.bets for phrasing in bet.phrasings[:1]]
        return [text for text in dict.fromkeys(found) if text != question.lower()][:limit]

    def curation(self) -> Curation:
        """The best bets and hidden pages served with this snapshot: the editors' live ones, else the
        version's own."""
        return self.curator.curation

    def status(self) -> dict:
        """What a maintainer wants to know about this version (`search_index.reader.stats`)."""
        return stats(self.reader)

    def suggest(self, typed: str, interface: str = language.DEFAULT) -> list[str]:
        """Topics completing what has been typed; none when it reads as another language than the
        pages' (the first profile's), for a reader of that `interface`."""
        if spoken(typed, interface, self.config.profiles) is not self.config.profiles[0]:
            return []
        return self.suggester.suggest(typed)
