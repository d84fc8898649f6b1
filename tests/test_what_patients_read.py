"""What a patient reads on the default corpus: whole sentences, results that can be told apart, and an
honest word on how well the pages match."""
from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from search_app.web.widget import STATIC
from search_index.text import sentence_spans
from tests.helpers import CORPUS_PAGES, ROOT

COMMON = ["can stage 4 breast cancer be cured", "side efects of chemo", "does it spread to the bones",
          "what is her2", "life expectancy metastatic breast cancer", "is it bone cancer now",
          "hair loss", "male breast cancer symptoms", "what is a mastectomy", "triple negative"]


def whole_sentences(text: str, shown: str) -> bool:
    body = shown.removeprefix("… ").removesuffix(" …")
    spans = sentence_spans(text)
    start = text.find(body)
    return start >= 0 and start in {s for s, _ in spans} and start + len(body) in {e for _, e in spans}


def test_every_excerpt_the_api_gives_is_whole_sentences(client):
    checked = 0
    for question in COMMON:
        body = client.get("/api/search", query_string={"q": question}).get_json()
        shown = [(p["text"], p["excerpt"]["text"]) for r in body["results"] for p in r["passages"]]
        shown += [(item["text"], item["excerpt"]["text"]) for item in body["recommended"]]
        for text, excerpt in shown:
            assert whole_sentences(text, excerpt), (question, excerpt)
            checked += 1
    assert checked > 50


def test_the_cure_question_shows_the_whole_sentence(client):
    body = client.get("/api/search", query_string={"q": "can stage 4 breast cancer be cured"}).get_json()
    excerpts = [p["excerpt"]["text"] for r in body["results"] for p in r["passages"]]
    excerpts += [item["excerpt"]["text"] for item in body["recommended"]]
    cure = [e for e in excerpts if "cannot be cured" in e]
    assert cure and all("As hard as it is to hear, metastatic breast cancer cannot be cured." in e for e in cure)


def test_no_two_results_on_a_page_share_title_and_site(client):
    shared = 0
    for question in COMMON:
        for offset in (0, 10):
            body = client.get("/api/search", query_string={"q": question, "offset": offset}).get_json()
            names = [(r["page"]["title"].casefold(), r["page"]["detail"], r["page"]["source"]) for r in body["results"]]
            assert len(names) == len(set(names)), (question, names)
            shared += sum(1 for r in body["results"] if r["page"]["detail"])
    assert shared, "the default corpus has pages that share a title and a site"
    page = client.get("/", query_string={"q": "does it spread to the bones"}).get_data(as_text=True)
    assert "· breast treatment pdq" in page or "· breast prevention pdq" in page


def test_a_passage_inside_its_section_is_linked_by_its_opening_words_and_shared_by_its_original(client):
    body = client.get("/api/search", query_string={"q": "what is her2"}).get_json()
    passages = [(r["page"], p) for r in body["results"] for p in r["passages"]]
    inside = [(page, p) for page, p in passages if ":~:text=" in p["link"]]
    assert inside, "some shown passage starts inside its section"
    for page, p in inside:
        words = unquote(p["link"].split(":~:text=")[1])
        assert " ".join(p["text"].split()).startswith(words) and "-" not in p["link"].split(":~:text=")[1]
        retired = urlsplit(page["original_url"] or "").hostname in ("nihseniorhealth.gov", "ghr.nlm.nih.gov")
        if page["original_url"] and not retired:
            assert p["public_link"].startswith(page["original_url"] + "#")
        else:
            assert p["public_link"] == p["link"], "a retired site's page is shared by the search's own copy"


def test_a_page_copy_is_a_readable_page_with_its_original_address(client):
    page = client.get("/pages/cancer.gov/breast-treatment-pdq.html")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="viewport"' in html
    assert "A copy of “Breast Cancer” from cancer.gov" in html
    assert 'the original is at <a href="https://www.cancer.gov/types/breast/patient/breast-treatment-pdq">' in html
    assert "<nav" not in html.split('<main id="main">')[1] and "<form" not in html.split('<main id="main">')[1]
    assert 'href="/health-topics/"' not in html and 'id="treatment"' in html


def test_every_page_copy_has_a_viewport_and_no_page_script(client):
    from tests.helpers import CORPUS_PAGES

    copies = sorted(CORPUS_PAGES.rglob("*.html"))
    assert len(copies) >= 18
    for path in copies:
        html = client.get(f"/pages/{path.relative_to(CORPUS_PAGES).as_posix()}").get_data(as_text=True)
        assert 'name="viewport"' in html, path
        body = html.split('<article class="copy">')[1]
        assert "<script" not in body and " on" not in body.split(">")[0]


def test_a_copy_keeps_only_safe_markup(tmp_path):
    from search_app.web.copies import read_copy

    page = tmp_path / "p.html"
    page.write_text('<html><body><nav><a href="/x">Menu</a></nav><main><h1 onclick="x()">T</h1>'
                    '<p style="color:red">Text <a href="javascript:alert(1)">bad</a> <a href="/about/">site</a> '
                    '<a href="#part">here</a><img src=x onerror=alert(1)></p><script>alert(1)</script>'
                    '<iframe src="https://evil.example"></iframe></main></body></html>')
    copy = read_copy(page, "https://www.example.org/topics/p")
    assert copy.title == "T"
    assert copy.body == ('<h1>T</h1><p>Text <a>bad</a> <a href="https://www.example.org/about/">site</a> '
                         '<a href="#part">here</a></p>')


def test_how_well_it_matched_good_weak_and_none(client):
    def match(question):
        return client.get("/api/search", query_string={"q": question}).get_json()

    assert match("can men get breast cancer")["match"] == "good"
    dye = match("can i dye my hair while on chemo")
    assert dye["match"] == "weak" and dye["results"] and not dye["no_match"]
    turmeric = match("does turmeric cure breast cancer")
    assert turmeric["match"] == "weak" and turmeric["missing"] == ["turmeric"]
    pizza = match("pizza recipe with pineapple")
    assert pizza["match"] == "none" and pizza["no_match"]
    page = client.get("/", query_string={"q": "does turmeric cure breast cancer"}).get_data(as_text=True)
    assert "These pages may not answer your question." in page and "They do not mention “turmeric”" in page


@pytest.mark.parametrize("question", ["her2", "triple negative", "what is her2"])
def test_a_short_question_whose_words_the_first_section_holds_is_matched_good(client, question):
    """Short questions stay far from every passage's vector, but the first section talks about all
    they name: no "these pages may not answer" above it."""
    body = client.get("/api/search", query_string={"q": question}).get_json()
    first = body["results"][0]
    held = " ".join([first["page"]["title"], first["passages"][0]["section"], first["passages"][0]["text"]]).lower()
    assert all(word in held for word in question.removeprefix("what is ").split())
    assert body["match"] == "good"


def test_a_name_the_models_do_not_know_finds_the_section_that_holds_it(client):
    """The default corpus ranks English by e5 without the keyword side, but for the question's names."""
    body = client.get("/api/search", query_string={"q": "what is the nccn"}).get_json()
    first = body["results"][0]["passages"][0]
    assert "NCCN" in first["text"] and body["match"] == "good"


def test_missing_names_no_everyday_form_of_a_word_the_pages_hold(client):
    """A plural context word, another form of a word the pages use and a contraction typed without
    its apostrophe are no topic the pages lack; a word the pages never use still is."""
    body = client.get("/api/search", query_string={"q": "my moms cancer moved to her bones cant they treat it"})
    assert body.get_json()["missing"] == []
    tattoo = client.get("/api/search", query_string={"q": "my moms cancer moved, can she get a tattoo"})
    assert tattoo.get_json()["missing"] == ["tattoo"]


def test_an_irregular_form_of_a_word_the_pages_hold_is_not_missing(client):
    """"went" is a form of "go", "wrote" of "write": the pages hold those words, so neither is named
    missing nor counts against the match; a word the pages never use still is missing."""
    went = client.get("/api/search", query_string={"q": "my dads cancer went to his bones, can they treat it"})
    assert went.get_json()["missing"] == []
    wrote = client.get("/api/search", query_string={"q": "who wrote the treatment guidelines, can i get a tattoo"})
    assert wrote.get_json()["missing"] == ["tattoo"]


def test_an_adverb_is_never_a_missing_topic(client):
    """The pages never say "everywhere", but a word that only says where, how or when names no topic
    they lack."""
    body = client.get("/api/search", query_string={"q": "my cancer has spread everywhere, is chemo any use"})
    assert body.get_json()["missing"] == []


def test_the_results_heading_names_the_question_searched(client):
    page = client.get("/", query_string={"q": "metastic breast cancer treatment"}).get_data(as_text=True)
    assert "for “metastatic breast cancer treatment”</h2>" in page


def test_no_helpline_line_without_a_helpline_and_the_maintainer_is_told(client, corpus_index):
    page = client.get("/", query_string={"q": "pizza recipe with pineapple"}).get_data(as_text=True)
    assert "No good match" in page and "helpline" not in page.lower() and "Talk to someone" not in page
    assert client.get("/api/search", query_string={"q": "pizza"}).get_json()["helpline"] is None
    from search_app import create_app

    token = "t" * 32
    admin = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "ADMIN_TOKEN": token}).test_client()
    status = admin.get("/admin/status", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert "<dt>Helpline</dt><dd>not set: a question the pages do not answer is offered no one to talk to" in status


def test_the_helpline_comes_from_the_sources_file(tmp_path):
    from indexer.build import build
    from indexer.sources import load_sources_file
    from search_app import create_app
    from tests.helpers import page_html, write_page

    write_page(tmp_path / "pages", "a.html", page_html("Volcanoes", [("Lava", "Lava flows from a volcano.")]))
    (tmp_path / "sources.toml").write_text('helpline = "Call our nurses on 0800 000 0000 (9am to 5pm)."\n'
                                           '[[folder]]\npath = "pages"\n')
    build(load_sources_file(tmp_path / "sources.toml"), tmp_path / "index", device="cpu", progress=False)
    token = "t" * 32
    client = create_app({"INDEX_DIR": str(tmp_path / "index"), "RATE_LIMIT_PER_MINUTE": 0,
                         "ADMIN_TOKEN": token}).test_client()
    page = client.get("/", query_string={"q": "pizza recipe with pineapple"}).get_data(as_text=True)
    assert "Talk to someone: Call our nurses on 0800 000 0000 (9am to 5pm)." in page
    status = client.get("/admin/status", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert "<dt>Helpline</dt><dd>Call our nurses on 0800 000 0000 (9am to 5pm).</dd>" in status
    body = client.get("/api/search", query_string={"q": "lava"}).get_json()
    assert body["helpline"] == "Call our nurses on 0800 000 0000 (9am to 5pm)."


def test_the_sentence_that_answers_is_marked_in_the_first_excerpts(client):
    body = client.get("/api/search", query_string={"q": "can stage 4 breast cancer be cured"}).get_json()
    recommended = body["recommended"][0]["excerpt"]
    start, end = recommended["answer"]
    assert "cannot be cured" in recommended["text"][start:end]
    others = [p["excerpt"]["answer"] for r in body["results"] for p in r["passages"]]
    assert others and not any(others), "only the excerpt read first is marked"
    plain = client.get("/api/search", query_string={"q": "what are the side effects of radiation"}).get_json()
    assert not plain["recommended"] and plain["results"][0]["passages"][0]["excerpt"]["answer"]
    page = client.get("/", query_string={"q": "can stage 4 breast cancer be cured"}).get_data(as_text=True)
    assert page.count('<span class="answer">') == 1
    assert '<span class="answer">As hard as it is to hear, metastatic breast cancer cannot be <mark>cured</mark>.</span>' in page, \
        "the site's every-passage words are not highlighted"


@pytest.mark.parametrize("question", ["does turmeric cure breast cancer", "el seguro me paga la peluca durante la quimio"])
def test_no_sentence_is_marked_as_the_answer_where_the_pages_may_not_answer(client, question):
    body = client.get("/api/search", query_string={"q": question}).get_json()
    assert body["match"] == "weak" and body["results"]
    assert not any(p["excerpt"]["answer"] for r in body["results"] for p in r["passages"])
    page = client.get("/", query_string={"q": question}).get_data(as_text=True)
    assert '<span class="answer">' not in page


def test_answer_chunks_split_highlights_at_the_answer():
    from search_app.engine.excerpts import answer_chunks

    text = "One cure. Two cures here. Three."
    chunks = answer_chunks(text, [(4, 8), (14, 19)], (10, 25))
    assert chunks == [([("One ", False), ("cure", True), (". ", False)], False),
                      ([("Two ", False), ("cures", True), (" here.", False)], True),
                      ([(" Three.", False)], False)]


def test_a_deeply_nested_copy_is_written_in_one_pass():
    import time

    from bs4 import BeautifulSoup

    from search_app.web.copies import safe_html

    depth = 50_000
    root = BeautifulSoup("<main>" + "<div>" * depth + "<p>deep</p>" + "</div>" * depth + "</main>", "html.parser").main
    started = time.perf_counter()
    assert safe_html(root, None) == "<div>" * depth + "<p>deep</p>" + "</div>" * depth
    assert time.perf_counter() - started < 10, "linear in depth (a quadratic walk takes minutes here)"


def test_only_pages_the_served_version_holds_and_shows_have_copies(tmp_path):
    from search_app import create_app
    from tests.helpers import build_folder, page_html, write_page

    pages = tmp_path / "pages"
    write_page(pages, "shown.html", page_html("Shown", [("Part", "Advice about chemotherapy and its side effects.")]))
    write_page(pages, "hidden.html", page_html("Hidden", [("Part", "Advice about radiotherapy under review.")]))
    bets = tmp_path / "best-bets.toml"
    bets.write_text('hide = ["/pages/hidden.html"]\n')
    build_folder(pages, tmp_path / "index", best_bets=bets)
    write_page(pages, "deep.html", "<html><body><main><h1>Deep</h1>" + "<div>" * 50_000 + "x" + "</div>" * 50_000)
    write_page(pages, "later.html", page_html("Added after the build"))
    client = create_app({"INDEX_DIR": str(tmp_path / "index"), "PAGES_DIR": str(pages),
                         "RATE_LIMIT_PER_MINUTE": 0}).test_client()
    assert client.get("/pages/shown.html").status_code == 200
    for name in ("hidden.html", "deep.html", "later.html"):
        assert client.get(f"/pages/{name}").status_code == 404, name


def test_page_copies_are_rate_limited_like_searches(corpus_index):
    from search_app import create_app
    from tests.helpers import CORPUS_PAGES

    client = create_app({"INDEX_DIR": str(corpus_index), "PAGES_DIR": str(CORPUS_PAGES), "RATE_LIMIT_PER_MINUTE": 1,
                         "RATE_LIMIT_BURST": 1}).test_client()
    codes = [client.get("/pages/metastatic-breast-cancer-introduction.html").status_code for _ in range(4)]
    assert codes[0] == 200 and codes[-1] == 429


@pytest.mark.parametrize("planted", [
    '<![CDATA[><meta http-equiv="refresh" content="0;url=https://evil.example/">]]>',
    '<![CDATA[><img src=x><form action="https://evil.example/"><input name=q></form>]]>',
    '<!DOCTYPE x [<!ENTITY a "b">]><?xml-stylesheet href="https://evil.example/s.css"?>',
    '<?php ><meta name="referrer" content="unsafe-url"> ?>',
    '<!--><a class="section-link" data-public="https://evil.example/" href="#x">x</a>-->',
])
def test_cdata_declarations_and_processing_instructions_never_reach_a_copy(tmp_path, planted):
    from search_app.web.copies import read_copy

    page = tmp_path / "p.html"
    page.write_text(f"<html><body><main><h1>T</h1><p>Before {planted} after.</p></main></body></html>")
    body = read_copy(page, None).body
    assert "evil.example" not in body and "<meta" not in body and "<img" not in body and "<!" not in body
    assert "<?" not in body and "data-public" not in body
    assert body.startswith("<h1>T</h1><p>Before ") and body.endswith(" after.</p>")


def test_a_named_anchor_keeps_its_place_in_the_copy(tmp_path):
    from search_app.web.copies import read_copy

    page = tmp_path / "p.html"
    page.write_text('<main><h1>T</h1><h2><a name="side-effects">Side effects</a></h2><p>Text.</p>'
                    '<a name="x" id="y">both</a><a name="bad&quot;onclick=x">z</a></main>')
    body = read_copy(page, None).body
    assert '<h2><a id="side-effects">Side effects</a></h2>' in body and '<a id="y">both</a>' in body
    assert '<a id="bad&quot;onclick=x">z</a>' in body


def corpus_repairs() -> list[tuple[str, str, str]]:
    """(page, was, now) of each row of corpus/README.md's table of repairs."""
    rows = re.findall(r"^\| `([^`]+\.html)` \| ([^|]+?) \| ([^|]+?) \|$", (ROOT / "corpus" / "README.md").read_text(),
                      re.M)
    return [(page, re.sub(r" \((twice|three times)\)$", "", was), now) for page, was, now in rows]


def test_the_default_corpus_has_the_characters_its_collection_lost_put_back():
    repairs = corpus_repairs()
    assert len(repairs) == 11
    for page, was, now in repairs:
        text = (CORPUS_PAGES / page).read_text(encoding="utf-8")
        assert was not in text and now in text, page
    words = {w.lower() for path in CORPUS_PAGES.rglob("*.html") for w in re.findall(r"[A-Za-z]+", path.read_text())}
    assert not words & {"womans", "bodys", "mans", "genesthose"}, "no lost apostrophe or dash is left"


def test_staff_see_the_address_they_copy_readable(client):
    soup = BeautifulSoup(client.get("/", query_string={"q": "side effects of radiation therapy"}).data, "html.parser")
    addresses = soup.select(".section-link")
    assert addresses and all(a.name == "code" and a.get_text() == unquote(urljoin("http://localhost/", a["data-public"]))
                             for a in addresses), "whole, as copy-link.js copies it"
    fragments = [a.get_text() for a in addresses if ":~:text=" in a["data-public"]]
    assert fragments and all("%20" not in text for text in fragments), "a text fragment's words read as words"


def test_list_items_stay_apart_in_an_excerpt(client):
    """Each item of a list is a line of its own, never run into the next as one sentence."""
    body = client.get("/api/search", query_string={"q": "breast symptoms in men puckered skin"}).get_json()
    excerpts = [p["excerpt"]["text"] for r in body["results"] for p in r["passages"]]
    listed = next(text for text in excerpts if "Dimpled or puckered skin" in text)
    assert "include\nDimpled or puckered skin\nA red, scaly nipple or skin" in listed
    html = client.get("/", query_string={"q": "breast symptoms in men puckered skin"}).get_data(as_text=True)
    assert re.search(r"include(</span>)?\nDimpled", html), "the list item starts its own line (and sentence)"
    for sheet in ("style.css", "widget.css"):
        assert re.search(r"\.(cs-)?excerpt \{[^}]*white-space: pre-line", (STATIC / sheet).read_text()), sheet


def test_a_page_copy_says_what_it_is_at_both_ends_and_goes_back_to_the_question(client):
    page = "/pages/metastatic-breast-cancer-introduction.html"
    came = client.get(page, headers={"Referer": "http://localhost/?q=can+stage+4+be+cured"})
    soup = BeautifulSoup(came.data, "html.parser")
    notes = soup.select("p.copy-note")
    assert len(notes) == 2 and notes[0].find_next("article") and notes[1].find_previous("article")
    assert [n.find("a", string="Back to the search")["href"] for n in notes] == ["/?q=can+stage+4+be+cured"] * 2
    elsewhere = BeautifulSoup(client.get(page, headers={"Referer": "https://evil.example/?q=x"}).data, "html.parser")
    assert elsewhere.find("a", string="Back to the search")["href"] == "/?lang=en"


@pytest.mark.xfail(strict=True, reason="known miss: the first stage puts the charity's treatment guidelines first, "
                                       "which never mention trials; no second stage trained here fixes it yet "
                                       "(README, 'Second stage')")
def test_a_question_about_clinical_trials_lands_first_on_a_section_about_them(client):
    body = client.get("/api/search", query_string={"q": "clinical trials for metastatic breast cancer"}).get_json()
    first = body["results"][0]["passages"][0]
    assert "trial" in first["section"].lower(), first["section"]


def test_a_recommended_section_is_shown_from_its_start_and_not_repeated_below(client):
    question = "life expectancy stage 4 breast cancer"
    body = client.get("/api/search", query_string={"q": question}).get_json()
    [recommended] = body["recommended"]
    assert recommended["link"] == "/pages/metastatic-breast-cancer-introduction.html#prognosis"
    excerpt = recommended["excerpt"]["text"]
    assert recommended["text"].startswith(excerpt.removesuffix(" …")) and "15 percent" in excerpt, \
        "the editors' section from its start, with the figures its later sentences refer to"
    below = [p for result in body["results"] for p in result["passages"] if p["link"] == recommended["link"]]
    assert below and all(p["shown_above"] for p in below)
    assert not any(p["shown_above"] for result in body["results"] for p in result["passages"]
                   if p["link"] != recommended["link"])
    page = client.get("/", query_string={"q": question}).get_data(as_text=True)
    assert page.count("Shown above, as recommended.") == len(below)
    assert page.count(excerpt.split(". ")[0]) == 1, "the excerpt is shown once"
    spanish = client.get("/", query_string={"q": question, "lang": "es"}).get_data(as_text=True)
    assert "Se muestra arriba, como recomendado." in spanish


def default_corpus_pages() -> dict[str, object]:
    """Every page of the default corpus as the indexer reads it, with the sources file's furniture."""
    from indexer.parsing import parse_page
    from indexer.sources import load_sources_file
    from search_index.documents import Address

    furniture = tuple(load_sources_file(ROOT / "corpus" / "sources.toml").furniture)
    return {str(path.relative_to(CORPUS_PAGES)): parse_page(path.read_bytes(), path.name, "test",
                                                            Address(f"/pages/{path.name}"), furniture)
            for path in sorted(CORPUS_PAGES.rglob("*.html"))}


def test_the_default_corpus_reads_without_site_furniture():
    lines = [line for page in default_corpus_pages().values() for section in page.sections
             for line in section.text.split("\n")]
    text = "\n".join(lines)
    for furniture in ("To reduce the video", "To enlarge the video", "The frequency may also be listed",
                      "Learn more about quality of life.", "Learn about menopausal hormone therapy"):
        assert furniture not in text
    assert not [line for line in lines if line.endswith("NIH: National Cancer Institute")]
    assert "Drinking alcohol increases the risk of breast cancer." in text, "the pages' own sentences stay"


def test_headings_run_into_the_text_stand_apart_from_their_sentences():
    pages = default_corpus_pages()
    expected = {"cancer.gov/breast-treatment-pdq.html": ("Other treatment options",
                                                         "Other treatment options for metastatic breast cancer"),
                "nihseniorhealth/breastcancer.html": ("Treating HER2-Positive Breast Cancer",
                                                      "Herceptin is a drug commonly used")}
    for name, (heading, sentence) in expected.items():
        lines = [line for section in pages[name].sections for line in section.text.split("\n")]
        assert heading in lines, (name, heading)
        assert lines[lines.index(heading) + 1].startswith(sentence)
    every = "\n".join(s.text for page in pages.values() for s in page.sections)
    assert "Breast Cancer Herceptin" not in every and "How Tumors Form The body" not in every


def test_the_nihseniorhealth_copy_has_its_headings_and_each_bullet_once(client):
    readme = (ROOT / "corpus" / "README.md").read_text(encoding="utf-8")
    listed = " ".join(readme.split("The sub-headings: ", 1)[1].split("\nThe cancer.gov", 1)[0].split())
    headings = [h.strip() for h in listed.split(" · ")]
    soup = BeautifulSoup(client.get("/pages/nihseniorhealth/breastcancer.html").data, "html.parser")
    copy = soup.select_one("article.copy")
    assert len(headings) == 34 and {h.get_text() for h in copy.select("p > strong")} == set(headings)
    blocks = [" ".join(b.get_text().split()) for b in copy.find_all(["p", "li"])]
    assert max(map(len, blocks)) < 3100 and sum(b.name == "li" for b in copy.find_all("li")) > 40
    for block in blocks:
        sentences = [block[s:e] for s, e in sentence_spans(block)]
        assert not any(a == b for a, b in zip(sentences, sentences[1:])), block[:120]


def test_no_excerpt_runs_a_heading_into_its_sentence(client):
    shown = []
    for question in ("how does herceptin work", "treating her2 positive breast cancer",
                     "radiation to the bones to relieve pain"):
        body = client.get("/api/search", query_string={"q": question}).get_json()
        shown += [p for r in body["results"] for p in r["passages"]]
    texts = [p["excerpt"]["text"] for p in shown]
    marked = [p["excerpt"]["text"][slice(*p["excerpt"]["answer"])] for p in shown if p["excerpt"]["answer"]]
    assert any("Herceptin" in t for t in texts) and marked
    assert not any("Breast Cancer Herceptin" in t or "heart. Radiation therapy" in t for t in texts + marked)
    assert any("heart.\nRadiation therapy\nRadiation therapy to the bones" in p["text"] for p in shown)


def test_a_marked_answer_is_a_sentence_never_a_heading(client):
    marked = []
    for question in ("what is hormone therapy", "targeted therapy", "how tumors form", "stage II"):
        body = client.get("/api/search", query_string={"q": question}).get_json()
        shown = [p["excerpt"] for r in body["results"] for p in r["passages"]]
        shown += [item["excerpt"] for item in body["recommended"]]
        marked += [e["text"][slice(*e["answer"])] for e in shown if e["answer"]]
    assert marked and all(m.rstrip("\"')”’").endswith((".", "!", ":")) for m in marked), marked
