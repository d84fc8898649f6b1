"""End to end through the Flask test client: the default corpus, the real model, the real index."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from search_app.engine.ranking import RankingConfig
from search_app.web.services import services
from tests.helpers import ROOT

SECTIONS_PER_PAGE = RankingConfig.sections_per_page
EXCERPTS_PER_PAGE = RankingConfig.excerpts_per_page

TREATMENT = "Treatment for metastatic breast cancer"


def api(client, **params):
    return client.get("/api/search", query_string=params)


def first_passage(body):
    return body["results"][0]["passages"][0]


SEED = "/pages/metastatic-breast-cancer-introduction.html"
SITES = {"Susan G. Komen", "cancer.gov", "MedlinePlus", "GARD (rare diseases)", "Genetics Home Reference",
         "NIHSeniorHealth"}


@pytest.mark.parametrize("question", ["is there a cure for stage 4", "can stage 4 breast cancer be cured"])
def test_stage_4_cure_question_lands_on_treatment_section(client, question):
    response = api(client, q=question)
    assert response.status_code == 200
    body = response.get_json()
    assert body["corrected_query"] is None, "no correct word is rewritten"
    passage = first_passage(body)
    assert passage["section"] == TREATMENT
    assert passage["link"] == "/pages/metastatic-breast-cancer-introduction.html#treatment"
    assert "cannot be cured" in passage["text"]
    page = client.get(passage["link"].split("#")[0])
    assert page.status_code == 200
    soup = BeautifulSoup(page.data, "html.parser")
    assert soup.find(id="treatment").find("h2").get_text() == TREATMENT


def test_bones_question_shows_that_it_is_still_breast_cancer(client):
    """The answer ("still breast cancer (not bone cancer)", or "metastatic breast cancer, not brain
    cancer") is among the sections shown for the first three pages."""
    body = api(client, q="cancer spread to my bones is it bone cancer now").get_json()
    shown = [p for r in body["results"][:3] for p in r["passages"][:EXCERPTS_PER_PAGE]]
    assert any("not bone cancer" in p["text"] or "not brain cancer" in p["text"] for p in shown)


def test_how_long_will_i_live_lands_on_prognosis(client):
    passage = first_passage(api(client, q="how long will I live with stage 4").get_json())
    assert passage["section"] == "Prognosis for metastatic breast cancer"
    assert passage["link"] == SEED + "#prognosis"


@pytest.mark.parametrize("question, page", [
    ("can men get breast cancer", ("/pages/medlineplus/malebreastcancer.html",
                                   "/pages/cancer.gov/male-breast-treatment-pdq.html")),
    ("my breast is red and swollen, what is inflammatory breast cancer",
     ("/pages/gard/inflammatory-breast-cancer.html",)),
    ("can they rebuild my breast after a mastectomy", ("/pages/medlineplus/breastreconstruction.html",
                                                       "/pages/medlineplus/mastectomy.html")),
    ("i am pregnant and have breast cancer, can i still be treated",
     ("/pages/cancer.gov/pregnancy-breast-treatment-pdq.html",)),
])
def test_questions_answered_by_the_added_pages_land_on_them(client, question, page):
    body = api(client, q=question).get_json()
    first = body["results"][0]
    assert first["page"]["url"] in page
    assert first["page"]["original_url"].startswith(("https://", "http://"))
    assert client.get(first["passages"][0]["link"].split("#")[0]).status_code == 200, "the link opens"


def test_response_shape_and_highlights(client):
    body = api(client, q="hormone therapy", limit=50).get_json()
    assert set(body) >= {"query", "total", "results", "no_match", "limit", "offset"}
    assert body["query"] == "hormone therapy" and body["total"] > 1
    seed = [r for r in body["results"] if r["page"]["url"] == SEED]
    assert seed and seed[0]["page"] == {
        "url": SEED,
        "title": "Metastatic Breast Cancer (Stage IV or Advanced Breast Cancer) Introduction",
        "detail": "",
        "updated": "2014-05-02",
        "source": "Susan G. Komen",
        "original_url": None,
        "language": "en",
    }
    assert all(r["page"]["source"] in SITES for r in body["results"])
    result = body["results"][0]
    assert 1 <= len(result["passages"]) <= SECTIONS_PER_PAGE
    assert len({p["section"] for p in result["passages"]}) == len(result["passages"])
    scores = [p["score"] for p in result["passages"]]
    assert scores == sorted(scores, reverse=True)
    marked = [p["text"][s:e].lower() for p in result["passages"] for s, e in p["highlights"]]
    assert marked and all(m.startswith(("hormon", "therap")) for m in marked)


def test_off_topic_questions_say_no_match(client):
    for question in ("pizza recipe", "who won the game last night"):
        body = api(client, q=question).get_json()
        assert body["no_match"] is True and body["total"] == 0 and body["results"] == []
    page = client.get("/", query_string={"q": "pizza recipe"})
    assert page.status_code == 200 and b"No good match" in page.data


def test_paging_past_the_end_is_empty_but_valid(client):
    total = api(client, q="treatment").get_json()["total"]
    body = api(client, q="treatment", offset=total).get_json()
    assert body["total"] == total and body["results"] == []


@pytest.mark.parametrize(
    "params, reason",
    [
        ({}, "Missing parameter q"),
        ({"q": ""}, "empty"),
        ({"q": "   "}, "empty"),
        ({"q": "x" * 501}, "too long"),
        ({"q": "cure", "limit": "0"}, "limit"),
        ({"q": "cure", "limit": "51"}, "limit"),
        ({"q": "cure", "limit": "ten"}, "limit"),
        ({"q": "cure", "offset": "-1"}, "offset"),
        ({"q": "cure", "offset": "1.5"}, "offset"),
        ({"q": "cure", "source": "nowhere"}, "Unknown source"),
        ({"q": "cure", "mode": "magic"}, "mode"),
    ],
)
def test_bad_parameters_get_400_with_reason(client, params, reason):
    response = api(client, **params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Bad Request" and reason in body["reason"]


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "x" * 501}, {"q": "cure", "limit": "99"}])
def test_bad_parameters_on_the_page_get_a_friendly_message(client, params):
    response = client.get("/", query_string=params)
    assert response.status_code == 400
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find(role="alert").get_text().strip()
    assert b"Traceback" not in response.data


@pytest.mark.parametrize(
    "query",
    [
        '<script>alert("x")</script> cancer',
        "\"quotes\" and 'apostrophes' & ampersands",
        "سرطان الثدي النقيلي",
        "cancer 🎗️💗",
        "null\x00byte cancer",
        '" OR 1=1 -- ; DROP TABLE pages; NEAR( *',
    ],
)
def test_hostile_or_unusual_queries_are_escaped(client, query):
    response = api(client, q=query)
    assert response.status_code == 200
    assert "\x00" not in response.get_json()["query"]
    page = client.get("/", query_string={"q": query})
    assert page.status_code == 200
    html = page.data.decode()
    assert "<script>alert" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert all(s.get("src") for s in soup.find_all("script")), "no inline script"
    assert soup.find("input", id="q")["value"] == " ".join(query.replace("\x00", " ").split()) or "\x00" in query


def test_security_headers_everywhere(client):
    for path in ("/", "/api/search?q=cure", "/api/search", "/healthz", "/nope", "/pages/metastatic-breast-cancer-introduction.html"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["X-Index-Version"]


def test_errors_never_show_a_stack_trace(client):
    assert client.get("/api/nope").get_json()["error"] == "Not Found"
    response = client.post("/api/search?q=cure")
    assert response.status_code == 405 and b"Traceback" not in response.data
    assert client.get("/pages/../../requirements.txt").status_code == 404


def test_health_and_readiness(client, corpus_index):
    from search_index.publishing import published_version

    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready == {"status": "ready", "version": published_version(corpus_index)}


def test_openapi_document_describes_search(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["schema"]["maxLength"] == 500
    assert params["limit"]["schema"]["maximum"] == 50


def test_search_page_shows_results_with_marks_links_and_date(client):
    response = client.get("/", query_string={"q": "can stage 4 be cured"})
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("label", attrs={"for": "q"})
    first = soup.select_one("li.page")
    assert first.find("h3").get_text(strip=True).startswith("Metastatic Breast Cancer")
    section = first.select_one("ul.sections li")
    assert section.find("h4").get_text(strip=True) == TREATMENT
    assert section.find("h4").a["href"] == "/pages/metastatic-breast-cancer-introduction.html#treatment"
    assert section.select_one("p.above") and not section.find("mark"), "the recommended section, not repeated"
    assert [m.get_text().lower() for m in soup.select_one(".recommended").find_all("mark")] == ["cured"]
    assert first.find("time")["datetime"] == "2014-05-02"
    assert first.select_one("p.meta span").get_text() == "Susan G. Komen"
    others = soup.select("li.page")[1:]
    assert all(p.select_one("a.original")["href"].startswith(("https://", "http://")) for p in others), \
        "copied pages show their original address"
    assert soup.find(string=lambda s: s and "not medical advice" in s)
    shown = soup.select_one(".section-link")
    assert shown["data-public"].endswith("#treatment"), shown
    assert shown.get_text() == "http://localhost" + shown["data-public"], \
        "the address shown is the one copied (copy-link.js copies it whole, with this site's host)"
    assert shown.name == "code", "an address to copy, not one more link to tab through"


def test_page_shows_best_sections_with_excerpts_and_the_rest_as_links(client):
    results = api(client, q="hormone therapy").get_json()["results"]
    number, result = next((n, r) for n, r in enumerate(results) if len(r["passages"]) > EXCERPTS_PER_PAGE)
    sections = [p["section"] or "Introduction" for p in result["passages"]]
    soup = BeautifulSoup(client.get("/", query_string={"q": "hormone therapy"}).data, "html.parser")
    page = soup.select("li.page")[number]
    with_excerpts = [li.find("h4").get_text(strip=True) for li in page.select("ul.sections li")]
    also = [a.get_text(strip=True) for a in page.select("p.also a")]
    assert with_excerpts == sections[:EXCERPTS_PER_PAGE] and also == sections[EXCERPTS_PER_PAGE:]
    assert all(a["href"].startswith(result["page"]["url"]) for a in page.select("p.also a"))


def test_home_page_without_query(client):
    response = client.get("/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("form", role="search") and not soup.select("li.page")
    options = [o.get_text() for o in soup.select("select#source option")]
    assert options[0] == "All" and set(options[1:]) == SITES, "the site filter names sites people recognise"


def test_site_filter_keeps_to_one_site(client):
    body = api(client, q="what is a mammogram", source="MedlinePlus", limit=50).get_json()
    assert body["results"] and {r["page"]["source"] for r in body["results"]} == {"MedlinePlus"}


def test_no_question_of_the_plain_language_set_is_refused_or_wrongly_rewritten(app):
    from bench.evaluate import load_queries
    from search_app.engine.results import SearchOptions

    retriever = services(app).retriever
    for judged in load_queries(ROOT / "corpus" / "eval" / "patients.jsonl"):
        result = retriever.search(judged.query, SearchOptions())
        assert not result.no_match, judged.query
        assert judged.misspelled or result.corrected_query is None, judged.query


def test_the_off_topic_threshold_follows_the_corpus(app, corpus_index):
    from search_app.engine.ranking import RankingConfig, off_topic_threshold
    from search_index import publishing

    scores = publishing.open_version(corpus_index).manifest.off_topic_scores
    assert len(scores) == 60 and scores == sorted(scores)
    threshold = off_topic_threshold(scores, RankingConfig().profile("en").off_topic_quantile)
    assert scores[0] < threshold < scores[-1]
    assert services(app).retriever.snapshot().threshold("minilm", 0.9) == threshold
    assert off_topic_threshold([0.1, 0.2, 0.3, 0.4, 0.5], 0.5) == 0.3


def test_a_dead_end_offers_questions_the_pages_answer_and_every_page(client):
    soup = BeautifulSoup(client.get("/", query_string={"q": "knitting a warm hat for winter"}).data, "html.parser")
    assert soup.select(".empty")
    offered = [a.get_text() for a in soup.select(".close-questions a")]
    assert "can stage 4 be cured" in offered, "the editors' reviewed questions"
    assert all(a["href"].startswith("/?q=") for a in soup.select(".close-questions a"))
    browse = soup.find("a", string="Browse all our pages")
    listing = BeautifulSoup(client.get(browse["href"]).data, "html.parser")
    titles = [a.get_text() for a in listing.select(".site-pages a")]
    assert "Metastatic Breast Cancer (Stage IV or Advanced Breast Cancer) Introduction" in titles
    assert len(titles) == len({a["href"] for a in listing.select(".site-pages a")}) >= 18
    assert "Susan G. Komen" in [h.get_text() for h in listing.select(".site-pages h2")]


def test_an_everyday_question_still_gets_the_editors_questions_and_the_pages(client):
    soup = BeautifulSoup(client.get("/", query_string={"q": "best pizza in town"}).data, "html.parser")
    assert soup.select(".empty") and soup.select(".close-questions a") and soup.find("a", string="Browse all our pages")
    spanish = BeautifulSoup(client.get("/", query_string={"q": "la mejor pizza de la ciudad", "lang": "es"}).data,
                            "html.parser")
    assert not spanish.select(".close-questions a"), "the pages' English questions are not offered to a Spanish one"
    assert spanish.find("a", string="Ver todas nuestras páginas")["href"] == "/pages/?lang=es"
