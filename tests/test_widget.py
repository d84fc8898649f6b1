"""The widget's files, suggestions as you type, and the cross-origin API."""
from __future__ import annotations

import gzip
import re
from collections import Counter

import pytest

from indexer.vocabulary import common_phrases
from search_app import create_app
from search_app.engine.retrieval import Retriever
from search_app.engine.suggest import Suggester, topics
from search_app.web.widget import STATIC
from tests.helpers import StandIn, build_folder, page_html, write_page

SITE = "https://www.example-charity.org"


@pytest.fixture(scope="module")
def cors_client(corpus_index):
    return create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0,
                       "ALLOWED_ORIGINS": [SITE]}).test_client()


def test_suggestions_complete_what_was_typed_from_the_corpus(client):
    for typed, expected in (("mast", "mastectomy"), ("metast", "metastatic"), ("brca", "brca1"),
                            ("mastectmy", "mastectomy"), ("inflamatory brea", "inflammatory breast cancer"),
                            ("brest", "breast cancer")):
        body = client.get("/api/suggest", query_string={"q": typed}).get_json()
        assert 1 <= len(body["suggestions"]) <= 8 and body["query"] == typed
        assert any(expected in s for s in body["suggestions"]), (typed, body["suggestions"])
    assert client.get("/api/suggest", query_string={"q": "m"}).get_json()["suggestions"] == []
    assert client.get("/api/suggest", query_string={"q": "zzzzqqq"}).get_json()["suggestions"] == []


def test_unfinished_phrases_and_the_editors_questions_are_suggested(client):
    for typed, expected in (("side ef", "side effects"), ("her", "her2"), ("tripl", "triple negative"),
                            ("brest canc", "breast cancer"), ("can stage", "can stage 4 be cured"),
                            ("life exp", "life expectancy stage 4 breast cancer")):
        found = client.get("/api/suggest", query_string={"q": typed}).get_json()["suggestions"]
        assert any(s.startswith(expected) for s in found[:3]), (typed, found)


def test_common_phrases_are_whole_phrases():
    texts = ["Side effects of chemotherapy include hair loss."] * 3 + ["Chemotherapy side effects, including nausea."] * 3
    phrases = dict(common_phrases(texts))
    assert phrases["side effects"] == 6 and phrases["hair loss"] == 3
    assert not [p for p in phrases if p.endswith(("including", "of", "include"))]


def test_suggestions_start_with_what_was_typed_first():
    suggester = Suggester(Counter({"breast cancer": 9, "male breast cancer": 5, "breast reconstruction": 2,
                                   "breastfeeding": 1}))
    assert suggester.suggest("breast c") == ["breast cancer", "male breast cancer"]
    assert suggester.suggest("brea")[:2] == ["breast cancer", "breast reconstruction"]


@pytest.mark.parametrize("typed, asked, suggested", [
    ("cáncer de", {}, False), ("cancer de", {"lang": "es"}, False), ("mastectomia", {"lang": "es"}, False),
    ("cancer de", {"lang": "en"}, True), ("mastectomy", {}, True)])
def test_a_question_read_in_another_language_than_the_pages_gets_no_suggestions(client, typed, asked, suggested):
    body = client.get("/api/suggest", query_string={"q": typed, **asked}).get_json()
    assert bool(body["suggestions"]) is suggested, body


def test_the_reader_s_browser_language_decides_like_lang(client):
    spanish = client.get("/api/suggest", query_string={"q": "cancer de"}, headers={"Accept-Language": "es-ES,es"})
    assert spanish.get_json()["suggestions"] == [] and "Accept-Language" in spanish.headers["Vary"]
    assert client.get("/api/suggest", query_string={"q": "cancer", "lang": "fr"}).status_code == 400


def test_only_phrases_that_read_as_one_are_suggested():
    found = topics([], [], [("lymph lymph", 9), ("lymphoma five", 9), ("mastectomy the removal", 9),
                            ("cancer this decreases", 9), ("lymph nodes", 9), ("signs of cancer", 9)])
    assert set(found) == {"lymph nodes", "signs of cancer"}


def test_the_pages_phrases_do_not_cross_a_sentence():
    phrases = dict(common_phrases(["After a mastectomy. The removal of lymph nodes is common."] * 3))
    assert "mastectomy the removal" not in phrases and "lymph nodes" in phrases


def test_generic_headings_are_suggested_after_their_title():
    found = topics([("Asthma", ["Overview", "Treatment"]), ("Gout", ["Treatment", "Diet and gout"]),
                    ("Eczema", ["Treatment (part 2)"])], [("eczema", "atopic dermatitis")])
    assert {"asthma treatment", "gout treatment", "eczema treatment", "diet and gout", "atopic dermatitis"} <= set(found)
    assert "treatment" not in found and "overview" not in found and "asthma overview" not in found


@pytest.mark.parametrize("query, reason", [({}, "Missing parameter q"), ({"q": "   "}, "empty"),
                                           ({"q": "x" * 501}, "too long")])
def test_suggest_rejects_bad_input_as_search_does(client, query, reason):
    suggest, search = (client.get(path, query_string=query) for path in ("/api/suggest", "/api/search"))
    assert suggest.status_code == search.status_code == 400
    assert reason in suggest.get_json()["reason"] and suggest.get_json() == search.get_json()


def test_cors_headers_only_for_allowed_origins(cors_client):
    for path in ("/api/search?q=mastectomy", "/api/suggest?q=mast"):
        allowed = cors_client.get(path, headers={"Origin": SITE})
        assert allowed.headers["Access-Control-Allow-Origin"] == SITE and "Origin" in allowed.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in allowed.headers
        other = cors_client.get(path, headers={"Origin": "https://evil.example"})
        assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    refused = cors_client.get("/api/search", headers={"Origin": SITE})
    assert refused.status_code == 400 and refused.headers["Access-Control-Allow-Origin"] == SITE, \
        "the widget can read the reason of a 400"
    assert "Access-Control-Allow-Origin" not in cors_client.get("/", headers={"Origin": SITE}).headers


def test_suggestions_have_their_own_rate_limit(corpus_index):
    client = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 2,
                         "RATE_LIMIT_BURST": 2}).test_client()
    codes = [client.get("/api/suggest", query_string={"q": "mast"}).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    assert client.get("/api/search", query_string={"q": "mastectomy"}).status_code == 200


def test_widget_files_are_versioned_and_small(client):
    page = client.get("/").get_data(as_text=True)
    pinned = re.search(r'src="(/widget-[0-9a-f]{12}\.js)"', page).group(1)
    response = client.get(pinned)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert response.data == client.get("/widget.js").data
    assert client.get("/widget.js").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/widget-0123456789ab.js").status_code == 404
    assert client.get("/widget.css").mimetype == "text/css"
    assert client.get("/widget.html").status_code == 404
    size = sum(len(gzip.compress((STATIC / name).read_bytes(), 9)) for name in ("widget.js", "widget.css"))
    assert size < 15_000


def test_widget_builds_results_without_html_strings():
    """Everything from the API reaches the page as text (textContent), never as markup."""
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def test_the_widget_speaks_the_catalogs_words_in_every_language(client):
    import json

    from search_app.web.widget import WIDGET_TEXT
    from search_index.language import LANGUAGES

    served = client.get("/widget.js").get_data(as_text=True)
    text = json.loads(re.search(r"const TEXT = (\{.*?\});\n", served).group(1))
    assert set(text) == set(LANGUAGES) and "WIDGET_TEXT" not in served
    for language in LANGUAGES:
        assert set(text[language]) == set(WIDGET_TEXT) | {"languages"}, language
    english, spanish = text["en"], text["es"]
    assert all(spanish[key] != english[key] for key in WIDGET_TEXT), "every message has its Spanish"
    page = client.get("/", query_string={"q": "¿cuál es la mejor receta de paella valenciana?", "lang": "es"}
                      ).get_data(as_text=True)
    assert spanish["noMatch"] in page and english["noMatch"] not in page, "the page's own words"
    assert english["found"] == ["%(num)d page for “%(query)s”", "%(num)d pages for “%(query)s”"]


def test_a_question_without_a_good_match_is_offered_the_topics_its_words_start(tmp_path):
    write_page(tmp_path / "pages", "lymph.html", page_html("Lymph nodes", [("Swollen glands", "Nodes can swell.")]))
    for topic in ("Skin care", "Sleep", "Diet", "Exercise", "Travel", "Work"):
        write_page(tmp_path / "pages", f"{topic}.html", page_html(topic, [("Tips", f"Some tips on {topic.lower()}.")]))
    build_folder(tmp_path / "pages", tmp_path / "index", embedder=StandIn())
    snapshot = Retriever(tmp_path / "index").snapshot()
    assert "lymph nodes" in snapshot.close_questions("knitting for a lymph clinic")
    assert not any("sleep" in text for text in snapshot.close_questions("knitting for a lymph clinic"))
    assert snapshot.close_questions("tejer para una clínica linfática", "es") == []
