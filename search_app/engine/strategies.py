"""How candidates are found and scored: the default strategy, which the app serves, and the ones it is
compared with (`mode` in the API and in bench/). A strategy is chosen once, from its name; the
pipeline then asks it, never which one it is.

- "default": the language's reader (with the other model at the language's share), the keyword side
  at the language's weight (and its names' at theirs), the page title bonus and the language penalty.
- "dense": MiniLM alone. "e5": multilingual-e5 alone. "fused": both models in equal parts, without the
  keyword and title signals. "rrf": both models by reciprocal rank fusion instead.
- "keyword": BM25 alone. "hybrid": reciprocal rank fusion of the reader and BM25.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from search_app.engine import ranking
from search_app.engine.profiles import LanguageProfile
from search_app.engine.ranking import RankingConfig

Hits = list[tuple[int, float]]


@dataclass(frozen=True)
class Reading:
    """A question read by one model: its vectors (one per phrasing) and its nearest passages."""

    model: str
    vectors: np.ndarray
    hits: Hits


@dataclass
class Candidates:
    """What a strategy works from: the judging reading, the other model's (read when first asked for),
    and how the two models' cosines are put on one scale (search_app.engine.ranking.fuse_models)."""

    judged: Reading
    other: Callable[[], Reading]
    fuse: Callable[[Reading, Reading, float], Hits]
    rrf_k: int
    fused_weight: float


class Strategy:
    name = ""
    judge: str | None = None  # the model that reads and judges the question; None: the language's reader
    page_bonus = False  # the page title bonus and the language penalty
    rereads = False  # the second stage (search_app.engine.rereading), in languages whose profile has it

    def asks_keyword(self, profile: LanguageProfile) -> bool:
        return False

    def asks_names(self, profile: LanguageProfile) -> bool:
        """Whether the keyword side also reads the question's names alone."""
        return False

    def candidates(self, found: Candidates, profile: LanguageProfile) -> Hits:
        return found.judged.hits

    def scores(self, dense: Hits, keyword: Hits, names: Hits, profile: LanguageProfile,
               config: RankingConfig) -> dict[int, float]:
        return dict(dense)

    def reads_other(self, profile: LanguageProfile) -> bool:
        """Whether the other model reads the question (its reading also scores the page titles)."""
        return False


class Default(Strategy):
    name, page_bonus, rereads = "default", True, True

    def asks_keyword(self, profile: LanguageProfile) -> bool:
        return profile.keyword_weight > 0

    def asks_names(self, profile: LanguageProfile) -> bool:
        return profile.name_keyword_weight > 0

    def candidates(self, found: Candidates, profile: LanguageProfile) -> Hits:
        if not self.reads_other(profile):
            return found.judged.hits
        return found.fuse(found.judged, found.other(), profile.second_reader_weight)

    def scores(self, dense: Hits, keyword: Hits, names: Hits, profile: LanguageProfile,
               config: RankingConfig) -> dict[int, float]:
        return ranking.weighted(dense, [(keyword, profile.keyword_weight), (names, profile.name_keyword_weight)])

    def reads_other(self, profile: LanguageProfile) -> bool:
        return profile.second_reader_weight > 0


class Dense(Strategy):
    name, judge = "dense", "minilm"


class E5(Strategy):
    name = "e5"

    def candidates(self, found: Candidates, profile: LanguageProfile) -> Hits:
        return found.other().hits


class Fused(Strategy):
    name = "fused"

    def candidates(self, found: Candidates, profile: LanguageProfile) -> Hits:
        return found.fuse(found.judged, found.other(), found.fused_weight)


class ReciprocalRank(Strategy):
    name = "rrf"

    def candidates(self, found: Candidates, profile: LanguageProfile) -> Hits:
        fused = ranking.rrf([found.judged.hits, found.other().hits], found.rrf_k)
        return sorted(fused.items(), key=lambda item: -item[1])


class Keyword(Strategy):
    name = "keyword"

    def asks_keyword(self, profile: LanguageProfile) -> bool:
        return True

    def scores(self, dense: Hits, keyword: Hits, names: Hits, profile: LanguageProfile,
               config: RankingConfig) -> dict[int, float]:
        return dict(keyword)


class Hybrid(Keyword):
    name = "hybrid"

    def scores(self, dense: Hits, keyword: Hits, names: Hits, profile: LanguageProfile,
               config: RankingConfig) -> dict[int, float]:
        return ranking.rrf([dense, keyword], config.rrf_k)


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (Default(), Dense(), E5(), Fused(), ReciprocalRank(),
                                                         Keyword(), Hybrid())}
MODES = tuple(STRATEGIES)


def strategy_for(mode: str, profile: LanguageProfile) -> Strategy:
    """The strategy of this name, or the default one where the language has no such comparison."""
    return STRATEGIES[mode if mode in profile.strategies else "default"]
