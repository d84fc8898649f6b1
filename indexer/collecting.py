"""Every source's pages against the published version: parsed when new or changed, reused when
unchanged, kept when they fail to load or their source fails or is no longer declared, and one page
per URL. A page is dropped only when its source, still declared, no longer lists it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from indexer.crawling import CrawlError
from indexer.parsing import PageError, parse_page, relink
from indexer.rebuild import RebuildReader
from indexer.report import BuildReport
from indexer.sources import RawPage, SourcesConfig
from search_index.documents import Page, PageNote, StoredPage


@dataclass
class Previous:
    """The published version, for reuse: its pages by (origin, path) (on update), and its reader for
    vectors by text (on every build)."""

    pages: dict[tuple[str, str], StoredPage]
    reader: RebuildReader
    per_origin: dict[str, int] = field(default_factory=dict)
    # The pages were read or chunked by other rules (the sources file's furniture, the chunk size, the
    # release's indexer.parsing.PARSE_RULES):
    # every page is fetched, parsed and chunked again, and one whose bytes did not change counts as
    # unchanged and read again.
    reread: bool = False


def read_pages(
    config: SourcesConfig, previous: Previous | None = None, report: BuildReport | None = None
) -> tuple[list[Page], list[PageNote]]:
    """Parse every page that is new or changed; reuse unchanged ones; report broken pages and duplicate URLs.

    A page that fails to load keeps its indexed copy; a page is dropped only when its source no longer lists it.
    """
    report = report if report is not None else BuildReport()
    old = previous.pages if previous else {}
    reading = config.reading()
    reread = previous is not None and previous.reread
    found: list[Claim] = []
    listed: set[tuple[str, str]] = set()
    for source in config.sources:
        known = {path: held.page for (origin, path), held in old.items() if origin == source.origin}
        expected = previous.per_origin.get(source.origin, 0) if previous else 0
        try:
            for raw in source.pages({} if reread else known, reading, expected):
                listed.add((source.origin, raw.path))
                page = _read_one(source.origin, raw, old.get((source.origin, raw.path)), report, reading.furniture,
                                 reread)
                if page is not None:
                    found.append(Claim(page, raw.address.own_url, _shown(source.origin, raw.path)))
        except CrawlError as exc:
            if expected > len(known):
                raise CrawlError(f"{exc}; nothing was published (a full build cannot keep the pages it "
                                 "did not read: run update)") from None
            report.skipped.append(PageNote(source.origin, f"{exc}; kept its indexed pages"))
            report.failed_sources.append(source.origin)
            for path, page in known.items():
                listed.add((source.origin, path))
                found.append(Claim(page, page.url, _shown(source.origin, path)))
    for origin in undeclared(config, previous):
        kept = {path: held.page for (where, path), held in old.items() if where == origin}
        if len(kept) < previous.per_origin[origin]:
            raise CrawlError(f"{origin} held {previous.per_origin[origin]} pages of the published version and is "
                             "no longer a source; nothing was published (run update to keep its pages, or "
                             "--allow-shrink to remove them)")
        report.skipped.append(PageNote(origin, f"no longer a source; kept its {len(kept)} indexed pages (if it was "
                                               "removed on purpose, update with --allow-shrink)"))
        report.failed_sources.append(origin)
        for path, page in kept.items():
            listed.add((origin, path))
            found.append(Claim(page, page.url, _shown(origin, path)))
    report.removed = sorted(_shown(origin, path) for origin, path in set(old) - listed)
    return settle_urls(found, report), report.skipped


def undeclared(config: SourcesConfig, previous: Previous | None) -> list[str]:
    """Origins that gave pages to the published version but are no longer sources (a source dropped
    from the sources file, or misspelt in it): a fault, not an instruction to delete, unless allowed."""
    if previous is None or config.allow_shrink:
        return []
    declared = {source.origin for source in config.sources}
    return sorted(origin for origin, count in previous.per_origin.items()
                  if count and origin and origin not in declared)


@dataclass(frozen=True)
class Claim:
    """A page, the address it has of its own, and how the report names it."""

    page: Page
    own_url: str
    shown: str


def settle_urls(claims: list[Claim], report: BuildReport) -> list[Page]:
    """One page per URL. Where pages claim the same URL, the page at that address keeps it and the
    others fall back to their own addresses; pages whose own address is taken too are skipped."""
    holder = {c.page.url: c for c in claims if c.page.url == c.own_url}
    for claim in claims:
        holder.setdefault(claim.page.url, claim)
    pages: list[Page] = []
    taken: dict[str, str] = {}
    for claim in claims:
        page, winner = claim.page, holder[claim.page.url]
        if winner is not claim and claim.own_url != page.url:
            report.notes.append(PageNote(claim.shown, f"its canonical URL {page.url} belongs to {winner.shown}; "
                                                      "linked at its own address"))
            page = relink(page, claim.own_url)
        if page.url in taken:
            report.skipped.append(PageNote(claim.shown, f"same URL as {taken[page.url]}: {page.url}"))
            continue
        taken[page.url] = claim.shown
        pages.append(page)
    return pages


def _shown(origin: str, path: str) -> str:
    return path if "://" in path else f"{origin.rstrip('/')}/{path}"


def _read_one(origin: str, raw: RawPage, held: StoredPage | None, report: BuildReport,
              furniture: tuple[str, ...], reread: bool = False) -> Page | None:
    shown = _shown(origin, raw.path)
    old = held.page if held else None
    kept = ", kept the indexed copy" if old else ""
    if raw.error:
        report.skipped.append(PageNote(shown, raw.error + kept))
        return old
    if raw.not_modified and old:
        report.unchanged += 1
        return old
    digest = hashlib.sha256(raw.data or b"").hexdigest()
    same = old is not None and old.content_hash == digest
    if same and not reread:
        report.unchanged += 1
        return replace(old, etag=raw.etag, last_modified=raw.last_modified) if raw.etag or raw.last_modified else old
    try:
        page = parse_page(raw.data or b"", raw.path, raw.site, raw.address, furniture)
    except (PageError, ValueError) as exc:
        report.skipped.append(PageNote(shown, str(exc) + kept))
        return old
    report.notes.extend(PageNote(shown, note) for note in page.notes)
    if same:
        report.unchanged += 1
        report.read_again += 1
    else:
        (report.changed if old else report.added).append(shown)
    return replace(page, origin=origin, etag=raw.etag, last_modified=raw.last_modified)
