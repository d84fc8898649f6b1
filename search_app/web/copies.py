"""The local copies of pages (PAGES_DIR, served under /pages/), shown in a reading layout: the page's
main content only, cleaned to a small allow-list of elements and attributes, its own navigation and
forms removed, links into its site pointed at the original site."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag

# Elements kept as they are (their allowed attributes only); others are unwrapped (their text kept),
# except DROPPED, which go with everything inside them.
KEPT = frozenset("""h1 h2 h3 h4 h5 h6 p ul ol li a strong em b i u small sup sub br hr blockquote q cite dl dt dd
    table caption thead tbody tfoot tr th td section article div span figure figcaption abbr code pre time""".split())
DROPPED = frozenset("""script style noscript template nav form header footer aside iframe frame object embed svg
    canvas video audio picture img source input button select textarea label dialog menu link meta
    title head base""".split())
ATTRIBUTES = {"a": {"href", "id"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
              "time": {"datetime"}, "abbr": {"title"}}


VOID = frozenset({"br", "hr"})


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
    return Copy(title, safe_html(root, original_url))


def safe_html(root: Tag, original_url: str | None) -> str:
    """The content of `root` written out from an allow-list: KEPT elements with their allowed attributes,
    the text of other elements, nothing of DROPPED ones; only plain text nodes (no comments, CDATA,
    declarations or processing instructions), escaped. One pass over the tree with a stack of its own,
    so a page nested thousands of levels deep costs what its size costs."""
    out: list[str] = []
    stack: list[PageElement | str] = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if type(node) is str:  # an end tag pushed below the children of a kept element
            out.append(node)
        elif type(node) is NavigableString:
            out.append(escape(node, quote=False))
        elif isinstance(node, Tag) and node.name not in DROPPED:
            if node.name in KEPT:
                out.append(_start_tag(node, original_url))
                if node.name in VOID:
                    continue
                stack.append(f"</{node.name}>")
            stack.extend(reversed(node.contents))
    return "".join(out)


def _start_tag(tag: Tag, original_url: str | None) -> str:
    """The element's start tag with its allowed attributes; an `<a name>` anchor keeps its place as an id."""
    allowed = ATTRIBUTES.get(tag.name, set()) | {"id"}
    attrs = {name: value for name, value in tag.attrs.items() if name in allowed and isinstance(value, str)}
    if tag.name == "a" and "id" not in attrs and isinstance(tag.get("name"), str):
        attrs["id"] = tag["name"]
    if "href" in attrs:
        target = link_target(attrs["href"], original_url)
        if target is None:
            del attrs["href"]
        else:
            attrs["href"] = target
    written = "".join(f' {name}="{escape(value)}"' for name, value in attrs.items())
    return f"<{tag.name}{written}>"


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
