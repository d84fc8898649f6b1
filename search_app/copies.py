"""The local copies of pages (PAGES_DIR, served under /pages/), shown in a reading layout: the page's
main content only, cleaned to a small allow-list of elements and attributes, its own navigation and
forms removed, links into its site pointed at the original site."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, Tag

# Elements kept as they are (their allowed attributes only); others are unwrapped (their text kept),
# except DROPPED, which go with everything inside them.
KEPT = frozenset("""h1 h2 h3 h4 h5 h6 p ul ol li a strong em b i u small sup sub br hr blockquote q cite dl dt dd
    table caption thead tbody tfoot tr th td section article div span figure figcaption abbr code pre time""".split())
DROPPED = frozenset("""script style noscript template nav form header footer aside iframe frame object embed svg
    canvas video audio picture img source input button select textarea label dialog menu link meta
    title head base""".split())
ATTRIBUTES = {"a": {"href", "id"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
              "time": {"datetime"}, "abbr": {"title"}}


@dataclass(frozen=True)
class Copy:
    title: str
    body: str


def read_copy(path: Path, original_url: str | None) -> Copy:
    """A page file's title and its main content as safe HTML; `original_url`: the public page it
    copies (links into that site are pointed there)."""
    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else path.stem
    root = soup.find("main") or soup.find("article") or soup.body or soup
    for comment in root.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    for tag in list(root.find_all(True)):
        if tag.decomposed:
            continue
        if tag.name in DROPPED:
            tag.decompose()
        elif tag.name not in KEPT:
            tag.unwrap()
        else:
            _clean(tag, original_url)
    return Copy(title, root.decode_contents() if isinstance(root, Tag) else str(root))


def _clean(tag: Tag, original_url: str | None) -> None:
    allowed = ATTRIBUTES.get(tag.name, set()) | {"id"}
    for name in list(tag.attrs):
        if name not in allowed:
            del tag.attrs[name]
    if tag.name == "a" and "href" in tag.attrs:
        target = link_target(str(tag["href"]), original_url)
        if target is None:
            del tag.attrs["href"]
        else:
            tag["href"] = target


def link_target(href: str, original_url: str | None) -> str | None:
    """Where a link in a copy goes: within the page stays; http(s) elsewhere stays; a link into the
    copied site goes to the original site (the copy's neighbours are not served); anything else
    (javascript:, data:, a site link with no original) is no link."""
    href = href.strip()
    if href.startswith("#"):
        return href
    scheme = urlsplit(href).scheme.lower()
    if scheme in ("http", "https"):
        return href
    if scheme or not original_url:
        return None
    return urljoin(original_url, href)
