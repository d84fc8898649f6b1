"""HTML page -> Page with its sections: main content only, split at <h2>, deep links per section."""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote, urljoin

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.dammit import EncodingDetector

from indexer.urls import is_allowed
from search_index.documents import Address, Page, Section, Subheading
from search_index.language import page_language
from search_index.text import sentence_spans

# The rules by which a page's bytes become its text: raised whenever the text read from a page changes
# (an update then reads every page again, as it does when the sources file's furniture changes).
PARSE_RULES = 1
CHROME_TAGS = ("header", "nav", "footer", "aside", "form", "script", "style", "noscript", "template", "iframe", "svg")
BLOCK_TAGS = frozenset(
    "address article blockquote dd details div dl dt fieldset figcaption figure hr li main ol p pre "
    "section summary table tbody thead tfoot tr td th ul caption".split()
)
SUBHEADING_TAGS = {"h3": 3, "h4": 4, "h5": 5, "h6": 6}
HEADING_TAGS = frozenset(("h1", "h2", *SUBHEADING_TAGS))
# Eight opening words single out a section's start on real pages without making the link long.
FRAGMENT_WORDS = 8
DATE_LABEL = re.compile(
    r"\b(?:last\s+)?(?:updated|reviewed|modified)(?:\s+on)?\s*:?\s*"
    r"(\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|[A-Z][a-z]+\.? \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]+ \d{4}"
    r"|[A-Z][a-z]+ \d{4})",
    re.IGNORECASE,
)
DATE_FORMATS = ("%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%B %Y")
DATE_META_NAMES = ("dcterms.modified", "last-modified", "article:modified_time", "dc.date.modified", "last-reviewed",
                   "dcterms.reviewed", "dc.date.reviewed", "date")
# A <meta> whose name says it dates the page, but that is not read (not one of DATE_META_NAMES, or its
# content not a date): reported, so that the maintainer knows the page shows no date from it.
DATE_LIKE_META = re.compile(r"review|modif|updat|date", re.IGNORECASE)
# A heading that a page runs into its text, as in "Radiation therapy Radiation therapy is a cancer
# treatment ...": a sentence that opens with the same words twice. The first are set on a line of their
# own, so that no excerpt or answer runs them into the sentence; they are not added to the heading
# path (their level is not known, and on the default corpus headings in the embedded context moved
# lay questions to other pages' treatment sections: README, "Headings run into the text").
GLUED_HEADING = re.compile(r"([A-Z][^.!?:;\n]{2,80}?) \1(?= )")


class PageError(ValueError):
    """A page that cannot be indexed; the message says why."""


def decode_html(data: bytes) -> str:
    """Decode as UTF-8, else by the page's declared charset; refuse anything else."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = EncodingDetector.find_declared_encoding(data, is_html=True, search_entire_document=False)
    if not declared or declared.lower().replace("_", "-") in ("utf-8", "utf8"):
        raise PageError("bytes are not valid UTF-8 and the page declares no other charset")
    try:
        return data.decode(declared)
    except (LookupError, UnicodeDecodeError) as exc:
        raise PageError(f"cannot decode with its declared charset {declared!r}: {exc}") from None


def fallback_url(base_url: str, relative_path: str) -> str:
    """The URL of a page of a folder: its relative path under the folder's base URL."""
    return urljoin(base_url, quote(relative_path))


def parse_page(data: bytes, path: str, site: str, address: Address, furniture: tuple[str, ...] = ()) -> Page:
    """Parse one page's bytes; `path` identifies it within its source (relative path or URL).

    `furniture`: openings of sentences that are the site's furniture, not its content (a video player's
    help, link texts without their links): such sentences are left out, and the page's notes count them."""
    try:
        return _parse(data, path, site, address, furniture)
    except RecursionError:
        raise PageError("its elements are nested too deeply to read") from None


def _parse(data: bytes, path: str, site: str, address: Address, furniture: tuple[str, ...]) -> Page:
    soup = BeautifulSoup(decode_html(data), "html.parser")
    url, original_url, notes = page_urls(canonical_url(soup), address)
    updated, date_notes = find_updated(soup)
    notes += date_notes
    content = main_content(soup)
    h1 = content.find("h1")
    title = heading_text(h1) if h1 else ""
    if not title and soup.title:
        title = clean(soup.title.get_text(" "))
    if not title:
        raise PageError("no title (neither <h1> nor <title>)")
    builder = _SectionBuilder(url, furniture)
    sections = tuple(s for s in split_sections(content, builder) if s.text)
    notes += furniture_notes(builder.left_out)
    if not sections:
        raise PageError("no text in the page's main content")
    digest = hashlib.sha256(data).hexdigest()
    declared = soup.html.get("lang") if soup.html else None
    spoken = page_language(declared if isinstance(declared, str) else None,
                           " ".join([title, *(s.text for s in sections)]))
    return Page(url=url, title=title, updated=updated, site=site, path=path, content_hash=digest, sections=sections,
                original_url=original_url, notes=notes, language=spoken)


def page_urls(canonical: str | None, address: Address) -> tuple[str, str | None, tuple[str, ...]]:
    """The page's link, its original address (when the link is its own copy), and what was ignored.

    A canonical URL is trusted only when it is http(s) on one of the source's own origins: anything
    else (another site, javascript:, data:, a protocol-relative or malformed URL) is ignored and
    reported, and the page keeps its own address."""
    if canonical is None:
        return address.own_url, None, ()
    try:
        canonical = urljoin(address.own_url, canonical)
    except ValueError:
        pass
    if not is_allowed(canonical, address.trusted):
        shown = canonical if len(canonical) <= 200 else canonical[:200] + "…"
        return address.own_url, None, (f"canonical link {shown!r} ignored: not an http(s) URL on this source's site",)
    if address.link_canonical:
        return canonical, None, ()
    return address.own_url, canonical, ()


def relink(page: Page, url: str) -> Page:
    """The page linked at another address: its sections' links move with it; no original address."""
    old = page.url.split("#", 1)[0]
    new = url.split("#", 1)[0]
    sections = tuple(replace(s, link=new + s.link[len(old):]) if s.link.startswith(old) else s
                     for s in page.sections)
    return replace(page, url=url, original_url=None, sections=sections)


def canonical_url(soup: BeautifulSoup) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        if "canonical" in [r.lower() for r in rel] and link["href"].strip():
            return link["href"].strip()
    return None


def find_updated(soup: BeautifulSoup) -> tuple[str | None, tuple[str, ...]]:
    """The page's review/updated date as ISO (YYYY-MM-DD), when it states one, and the date-like
    <meta> tags it did not read (as notes for the build report)."""
    return _stated_date(soup), ignored_date_metas(soup)


def _stated_date(soup: BeautifulSoup) -> str | None:
    for name in DATE_META_NAMES:
        meta = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        if meta and (found := to_iso(meta.get("content", ""))):
            return found
    for time_tag in soup.find_all("time"):
        found = to_iso(time_tag.get("datetime", "")) or to_iso(time_tag.get_text(" "))
        if found:
            return found
    match = DATE_LABEL.search(soup.get_text(" "))
    return to_iso(match.group(1)) if match else None


def ignored_date_metas(soup: BeautifulSoup) -> tuple[str, ...]:
    notes = []
    for meta in soup.find_all("meta"):
        name = clean(str(meta.get("name") or meta.get("property") or ""))
        content = clean(str(meta.get("content", "")))
        if not DATE_LIKE_META.search(name) or (name.lower() in DATE_META_NAMES and to_iso(content)):
            continue
        notes.append(f'<meta name="{name[:60]}" content="{content[:40]}"> ignored: the review dates read are '
                     f"<meta> {', '.join(DATE_META_NAMES)} with a date, <time datetime>, or "
                     '"Updated/Reviewed <date>" in the text')
    return tuple(notes)


def to_iso(text: str) -> str | None:
    text = clean(text)
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        text = text[:10]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def main_content(soup: BeautifulSoup) -> Tag:
    """<main> (else <article>, else <body>) without site chrome."""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    for tag in root.find_all(CHROME_TAGS):
        tag.decompose()
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    return root


def clean(text: str) -> str:
    return " ".join(text.split())


class _SectionBuilder:
    """Accumulates readable lines of text while walking the content in document order."""

    def __init__(self, page_url: str, furniture: tuple[str, ...] = ()) -> None:
        self.page_url = page_url
        self.furniture = furniture
        self.left_out: Counter[str] = Counter()
        self.sections: list[Section] = []
        self.heading = ""
        self.anchor: str | None = None
        self.lines: list[str] = []
        self.subheadings: list[Subheading] = []
        self.buffer: list[str] = []

    def flush_line(self) -> None:
        line = without_furniture(clean("".join(self.buffer)), self.furniture, self.left_out)
        self.buffer = []
        pieces = unglued(line)
        if pieces and self.lines:
            self.lines[-1:] = unglued_end(self.lines[-1], pieces[0])
        self.lines.extend(pieces)

    def text_length(self) -> int:
        return sum(len(line) + 1 for line in self.lines)

    def add_subheading(self, level: int, text: str) -> None:
        self.flush_line()
        if text:
            self.subheadings.append(Subheading(self.text_length(), level, text))
            self.lines.append(text)

    def close_section(self) -> None:
        self.flush_line()
        text = "\n".join(self.lines)
        link = self.page_url
        if self.heading:
            link = section_link(self.page_url, self.anchor, text or self.heading)
        self.sections.append(Section(self.heading, self.anchor, link, text, tuple(self.subheadings)))
        self.lines, self.subheadings = [], []

    def open_section(self, heading: str, anchor: str | None) -> None:
        self.close_section()
        self.heading, self.anchor = heading, anchor


def without_furniture(line: str, furniture: tuple[str, ...], left_out: Counter[str]) -> str:
    """The line without its sentences that open with one of `furniture` (counted in `left_out`)."""
    if not furniture or not line.startswith(furniture) and not any(f" {f}" in line for f in furniture):
        return line
    spans = sentence_spans(line)
    kept = []
    for (start, _), (following, _) in zip(spans, [*spans[1:], (len(line), 0)]):
        opening = next((f for f in furniture if line.startswith(f, start)), None)
        if opening is None:
            kept.append(line[start:following])
        else:
            left_out[opening] += 1
    return "".join(kept).strip()


def furniture_notes(left_out: Counter[str]) -> tuple[str, ...]:
    if not left_out:
        return ()
    each = ", ".join(f"“{opening}” ×{count}" for opening, count in left_out.most_common())
    total = left_out.total()
    return (f"{total} sentence{'s' if total > 1 else ''} left out as site furniture (the sources file's "
            f"furniture: {each})",)


def unglued(line: str) -> list[str]:
    """The line, with each heading run into the sentence after it set on a line of its own."""
    pieces: list[str] = []
    done = 0
    for start, _ in sentence_spans(line):
        glued = GLUED_HEADING.match(line, start)
        if glued is None or start < done:
            continue
        pieces += [piece for piece in (line[done:start].strip(), glued.group(1)) if piece]
        done = glued.end(1) + 1
    return pieces + ([line[done:].strip()] if line[done:].strip() else [])


def unglued_end(previous: str, line: str) -> list[str]:
    """The line before `line`, with a heading run onto its end set apart: a last sentence that the next
    line opens with again ("… or heart. Radiation therapy" before "Radiation therapy to the bones …")."""
    spans = sentence_spans(previous)
    start = spans[-1][0]
    tail = previous[start:]
    glued = GLUED_HEADING.match(f"{tail} {tail} ")
    if len(spans) > 1 and line.startswith(f"{tail} ") and glued and glued.group(1) == tail:
        return [previous[:start].rstrip(), tail]
    return [previous]


def split_sections(content: Tag, builder: _SectionBuilder) -> list[Section]:
    """Sections at each <h2>; the text before the first one is the page's lead section."""
    _walk(content, builder)
    builder.close_section()
    return builder.sections


def _walk(node: Tag, builder: _SectionBuilder) -> None:
    for child in node.children:
        _visit(child, builder)


def _visit(node, builder: _SectionBuilder) -> None:
    if isinstance(node, NavigableString):
        if not isinstance(node, Comment):
            builder.buffer.append(str(node))
    elif not isinstance(node, Tag):
        return
    elif node.name in ("h1", "h2") or node.name in SUBHEADING_TAGS:
        _visit_heading(node, builder)
    elif node.name == "br":
        builder.flush_line()
    elif node.name in BLOCK_TAGS:
        builder.flush_line()
        _walk(node, builder)
        builder.flush_line()
    else:
        _walk(node, builder)


def _visit_heading(node: Tag, builder: _SectionBuilder) -> None:
    """h1 is the title (not section text); h2 opens a section; h3.. are sub-headings.

    Broken markup can leave blocks inside a heading: they are walked as content after it.
    """
    if node.name == "h2":
        builder.open_section(heading_text(node), section_anchor(node))
    elif node.name in SUBHEADING_TAGS:
        builder.add_subheading(SUBHEADING_TAGS[node.name], heading_text(node))
    for child in node.children:
        if isinstance(child, Tag) and (child.name in BLOCK_TAGS or child.name in HEADING_TAGS):
            _visit(child, builder)


def heading_text(heading: Tag) -> str:
    """A heading's own words, stopping at any block that broken markup nested inside it."""
    parts = []
    for child in heading.children:
        if isinstance(child, Tag) and (child.name in BLOCK_TAGS or child.name in HEADING_TAGS):
            break
        if isinstance(child, NavigableString):
            if not isinstance(child, Comment):
                parts.append(str(child))
        elif isinstance(child, Tag):
            parts.append(child.get_text(" "))
    return clean(" ".join(parts))


def section_anchor(h2: Tag) -> str | None:
    """The id that lands on this section: on the heading, inside it, or on its <section>."""
    if h2.get("id"):
        return h2["id"]
    inner = h2.find(attrs={"id": True}) or h2.find("a", attrs={"name": True})
    if inner:
        return inner.get("id") or inner.get("name")
    parent = h2.parent
    if isinstance(parent, Tag) and parent.name in ("section", "div", "article") and parent.get("id"):
        first_heading = parent.find(re.compile(r"^h[1-6]$"))
        if first_heading is h2:
            return parent["id"]
    return None


def section_link(page_url: str, anchor: str | None, text: str) -> str:
    base = page_url.split("#", 1)[0]
    if anchor:
        return f"{base}#{quote(anchor, safe='')}"
    return f"{base}#:~:text={text_fragment(text)}"


def text_fragment(text: str) -> str:
    """A text directive for the section's opening words (first line only: a match cannot cross blocks)."""
    first_line = text.split("\n", 1)[0]
    words = first_line.split()[:FRAGMENT_WORDS]
    return quote(" ".join(words), safe="").replace("-", "%2D")
