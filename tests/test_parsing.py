"""Parsing rules, on small pages written here."""
from __future__ import annotations

from urllib.parse import unquote

import pytest

from indexer.parsing import PageError, decode_html, fallback_url, parse_page
from indexer.urls import allowed_origins
from search_index.documents import Address

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Site title | Org</title>
<link rel="canonical" href="https://example.org/topics/knees"></head>
<body>
<header><nav><a href="/">Home</a> <a href="/donate">Donate</a></nav><form><input name="q"></form></header>
<main>
<h1>Knee pain</h1>
<p>Knee pain is <b>common</b> in adults.</p>
<section id="causes"><h2>Causes</h2>
<p>Injury and wear.</p><ul><li>Sprains</li><li>Arthritis</li></ul>
<h3>In children</h3><p>Growth pains.</p>
</section>
<h2 id="treatment">Treatment</h2><p>Rest and ice.</p>
<h2>When to see a doctor</h2><p>If the knee is hot, swollen or you cannot put weight on it.</p>
<aside><p>Related: hips</p></aside>
<footer><p>Last reviewed: March 3, 2021</p></footer>
</main>
<footer>Copyright</footer>
</body></html>"""


def parse(html: str | bytes, path: str = "knees.html", base: str = "/pages/"):
    """Parse as a page of a copy of example.org: its canonical URL there becomes its link."""
    data = html.encode("utf-8") if isinstance(html, str) else html
    return parse_page(data, path, "test", Address(fallback_url(base, path), allowed_origins(["example.org"])))


def test_url_title_and_date():
    page = parse(PAGE)
    assert page.url == "https://example.org/topics/knees"
    assert page.title == "Knee pain"
    assert page.updated == "2021-03-03"


def test_sections_split_at_h2_with_lead_section():
    page = parse(PAGE)
    assert [s.heading for s in page.sections] == ["", "Causes", "Treatment", "When to see a doctor"]
    lead = page.sections[0]
    assert lead.text == "Knee pain is common in adults."
    assert lead.link == "https://example.org/topics/knees"


def test_site_chrome_is_not_content():
    text = " ".join(s.text for s in parse(PAGE).sections)
    for chrome in ("Donate", "Home", "Related: hips", "Copyright", "Last reviewed"):
        assert chrome not in text


def test_anchor_from_section_or_heading_id():
    causes, treatment = parse(PAGE).sections[1:3]
    assert causes.anchor == "causes" and causes.link == "https://example.org/topics/knees#causes"
    assert treatment.anchor == "treatment" and treatment.link.endswith("#treatment")


def test_section_without_id_links_with_text_fragment():
    doctor = parse(PAGE).sections[3]
    assert doctor.anchor is None
    base, fragment = doctor.link.split("#:~:text=")
    assert base == "https://example.org/topics/knees"
    assert unquote(fragment) == "If the knee is hot, swollen or you"
    assert "," not in fragment and " " not in fragment


def test_text_fragment_encodes_dashes_and_ampersands():
    html = PAGE.replace("If the knee is hot, swollen", "Self-care & rest-days help")
    link = parse(html).sections[3].link
    fragment = link.split("#:~:text=")[1]
    assert "-" not in fragment and "&" not in fragment
    assert fragment.startswith("Self%2Dcare%20%26%20rest%2Ddays")


def test_subheadings_kept_and_lines_readable():
    causes = parse(PAGE).sections[1]
    assert causes.text.split("\n") == ["Injury and wear.", "Sprains", "Arthritis", "In children", "Growth pains."]
    assert [(h.level, h.text) for h in causes.subheadings] == [(3, "In children")]
    assert causes.text[causes.subheadings[0].offset:].startswith("In children")


def test_a_heading_run_into_its_text_is_set_on_a_line_of_its_own():
    html = PAGE.replace("<p>Rest and ice.</p>", "<ul><li>Rest the knee. Ice packs Ice packs ease the swelling.</li>"
                        "<li>He said that that helps. Cold Weather Makes it worse. Knee braces</li>"
                        "<li>Knee braces hold the joint.</li></ul>")
    treatment = parse(html).sections[2]
    assert treatment.text.split("\n") == ["Rest the knee.", "Ice packs", "Ice packs ease the swelling.",
                                          "He said that that helps. Cold Weather Makes it worse.", "Knee braces",
                                          "Knee braces hold the joint."]
    assert treatment.subheadings == (), "its level is not known: not part of the heading path"


def test_furniture_sentences_are_left_out_and_counted():
    html = PAGE.replace("<p>Rest and ice.</p>", '<p>Rest and ice. (Watch the video on icing. To enlarge the video, '
                        'click it.) Raise the leg "when you can." Learn more about knees.</p>'
                        "<p>Learn more about hips.</p><p>Keep moving.</p>")
    furniture = ("(Watch the video", "To enlarge the video", "Learn more about")
    page = parse_page(html.encode(), "knees.html", "test", Address("/pages/knees.html"), furniture)
    assert page.sections[2].text == 'Rest and ice. Raise the leg "when you can."\nKeep moving.'
    assert [n for n in page.notes if "furniture" in n] == [
        "4 sentences left out as site furniture (the sources file's furniture: “Learn more about” ×2, "
        "“(Watch the video” ×1, “To enlarge the video” ×1)"]
    assert parse(html).sections[2].text.count("Learn more about") == 2, "nothing is left out unless named"


def test_url_from_base_when_no_canonical():
    html = PAGE.replace('<link rel="canonical" href="https://example.org/topics/knees">', "")
    page = parse(html, path="topics/knee pain.html", base="https://charity.example/")
    assert page.url == "https://charity.example/topics/knee%20pain.html"


def test_title_falls_back_to_title_tag():
    page = parse(PAGE.replace("<h1>Knee pain</h1>", ""))
    assert page.title == "Site title | Org"


def test_article_used_when_no_main():
    html = "<html><body><nav>Menu</nav><article><h1>T</h1><p>Body text.</p></article><div>Outside</div></body></html>"
    page = parse(html)
    assert page.sections[0].text == "Body text."


def test_body_without_chrome_when_no_main_or_article():
    html = "<html><body><header>Top</header><h1>T</h1><p>Body text.</p><footer>Bottom</footer></body></html>"
    assert parse(html).sections[0].text == "Body text."


@pytest.mark.parametrize(
    "snippet, expected",
    [
        ('<time datetime="2014-05-02">05/02/14</time>', "2014-05-02"),
        ("<p>Updated 05/02/14</p>", "2014-05-02"),
        ('<meta name="dcterms.modified" content="2020-01-31">', "2020-01-31"),
        ('<meta name="last-reviewed" content="2024-03-01">', "2024-03-01"),
        ("<p>Page last updated on 12 June 2019</p>", "2019-06-12"),
        ("<p>No date here</p>", None),
    ],
)
def test_updated_date_formats(snippet, expected):
    html = f"<html><head><title>T</title>{snippet if 'meta' in snippet else ''}</head><body><main><h1>T</h1><p>Text.</p>{'' if 'meta' in snippet else snippet}</main></body></html>"
    assert parse(html).updated == expected


@pytest.mark.parametrize("meta", ['<meta name="review-date" content="2024-03-01">',
                                  '<meta name="last-reviewed" content="next spring">'])
def test_a_date_meta_that_is_not_read_is_reported(meta):
    page = parse(f"<html><head><title>T</title>{meta}</head><body><main><h1>T</h1><p>Text.</p></main></body></html>")
    assert page.updated is None
    [note] = page.notes
    assert note.startswith(meta[:-1]) and "ignored" in note and "last-reviewed" in note, note


def test_no_title_is_an_error():
    with pytest.raises(PageError, match="no title"):
        parse("<html><body><main><p>Text only.</p></main></body></html>")


def test_no_text_is_an_error():
    with pytest.raises(PageError, match="no text"):
        parse("<html><head><title>Empty</title></head><body><main><h1>Empty</h1></main></body></html>")


def test_broken_markup_still_parses():
    page = parse("<html><head><title>T</title><body><main><h1>T<p>Unclosed <b>bold <h2 id=x>Part<p>More")
    assert page.title
    assert any("More" in s.text for s in page.sections)


def test_declared_charset_is_used_when_not_utf8():
    html = '<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><main><h1>Caf\xe9</h1><p>Cr\xe8me.</p></main></body></html>'
    page = parse(html.encode("latin-1"))
    assert page.title == "Café"
    assert page.sections[0].text == "Crème."


def test_undeclared_non_utf8_bytes_are_refused():
    with pytest.raises(PageError, match="not valid UTF-8"):
        decode_html("<html><title>Caf\xe9</title></html>".encode("latin-1"))


def test_content_hash_changes_with_content():
    assert parse(PAGE).content_hash != parse(PAGE.replace("Rest and ice", "Rest")).content_hash
