"""Plain records passed between the indexing stages: pages -> sections -> passages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Subheading:
    """An <h3>..<h6> inside a section: where its text starts in the section text."""

    offset: int
    level: int
    text: str


@dataclass(frozen=True)
class Section:
    """A page's text under one <h2>; the lead section (text before the first <h2>) has heading ""."""

    heading: str
    anchor: str | None
    link: str
    text: str
    subheadings: tuple[Subheading, ...] = ()


@dataclass(frozen=True)
class Address:
    """Where a page is linked: its own URL, the origins on which a canonical URL it declares is trusted,
    and whether a trusted canonical URL becomes its link (else it is shown as its original address)."""

    own_url: str
    trusted: frozenset[str] = frozenset()
    link_canonical: bool = True


@dataclass(frozen=True)
class Page:
    """One HTML page.

    `url` is where results link; `original_url` the page's public address when the link is a local
    copy. `origin` names the source that delivered it (a folder or a sitemap) and `path` the page
    within it; `site` is the site name a person sees and filters by. etag and last_modified are the
    HTTP validators of a fetched page, for conditional requests on update. `notes`: what the parser
    ignored in the page, for the build report. `language`: "en" or "es" (search_index.language).
    """

    url: str
    title: str
    updated: str | None
    site: str
    path: str
    content_hash: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
    origin: str = ""
    etag: str | None = None
    last_modified: str | None = None
    original_url: str | None = None
    notes: tuple[str, ...] = ()
    language: str = "en"


@dataclass(frozen=True)
class Passage:
    """A window of a section's text small enough for the embedding model."""

    page_index: int
    section_index: int
    heading_path: tuple[str, ...]
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class StoredPage:
    """A page as a published version holds it, with its passages (page_index 0), for reuse on update."""

    page: Page
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class PageNote:
    """A page the build skipped, or something it ignored in a page, and why."""

    path: str
    reason: str
