"""How search ranks: every weight, threshold and candidate count in one place, and the pure
functions that turn passage scores into ranked pages with their best sections."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import numpy as np

from search_app.engine.profiles import ENGLISH, SPANISH, LanguageProfile
from search_index.format import Owner, PassageRecord


@dataclass(frozen=True)
class RankingConfig:
    """The search's tuning. Figures are `make eval` on the benchmark index unless said otherwise."""

    # Nearest passages per question vector. The pages a person reads are among the top few dozen;
    # 200 leaves room for the keyword and title signals to reorder them.
    dense_candidates: int = 200
    # A site filter drops other sites' passages after retrieval, so it asks for ten times more.
    filtered_candidates: int = 2000
    # Keyword (BM25) hits fused with the dense candidates.
    keyword_candidates: int = 200
    # The keyword query leaves out words found in more than this share of passages: they add almost
    # nothing to BM25 and cost the most to score (keyword search 13 -> 7 ms; liveqa-dev nDCG@10
    # 0.429 -> 0.427, MedQuAD MRR@10 0.753 -> 0.751).
    common_share: float = 0.2
    # Default mode: a page scores its best section + w x the cosine of the question and its title;
    # 0.2 / 0.4 / 0.6 gave liveqa-dev nDCG@10 0.489 / 0.513 / 0.516, MedQuAD MRR@10 0.760 / 0.765 / 0.767.
    # (counting only the title cosine above the language's title_floor: search_app.engine.profiles).
    title_weight: float = 0.4
    # Sections returned per page: 3 / 5 / 10 gave liveqa-dev nDCG@10 0.427 / 0.459 / 0.468 (the judged
    # sections of one page are often several); more than 5 made results long for a small gain.
    sections_per_page: int = 5
    # Of those, the page shows this many with excerpts and the rest as links.
    excerpts_per_page: int = 3
    # A best bet fires for a question said like one of its phrasings, or whose vector is at least this
    # close to a phrasing's (and names the same numbers). all-MiniLM-L6-v2 puts "can stage 2 be cured"
    # at 0.845 and "what is stage 4 breast cancer" at 0.795 from phrasings they should not fire, and
    # "is there a cure for stage four" at 0.902 from "can stage 4 be cured": close paraphrases only.
    best_bet_min_cosine: float = 0.85
    # Reciprocal rank fusion's constant (the `rrf` and `hybrid` comparison strategies), as Cormack et al.
    # (2009) set it.
    rrf_k: int = 60
    # Passages sampled per model (evenly over the ids) to measure how a question's cosines spread, the
    # scale on which the two models' cosines are put together (fuse_models).
    spread_sample: int = 4096
    # e5's share in the comparison strategy "fused": both models in equal parts.
    fused_weight: float = 0.5
    # A question's word that more than this share of the passages hold (with their titles and headings)
    # is not highlighted: on a breast cancer site "breast" and "cancer" are in every passage, and
    # marking them marked about a dozen words an excerpt; the next most held word of the default corpus,
    # "treatment", is in 39%.
    highlight_max_share: float = 0.5
    # The answer sentence of the excerpt read first is marked only when its cosine with the question is
    # at least this (search_app.engine.answers); under it none of the sentences is close. MiniLM's
    # best sentence in the first excerpt is under 0.3 for 1 of 64 `patients` questions.
    answer_min_cosine: float = 0.3
    # The second stage (search_app.engine.rereading): the best passages of this many sections read
    # again with the question, each scoring its first-stage score + reread_weight x the pair reader's;
    # 0: off. Off because no pair reader trained here helps people's questions yet: MiniLM's first 3
    # layers on MedQuAD (6,000 questions, listwise), at 20 sections and weight 0.01 / 0.02, nDCG@10
    # (halves A/B): the default corpus's patients 0.802/0.745, 0.781/0.748 against 0.775/0.763 off,
    # seed-lay 0.519/0.563, 0.590/0.563 against 0.461/0.525; the benchmark's liveqa-dev 0.516/0.499,
    # 0.510/0.491 against 0.518/0.516 and plain-language breast questions 0.703/0.641, 0.703/0.624
    # against 0.724/0.651 (README, "Second stage").
    reread_candidates: int = 0
    reread_weight: float = 0.01
    # The pair reader's score of the first section's passage as how likely it answers: a logistic fit
    # (slope, intercept).
    reread_calibration: tuple[float, float] = (1.0, 0.0)
    # How each language's questions are read (search_app.engine.profiles): reader, keyword weight,
    # thresholds, and the words of the corpus's language.
    profiles: tuple[LanguageProfile, ...] = (ENGLISH, SPANISH)
    # The levers of `profiles` a measurement sets (tuned): a site's own (profiles.for_site) do not
    # replace them.
    pinned: frozenset[str] = frozenset()

    def profile(self, code: str) -> LanguageProfile:
        return next(profile for profile in self.profiles if profile.code == code)


@dataclass
class RankedPage:
    """A page's place in the results before its records are read: its score and its best sections,
    each as (section id, passage id, score), best first."""

    page_id: int
    score: float
    sections: list[tuple[int, int, float]] = field(default_factory=list)


@dataclass
class SectionHit:
    section_id: int
    heading: str
    link: str
    passage: PassageRecord
    score: float


@dataclass
class PageHit:
    page_id: int
    url: str
    title: str
    updated: str | None
    site: str
    score: float
    sections: list[SectionHit] = field(default_factory=list)
    original_url: str | None = None
    language: str = "en"


def off_topic_threshold(calibration_scores: list[float], quantile: float) -> float:
    """The best-passage cosine under which a question counts as off-topic for this version."""
    if not calibration_scores:
        return 0.0
    return float(np.quantile(np.asarray(calibration_scores, dtype=np.float64), quantile))


def best_of(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Each id with its best score over the rankings, best first."""
    best: dict[int, float] = {}
    for ranking in rankings:
        for passage_id, score in ranking:
            best[passage_id] = max(best.get(passage_id, score), score)
    return sorted(best.items(), key=lambda item: -item[1])


def rrf(rankings: list[list[tuple[int, float]]], k: int) -> dict[int, float]:
    """Reciprocal rank fusion of ranked (id, score) lists."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (passage_id, _) in enumerate(ranking, start=1):
            fused[passage_id] = fused.get(passage_id, 0.0) + 1.0 / (k + rank)
    return fused


def weighted(dense: list[tuple[int, float]], sides: list[tuple[list[tuple[int, float]], float]]) -> dict[int, float]:
    """Cosine plus, for each keyword side (its hits, its weight), the weight times its BM25 scaled to its
    best hit; dense candidates only."""
    scores = dict(dense)
    for hits, weight in sides:
        top = max((s for _, s in hits), default=0.0)
        if top > 0 and weight:
            for passage_id, s in hits:
                if passage_id in scores:
                    scores[passage_id] += weight * s / top
    return scores


def fuse_models(minilm: np.ndarray, minilm_spread: tuple[float, float], e5: np.ndarray,
                e5_spread: tuple[float, float], e5_weight: float) -> np.ndarray:
    """Both models' cosines of the same passages in one score on MiniLM's scale: each cosine standardised
    by the mean and deviation of that model's cosines over the passages (z-scores), averaged with weight
    `e5_weight` on e5's, and mapped back through MiniLM's mean and deviation. e5's cosines bunch
    together (0.7 to 0.9), MiniLM's spread out; standardising makes a step of either count alike, and
    the MiniLM scale keeps the thresholds and weights that follow (off-topic, keyword, title) meaningful."""
    minilm_mean, minilm_std = minilm_spread
    e5_mean, e5_std = e5_spread
    z = (1 - e5_weight) * (minilm - minilm_mean) / minilm_std + e5_weight * (e5 - e5_mean) / e5_std
    return minilm_mean + minilm_std * z


def group(owners: dict[int, Owner], scores: dict[int, float], page_bonus: dict[int, float] | None = None,
          sections_per_page: int = RankingConfig.sections_per_page) -> list[RankedPage]:
    """Best passage per section, best sections per page; pages ordered by their best section plus their bonus."""
    best_in_section: dict[int, tuple[float, int]] = {}
    for passage_id, score in scores.items():
        owner = owners.get(passage_id)
        if owner is None:
            continue
        held = best_in_section.get(owner.section_id)
        if held is None or score > held[0]:
            best_in_section[owner.section_id] = (score, passage_id)
    bonus = page_bonus or {}
    pages: dict[int, RankedPage] = {}
    for score, passage_id in sorted(best_in_section.values(), key=lambda item: (-item[0], item[1])):
        owner = owners[passage_id]
        page = pages.get(owner.page_id)
        if page is None:
            page = pages[owner.page_id] = RankedPage(owner.page_id, score + bonus.get(owner.page_id, 0.0))
        if len(page.sections) < sections_per_page:
            page.sections.append((owner.section_id, passage_id, score))
    return sorted(pages.values(), key=lambda page: -page.score)


def page_hits(ranked: list[RankedPage], records: dict[int, PassageRecord]) -> list[PageHit]:
    """Ranked pages with what is shown of them, from the records of their passages; a passage whose
    text the page already shows under a better section (a page that repeats a paragraph under two
    headings) is not shown twice."""
    hits = []
    for page in ranked:
        first = records[page.sections[0][1]]
        sections, shown = [], set()
        for section_id, passage_id, score in page.sections:
            record = records[passage_id]
            text = " ".join(record.text.split())
            if text not in shown:
                shown.add(text)
                sections.append(SectionHit(section_id, record.section, record.link, record, score))
        hits.append(PageHit(page.page_id, first.url, first.title, first.updated, first.site, page.score, sections,
                            first.original_url, first.language))
    return hits


def levers(config: RankingConfig) -> dict[str, float]:
    """Every number of the tuning by name, for measuring it (bench.levers, bench.evaluate): the fields of
    RankingConfig ("title_weight"), and each language's as "code.field" ("es.weak_below": of a weak
    threshold, the language's own reader's)."""
    found = {f.name: getattr(config, f.name) for f in fields(config)
             if isinstance(getattr(config, f.name), int | float)}
    for profile in config.profiles:
        for f in fields(profile):
            value = getattr(profile, f.name)
            value = value.get(profile.reader) if isinstance(value, Mapping) else value
            if isinstance(value, int | float) and not isinstance(value, bool):
                found[f"{profile.code}.{f.name}"] = value
    return found


def tuned(config: RankingConfig, lever: str, value: float) -> RankingConfig:
    """`config` with one lever (a name of `levers`) set to `value`."""
    code, _, name = lever.rpartition(".")
    kind = type(levers(config)[lever])
    if not code:
        return replace(config, **{name: kind(value)})
    profile = config.profile(code)
    held = getattr(profile, name)
    new = {**held, profile.reader: kind(value)} if isinstance(held, Mapping) else kind(value)
    return replace(config, profiles=tuple(replace(p, **{name: new}) if p is profile else p for p in config.profiles),
                   pinned=config.pinned | {lever})
