"""Scores of passages -> ranked pages, each with its best sections (pure functions)."""
from __future__ import annotations

from dataclasses import dataclass, field

from indexer.store import PassageRecord

MODES = ("default", "dense", "keyword", "hybrid")
RRF_K = 60
SECTIONS_PER_PAGE = 5


@dataclass(frozen=True)
class Fusion:
    """How the default mode combines its signals: passage cosine, keyword score, page-title cosine."""

    keyword_weight: float = 0.2
    title_weight: float = 0.4


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
    source: str
    score: float
    sections: list[SectionHit] = field(default_factory=list)


def best_of(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Each id with its best score over the rankings, best first."""
    best: dict[int, float] = {}
    for ranking in rankings:
        for pid, score in ranking:
            best[pid] = max(best.get(pid, score), score)
    return sorted(best.items(), key=lambda item: -item[1])


def rrf(*rankings: list[tuple[int, float]]) -> dict[int, float]:
    """Reciprocal rank fusion of ranked (id, score) lists."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (pid, _) in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def weighted(dense: list[tuple[int, float]], keyword: list[tuple[int, float]], weight: float) -> dict[int, float]:
    """Cosine plus `weight` times BM25 scaled to the best keyword hit; dense candidates only."""
    top = max((s for _, s in keyword), default=0.0)
    scaled = {pid: s / top for pid, s in keyword} if top > 0 else {}
    return {pid: cos + weight * scaled.get(pid, 0.0) for pid, cos in dense}


def fuse(
    mode: str, dense: list[tuple[int, float]], keyword: list[tuple[int, float]], fusion: Fusion
) -> dict[int, float]:
    if mode == "dense":
        return dict(dense)
    if mode == "keyword":
        return dict(keyword)
    if mode == "hybrid":
        return rrf(dense, keyword)
    return weighted(dense, keyword, fusion.keyword_weight)


def group(records: dict[int, PassageRecord], scores: dict[int, float], page_bonus: dict[int, float] | None = None,
          sections_per_page: int = SECTIONS_PER_PAGE) -> list[PageHit]:
    """Best passage per section, best sections per page; pages ordered by their best section plus their bonus."""
    best_in_section: dict[int, tuple[float, PassageRecord]] = {}
    for pid, score in scores.items():
        record = records.get(pid)
        if record is None:
            continue
        held = best_in_section.get(record.section_id)
        if held is None or score > held[0]:
            best_in_section[record.section_id] = (score, record)
    bonus = page_bonus or {}
    pages: dict[int, PageHit] = {}
    for score, record in sorted(best_in_section.values(), key=lambda item: (-item[0], item[1].id)):
        page = pages.get(record.page_id)
        if page is None:
            page = pages[record.page_id] = PageHit(
                record.page_id, record.url, record.title, record.updated, record.source,
                score + bonus.get(record.page_id, 0.0),
            )
        if len(page.sections) < sections_per_page:
            page.sections.append(SectionHit(record.section_id, record.section, record.link, record, score))
    return sorted(pages.values(), key=lambda page: -page.score)
