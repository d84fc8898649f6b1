"""A search's result, and what it shows, finished once: every passage's links, the question's words in
it, its whole-sentence excerpt and, for the excerpt read first, the sentence that best answers. The
search page, the API (and so the widget) and bench.evaluate all show this; none computes its own."""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

import numpy as np

from search_app.engine import ranking
from search_app.engine.curation import Recommendation
from search_app.engine.excerpts import excerpt, highlights
from search_app.engine.links import distinct_labels, passage_link, public_link
from search_index import language
from search_index.format import PassageRecord


@dataclass(frozen=True)
class SearchOptions:
    limit: int = 10
    offset: int = 0
    site: str | None = None
    mode: str = "default"
    correct: bool = True
    interface: str = language.DEFAULT  # the reader's interface language (search_app.engine.profiles.spoken)


@dataclass(frozen=True)
class QuestionVector:
    """A question's vector and the model (by key) that made it, which also finds its answer sentence."""

    model: str
    vector: np.ndarray


@dataclass(frozen=True)
class Excerpt:
    """What a result shows of a passage: whole sentences around the question's words (`highlights`,
    offsets in `text`), and the sentence that best answers the question, if marked."""

    text: str
    highlights: list[tuple[int, int]]
    answer: tuple[int, int] | None = None


@dataclass(frozen=True)
class ShownPassage:
    """A passage as shown: its section, the link that opens the page at it, the address to share, the
    question's words in its text, its excerpt, and its score (None for a recommended one)."""

    record: PassageRecord
    section: str
    link: str
    public_link: str
    highlights: list[tuple[int, int]]
    excerpt: Excerpt
    score: float | None = None
    # A result's passage that a recommended one already shows above it (its excerpt is not repeated).
    shown_above: bool = False


@dataclass(frozen=True)
class ShownPage:
    """A ranked page as shown: what tells it apart from pages of the same title and site, and its passages."""

    page: ranking.PageHit
    detail: str
    passages: list[ShownPassage]


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
    # How likely the first section answers, by the second stage (None where it did not read the question).
    answers: float | None = None
    # The question's words not highlighted (most passages hold them: search_app.engine.snapshot.unmarked).
    unmarked: frozenset[str] = frozenset()
    shown_recommended: list[ShownPassage] = field(default_factory=list)
    shown_pages: list[ShownPage] = field(default_factory=list)

    @property
    def searched(self) -> str:
        """The question the passages were searched with (corrected, if it was)."""
        return self.corrected_query or self.query


# Marks the answer sentence of an excerpt: (the passage, its excerpt's text) -> [start, end) or None.
Mark = Callable[[PassageRecord, str], "tuple[int, int] | None"]


def finish(result: SearchResult, mark: Mark | None, share_copies: Collection[str] = ()) -> SearchResult:
    """`result` with what it shows: the first recommended passage's excerpt, else the first result's
    first one, has its answer sentence marked (by `mark`); addresses to share are the originals', but
    on `share_copies` hosts (search_app.engine.links.public_link)."""
    records = result.recommended.passages if result.recommended else []
    marked = bool(records) or not result.recommended
    marks = iter([marked] + [False] * (len(records) + sum(len(page.sections) for page in result.pages)))
    result.shown_recommended = [shown(record, record.section, record.link, result, None,
                                      mark if next(marks) else None, opening=True, share_copies=share_copies)
                                for record in records]
    above = {record.id for record in records}
    result.shown_pages = [
        ShownPage(page, detail, [replace(shown(hit.passage, hit.heading, passage_link(hit.passage), result, hit.score,
                                               mark if next(marks) else None, page, share_copies=share_copies),
                                         shown_above=hit.passage.id in above)
                                 for hit in page.sections])
        for page, detail in zip(result.pages, distinct_labels(result.pages), strict=True)]
    return result


def shown(record: PassageRecord, section: str, link: str, result: SearchResult, score: float | None,
          mark: Mark | None, page: ranking.PageHit | None = None, opening: bool = False,
          share_copies: Collection[str] = ()) -> ShownPassage:
    spans = highlights(record.text, result.searched, result.unmarked)
    text, inside = excerpt(record.text, spans, opening=opening)
    answer = mark(record, text) if mark is not None else None
    url, original = (page.url, page.original_url) if page else (record.url, record.original_url)
    return ShownPassage(record, section, link, public_link(link, url, original, share_copies), spans,
                        Excerpt(text, inside, answer), score)
