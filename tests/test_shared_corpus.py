"""The three ways the benchmark corpus marks sections (skipped where ../shared is absent)."""
from __future__ import annotations

from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from indexer.parsing import parse_page
from search_index.documents import Address
from tests.helpers import SHARED

PAGES = SHARED / "corpus" / "medquad" / "pages"
pytestmark = pytest.mark.skipif(not PAGES.is_dir(), reason="benchmark corpus ../shared not present")


def first_page(folder: str, marker: str):
    for path in sorted((PAGES / folder).glob("*.html")):
        if marker in path.read_text(encoding="utf-8"):
            return path
    pytest.skip(f"no page with {marker!r} in {folder}")


def h2_texts(path):
    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    return [" ".join(h.get_text(" ").split()) for h in soup.find_all("h2")]


def parse(path):
    return parse_page(path.read_bytes(), path.name, path.parent.name, Address(f"/pages/{path.name}"))


def test_sections_wrapped_in_section_ids():
    path = first_page("CancerGov", "<section id=")
    page = parse(path)
    named = [s for s in page.sections if s.heading]
    assert [s.heading for s in named] == h2_texts(path)
    assert all(s.anchor and s.link == f"{page.url}#{s.anchor}" for s in named)


def test_ids_on_headings():
    path = first_page("ADAM", "<h2 id=")
    page = parse(path)
    named = [s for s in page.sections if s.heading]
    assert [s.heading for s in named] == h2_texts(path)
    assert all(s.anchor and s.link.endswith("#" + s.anchor) for s in named)


def test_sections_without_ids_get_text_fragments_that_match_their_text():
    path = first_page("GARD", "<h2>")
    page = parse(path)
    named = [s for s in page.sections if s.heading]
    assert named and all(s.anchor is None for s in named)
    for section in named:
        fragment = unquote(section.link.split("#:~:text=", 1)[1])
        assert section.text.startswith(fragment)
        assert "Genetic and Rare Diseases Information Center" not in section.text
