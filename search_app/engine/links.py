"""How a result is linked and told apart: the link that opens a page at the passage, the public
original's address for sharing, and what distinguishes pages that share a title and a site."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from urllib.parse import quote, urlsplit

from search_app.engine.ranking import PageHit
from search_index.format import PassageRecord
from search_index.text import words

# A text fragment of this many of the passage's opening words finds it on the page.
FRAGMENT_WORDS = 6
# Path segments that name no page of their own ("toc.html", "index.html", a number).
GENERIC_SEGMENTS = frozenset({"index", "toc", "default", "home", "main", "page", "article", "patient"})


def passage_link(record: PassageRecord) -> str:
    """The section's link; for a passage that does not start its section, with a text fragment of the
    passage's opening words on its first line (`#anchor:~:text=...`), so that the browser scrolls to
    the passage itself."""
    if record.start <= 0:
        return record.link
    opening = " ".join(record.text.strip().split("\n")[0].split()[:FRAGMENT_WORDS])
    if not words(opening):
        return record.link
    base, _, fragment = record.link.partition("#")
    anchor = fragment.split(":~:")[0]
    return f"{base}#{anchor}:~:text={text_directive(opening)}"


def text_directive(text: str) -> str:
    """Text for a `:~:text=` fragment: percent-encoded, "-" "," "&" included (they are its syntax)."""
    return quote(text, safe="").replace("-", "%2D")


def public_link(link: str, url: str, original_url: str | None, share_copies: Collection[str] = ()) -> str:
    """The address to share: a local copy's link moved to the public original (same fragment), unless
    the original's host is one whose originals are not shared (`share_copies`: retired, or section ids
    the live pages do not have)."""
    if original_url and link.startswith(url) and urlsplit(original_url).hostname not in share_copies:
        return original_url + link[len(url):]
    return link


def address_name(address: str) -> str:
    """The last path segment of an address that names a page, as words: ".../breast-treatment-pdq" ->
    "breast treatment pdq" (generic names such as "toc.html" and numbers are passed over)."""
    segments = [re.sub(r"\.[a-z0-9]{2,5}$", "", part, flags=re.IGNORECASE)
                for part in urlsplit(address).path.split("/") if part]
    named = [s for s in segments if s and not s.isdigit() and s.lower() not in GENERIC_SEGMENTS]
    return re.sub(r"[-_]+", " ", named[-1]).strip() if named else ""


def distinct_labels(pages: Sequence[PageHit]) -> list[str]:
    """For the pages on one results page, what tells apart those that share
    a title and a site: the name in the page's own address (else its original's), "" for the others and
    where the addresses name nothing more."""
    shared = Counter((page.title.casefold(), page.site) for page in pages)
    labels = []
    for page in pages:
        if shared[(page.title.casefold(), page.site)] < 2:
            labels.append("")
            continue
        names = [name for name in (address_name(page.url), address_name(page.original_url or "")) if name]
        labels.append(next((n for n in names if n.casefold() != page.title.casefold()), ""))
    return labels
