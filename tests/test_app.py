"""End to end through the Flask test client: the default corpus, the real model, the real index."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from search_app.ranking import RankingConfig

SECTIONS_PER_PAGE = RankingConfig.sections_per_page
EXCERPTS_PER_PAGE = RankingConfig.excerpts_per_page

TREATMENT = "Treatment for metastatic breast cancer"


def api(client, **params):
    return client.get("/api/search", query_string=params)


def first_passage(body):
    return body["results"][0]["passages"][0]


def test_stage_4_cure_question_lands_on_treatment_section(client):
    response = api(client, q="can stage 4 breast cancer be cured")
    assert response.status_code == 200
    body = response.get_json()
    passage = first_passage(body)
    assert passage["section"] == TREATMENT
    assert passage["link"] == "/pages/metastatic-breast-cancer-introduction.html#treatment"
    assert "cannot be cured" in passage["text"]
    page = client.get(passage["link"].split("#")[0])
    assert page.status_code == 200
    soup = BeautifulSoup(page.data, "html.parser")
    assert soup.find(id="treatment").find("h2").get_text() == TREATMENT


def test_bones_question_lands_on_introduction(client):
    body = api(client, q="my cancer spread to my bones, is it bone cancer now?").get_json()
    passage = first_passage(body)
    assert passage["section"] == ""
    assert passage["link"] == "/pages/metastatic-breast-cancer-introduction.html"
    assert "not bone cancer" in passage["text"]


def test_response_shape_and_highlights(client):
    body = api(client, q="hormone therapy", limit=5).get_json()
    assert set(body) >= {"query", "total", "results", "no_match", "limit", "offset"}
    assert body["query"] == "hormone therapy" and body["total"] == 1
    result = body["results"][0]
    assert result["page"] == {
        "url": "/pages/metastatic-breast-cancer-introduction.html",
        "title": "Metastatic Breast Cancer (Stage IV or Advanced Breast Cancer) Introduction",
        "updated": "2014-05-02",
        "source": "pages",
    }
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
    assert page.status_code == 200 and b"No good match" in page.data and b"helpline" in page.data


def test_paging_past_the_end_is_empty_but_valid(client):
    body = api(client, q="treatment", offset=5).get_json()
    assert body["total"] == 1 and body["results"] == []


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
    from indexer.publishing import published_version

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
    assert [m.get_text().lower() for m in section.find_all("mark")] == ["cured"]
    assert first.find("time")["datetime"] == "2014-05-02"
    assert soup.find(string=lambda s: s and "not medical advice" in s)
    assert soup.select_one("a.section-link")["href"].endswith("#treatment")


def test_page_shows_best_sections_with_excerpts_and_the_rest_as_links(client):
    sections = [p["section"] or "Introduction" for p in
                api(client, q="hormone therapy").get_json()["results"][0]["passages"]]
    assert len(sections) > EXCERPTS_PER_PAGE, "the question should match more sections than get excerpts"
    soup = BeautifulSoup(client.get("/", query_string={"q": "hormone therapy"}).data, "html.parser")
    first = soup.select_one("li.page")
    with_excerpts = [li.find("h4").get_text(strip=True) for li in first.select("ul.sections li")]
    also = [a.get_text(strip=True) for a in first.select("p.also a")]
    assert with_excerpts == sections[:EXCERPTS_PER_PAGE] and also == sections[EXCERPTS_PER_PAGE:]
    assert all(a["href"].startswith("/pages/metastatic-breast-cancer-introduction.html") for a in first.select("p.also a"))


def test_home_page_without_query(client):
    response = client.get("/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("form", role="search") and not soup.select("li.page")
    assert not soup.find("select"), "no site filter for a single-source corpus"
