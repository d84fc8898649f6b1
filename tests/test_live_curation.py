"""The editors' live curation: changed through /admin/curation on one app, served by another on the same
record within 2 s, checked against the served version, recorded with who, undone, exported and
imported; viewers and forms from other sites change nothing. Each test runs on a SQLite record and on
PostgreSQL."""
from __future__ import annotations

import base64
import re
import shutil
import time

import pytest

from search_app import create_app
from search_app.web.services import close, services
from search_index.best_bets import parse_best_bets
from search_index.synonyms import parse_synonyms
from tests.helpers import StandIn, build_folder, page_html, write_page

EDITOR = "editor-token-0123456789abcdefghijklmn"
VIEWER = "viewer-token-0123456789abcdefghijklmn"
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}", "Accept": "application/json"}
AS_VIEWER = {"Authorization": f"Bearer {VIEWER}", "Accept": "application/json"}
BROWSER = {"Authorization": "Basic " + base64.b64encode(f"ann:{EDITOR}".encode()).decode()}
PAGES = {
    "roses.html": ("Growing roses", [("Planting", "Plant bare-root roses in late autumn in a sunny spot."),
                                     ("Pruning", "Cut back rose stems by a third in late winter.")]),
    "garden.html": ("Garden care through the year", [("Weeds", "Pull weeds by hand before they flower."),
                                                     ("Watering", "Water deeply once a week in dry weather.")]),
    "tools.html": ("Garden tools", [("Secateurs", "Clean and oil secateurs after each use.")]),
}


@pytest.fixture(scope="module")
def garden(tmp_path_factory):
    root = tmp_path_factory.mktemp("garden")
    for name, (title, sections) in PAGES.items():
        write_page(root / "pages", name, page_html(title, sections))
    build_folder(root / "pages", root / "index", embedder=StandIn())
    return root


def record_config(url: str) -> dict:
    return {"DATABASE_URL": url} if url.startswith("postgresql://") else {"QUERY_LOG": url}


def replica(index_dir, record_url: str):
    """An app on the index and the record, with an editor (named ann) and a viewer (named nurse)."""
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0,
                       "EDITOR_TOKENS": [("ann", EDITOR)], "VIEWER_TOKENS": [("nurse", VIEWER)],
                       **record_config(record_url)}).test_client()


def recommended(client, question: str) -> list[str]:
    return [p["link"] for p in client.get("/api/search", query_string={"q": question}).get_json()["recommended"]]


def result_links(client, question: str) -> list[str]:
    body = client.get("/api/search", query_string={"q": question}).get_json()
    return [p["link"] for result in body["results"] for p in result["passages"]]


def eventually(check, seconds: float = 2.0) -> float:
    """Seconds until `check()` holds; fails the test past `seconds`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_a_change_on_one_replica_is_served_by_the_other_within_two_seconds(garden, record_url):
    a, b = replica(garden / "index", record_url), replica(garden / "index", record_url)
    assert recommended(b, "when do i cut back roses") == []
    response = a.post("/admin/curation/bets", headers=AS_EDITOR,
                      data={"phrasings": "when do i cut back roses\nrose pruning", "show": ["/pages/roses.html#pruning"]})
    assert response.status_code == 200 and response.get_json()["revision"] == 1
    assert recommended(a, "when do i cut back roses") == ["/pages/roses.html#pruning"], "at once where it was made"
    eventually(lambda: recommended(b, "when do i cut back roses") == ["/pages/roses.html#pruning"])
    assert a.post("/admin/curation/hide", headers=AS_EDITOR, data={"target": "/pages/tools.html"}).status_code == 200
    eventually(lambda: not any("tools.html" in link for link in result_links(b, "clean and oil secateurs")))
    assert a.post("/admin/curation/synonyms", headers=AS_EDITOR, data={"terms": "pruners, secateurs"}).status_code == 200
    assert a.post("/admin/curation/unhide", headers=AS_EDITOR, data={"target": "/pages/tools.html"}).status_code == 200
    eventually(lambda: "/pages/tools.html#secateurs" in result_links(b, "pruners"))
    state = b.get("/admin/curation.json", headers=AS_VIEWER).get_json()
    assert state["revision"] == 4 and state["state"]["synonyms"] == [["pruners", "secateurs"]]


def test_undo_restores_any_earlier_state(garden, record_url):
    client = replica(garden / "index", record_url)
    client.post("/admin/curation/bets", headers=AS_EDITOR,
                data={"phrasings": "watering", "show": ["/pages/garden.html#watering"]})
    before = client.get("/admin/curation.json", headers=AS_EDITOR).get_json()["state"]
    client.post("/admin/curation/hide", headers=AS_EDITOR, data={"target": "/pages/roses.html"})
    client.post("/admin/curation/bets/remove", headers=AS_EDITOR, data={"name": "watering"})
    assert recommended(client, "watering") == [] and "/pages/roses.html#pruning" not in result_links(client, "roses")
    restored = client.post("/admin/curation/restore", headers=AS_EDITOR, data={"revision": 1})
    assert restored.status_code == 200 and restored.get_json()["state"] == before
    assert recommended(client, "watering") == ["/pages/garden.html#watering"]
    assert "/pages/roses.html#pruning" in result_links(client, "rose stems late winter")
    history = client.get("/admin/curation/history.json", headers=AS_VIEWER).get_json()
    assert [(h["revision"], h["editor"], h["action"]) for h in history] == [
        (4, "ann", "revision 1 restored"), (3, "ann", "best bet 'watering' removed"),
        (2, "ann", "/pages/roses.html hidden"), (1, "ann", "best bet 'watering' added")]


@pytest.mark.parametrize(("path", "data", "reason"), [
    ("/admin/curation/bets", {"phrasings": "roses", "show": ["/pages/gone.html"]}, "/pages/gone.html is not in"),
    ("/admin/curation/bets", {"phrasings": "roses", "show": ["/pages/roses.html#nowhere"]}, "is not in this version"),
    ("/admin/curation/bets", {"phrasings": "roses", "show": []}, "choose 1 to 3 sections"),
    ("/admin/curation/bets", {"phrasings": "roses", "show": ["/pages/roses.html#planting", "/pages/garden.html",
                                                            "/pages/tools.html", "/pages/roses.html#pruning"]},
     "choose 1 to 3"),
    ("/admin/curation/bets", {"phrasings": "x" * 201, "show": ["/pages/roses.html"]}, "at most 200 characters"),
    ("/admin/curation/bets", {"phrasings": "?!", "show": ["/pages/roses.html"]}, "needs words"),
    ("/admin/curation/hide", {"target": "/pages/gone.html"}, "not a page or section of the served version"),
    ("/admin/curation/synonyms", {"terms": "roses"}, "two or more terms"),
    ("/admin/curation/synonyms", {"terms": ", ".join(f"t{i}" for i in range(21))}, "21 terms in one group"),
    ("/admin/curation/bets/remove", {"name": "no such bet"}, "there is no best bet"),
])
def test_a_change_the_served_version_cannot_take_is_refused_with_the_reason(garden, record_url, path, data, reason):
    client = replica(garden / "index", record_url)
    response = client.post(path, headers=AS_EDITOR, data=data)
    assert response.status_code == 422 and reason in response.get_json()["reason"]
    assert client.get("/admin/curation.json", headers=AS_EDITOR).get_json()["revision"] == 0, "nothing recorded"


def test_a_bet_never_points_at_a_hidden_section(garden, record_url):
    client = replica(garden / "index", record_url)
    client.post("/admin/curation/bets", headers=AS_EDITOR, data={"phrasings": "pruning", "show": "/pages/roses.html#pruning"})
    refused = client.post("/admin/curation/hide", headers=AS_EDITOR, data={"target": "/pages/roses.html"})
    assert refused.status_code == 422 and "the best bet 'pruning' recommends it" in refused.get_json()["reason"]
    client.post("/admin/curation/hide", headers=AS_EDITOR, data={"target": "/pages/garden.html#weeds"})
    refused = client.post("/admin/curation/bets", headers=AS_EDITOR,
                          data={"phrasings": "weeds", "show": "/pages/garden.html#weeds"})
    assert refused.status_code == 422 and "/pages/garden.html#weeds is hidden" in refused.get_json()["reason"]
    taken = client.post("/admin/curation/bets", headers=AS_EDITOR,
                        data={"phrasings": "Pruning?", "show": "/pages/tools.html"})
    assert taken.status_code == 422 and "already fires the best bet 'pruning'" in taken.get_json()["reason"]


def test_viewers_change_nothing_and_forms_must_be_this_sites(garden, record_url):
    client = replica(garden / "index", record_url)
    change = {"phrasings": "roses", "show": "/pages/roses.html"}
    viewer = client.post("/admin/curation/bets", headers=AS_VIEWER, data=change)
    assert viewer.status_code == 403 and "nurse may view, not edit" in viewer.get_json()["reason"]
    assert client.get("/admin/curation", headers=AS_VIEWER).status_code == 200
    page = client.get("/admin/curation", headers=BROWSER).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    assert client.post("/admin/curation/bets", headers=BROWSER, data=change).status_code == 403, "no CSRF token"
    assert client.post("/admin/curation/bets", headers=BROWSER, data={**change, "csrf": "0" * 64}).status_code == 403
    other_site = client.post("/admin/curation/bets", headers={**BROWSER, "Origin": "https://evil.example"},
                             data={**change, "csrf": csrf})
    assert other_site.status_code == 403
    assert client.get("/admin/curation.json", headers=AS_VIEWER).get_json()["revision"] == 0
    sent = client.post("/admin/curation/bets", headers=BROWSER, data={**change, "csrf": csrf})
    assert sent.status_code == 303 and "Saved+as+revision+1" in sent.location
    shown = client.get(sent.location, headers=BROWSER).get_data(as_text=True)
    assert "Saved as revision 1" in shown and "<td>ann</td>" in shown


def test_what_an_editor_types_is_shown_escaped(garden, record_url):
    client = replica(garden / "index", record_url)
    planted = "<script>alert(1)</script> roses"
    client.post("/admin/curation/bets", headers=AS_EDITOR, data={"phrasings": planted, "show": "/pages/roses.html"})
    client.post("/admin/curation/synonyms", headers=AS_EDITOR, data={"terms": "<b>rose</b>, <i>rosa</i>"})
    for path in ("/admin/curation", "/admin/"):
        page = client.get(path, headers=BROWSER).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; roses" in page


def test_export_then_import_round_trips(garden, record_url, tmp_path):
    source = replica(garden / "index", record_url)
    source.post("/admin/curation/bets", headers=AS_EDITOR,
                data={"phrasings": "pruning roses\n\"quoted\" question", "show": ["/pages/roses.html#pruning",
                                                                                 "/pages/garden.html"]})
    source.post("/admin/curation/hide", headers=AS_EDITOR, data={"target": "/pages/tools.html#secateurs"})
    source.post("/admin/curation/synonyms", headers=AS_EDITOR, data={"terms": "weed killer, herbicide"})
    exported = {name: source.get(f"/admin/curation/{name}", headers=AS_EDITOR).get_data(as_text=True)
                for name in ("best-bets.toml", "synonyms.txt")}
    assert parse_best_bets(exported["best-bets.toml"]).bets[0].phrasings == ("pruning roses", '"quoted" question')
    assert parse_synonyms(exported["synonyms.txt"]) == [("weed killer", "herbicide")]
    target = replica(garden / "index", str(tmp_path / "other.sqlite"))
    imported = target.post("/admin/curation/import", headers=AS_EDITOR,
                           data={"best_bets": exported["best-bets.toml"], "synonyms": exported["synonyms.txt"]})
    assert imported.status_code == 200
    assert imported.get_json()["state"] == source.get("/admin/curation.json", headers=AS_EDITOR).get_json()["state"]
    broken = target.post("/admin/curation/import", headers=AS_EDITOR,
                         data={"best_bets": '[[bet]]\nphrasings = ["x"]\nshow = ["/pages/gone.html"]', "synonyms": ""})
    assert broken.status_code == 422 and "/pages/gone.html is not in this version" in broken.get_json()["reason"]
    empty = target.post("/admin/curation/import", headers=AS_EDITOR, data={"best_bets": "", "synonyms": "# none\n"})
    assert empty.status_code == 422 and "an import never empties the curation" in empty.get_json()["reason"]
    missing = target.post("/admin/curation/import", headers=AS_EDITOR, data={"best_bets": exported["best-bets.toml"]})
    assert missing.status_code == 400 and "synonyms is required" in missing.get_json()["reason"]
    assert target.get("/admin/curation.json", headers=AS_EDITOR).get_json()["revision"] == 1, "nothing lost"


def tools_pinned_then_removed(garden, record_url: str, tmp_path):
    """A copy of the garden's pages and its index, an app on it with a best bet on the tools page, and
    the tools page then removed from the pages (not yet from the index)."""
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    shutil.copytree(garden / "pages", pages)
    build_folder(pages, index_dir, embedder=StandIn())
    client = replica(index_dir, record_url)
    client.post("/admin/curation/bets", headers=AS_EDITOR, data={"phrasings": "tools", "show": "/pages/tools.html"})
    (pages / "tools.html").unlink()
    return pages, index_dir, client


def test_a_new_version_without_a_target_is_reported_on_the_dashboard(garden, record_url, tmp_path):
    pages, index_dir, client = tools_pinned_then_removed(garden, record_url, tmp_path)
    build_folder(pages, index_dir, incremental=True, embedder=StandIn())
    eventually(lambda: "/pages/tools.html is not in this version" in " ".join(
        client.get("/admin/curation.json", headers=AS_EDITOR).get_json()["lost"]), seconds=5)
    dashboard = client.get("/admin/", headers=BROWSER).get_data(as_text=True)
    assert "best bet &#39;tools&#39;: /pages/tools.html is not in this version" in dashboard
    assert client.get("/api/search", query_string={"q": "tools"}).status_code == 200


def test_a_record_that_cannot_be_reached_fails_no_search(garden):
    from bench.servers import free_port

    down = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    client = create_app({"TESTING": True, "INDEX_DIR": str(garden / "index"), "RATE_LIMIT_PER_MINUTE": 0,
                         "EDITOR_TOKENS": [("ann", EDITOR)], "DATABASE_URL": down}).test_client()
    started = time.monotonic()
    for _ in range(3):
        assert client.get("/api/search", query_string={"q": "pruning roses"}).status_code == 200
    assert time.monotonic() - started < 2, "a search never waits for the record"
    refused = client.post("/admin/curation/synonyms", headers=AS_EDITOR, data={"terms": "a b, c d"})
    assert refused.status_code == 503 and "cannot be" in refused.get_json()["reason"]
    status = client.get("/admin/status", headers=AS_EDITOR).get_json()
    assert status["record"]["kind"] == "postgresql" and status["record"]["failures"] >= 1
    assert services(client.application).usage_log.flush() is False
    close(services(client.application))


def test_searches_on_two_replicas_are_counted_on_either_dashboard(garden, record_url):
    a, b = replica(garden / "index", record_url), replica(garden / "index", record_url)
    a.post("/admin/curation/bets", headers=AS_EDITOR, data={"phrasings": "roses", "show": "/pages/roses.html"})
    for client, question in ((a, "roses"), (b, "watering"), (b, "volcano eruptions")):
        client.get("/api/search", query_string={"q": question})
        assert client.post("/api/click", query_string={"rank": 1}).status_code == 204
    for client in (a, b):
        assert services(client.application).usage_log.flush()
    for client in (a, b):
        day, searches, no_match, weak, corrected, clicks = client.get(
            "/admin/daily.csv", headers=AS_VIEWER).get_data(as_text=True).splitlines()[-1].split(",")
        assert (searches, clicks) == ("3", "3")
        dashboard = client.get("/admin/", headers=BROWSER).get_data(as_text=True)
        assert "<td>volcano eruptions</td>" in dashboard, "the unanswered question, from the other replica"
        topics = client.get("/admin/topics.csv", headers=AS_VIEWER).get_data(as_text=True).splitlines()
        assert topics[0] == "language,topic,searches,questions,examples" and "en,volcano eruptions,1,1," in topics[1]


def test_questions_group_into_topics_per_language_by_their_vectors():
    import numpy as np

    from search_app.engine.topics import group

    def unit(*values):
        vector = np.array(values, dtype=np.float32)
        return vector / np.linalg.norm(vector)

    questions = [("where can i buy a wig", 2, "en"), ("wigs after chemo", 5, "en"), ("pizza near me", 1, "en"),
                 ("dónde comprar una peluca", 3, "es"), ("does insurance pay for a wig", 1, "en")]
    vectors = np.vstack([unit(1, 0.2, 0), unit(1, 0, 0), unit(0, 0, 1), unit(1, 0.1, 0), unit(1, 0.3, 0)])
    topics = group(questions, vectors, min_cosine=0.9)
    assert [(t.language, t.name, t.searches, t.examples) for t in topics] == [
        ("en", "wigs after chemo", 8, ["wigs after chemo", "where can i buy a wig", "does insurance pay for a wig"]),
        ("es", "dónde comprar una peluca", 3, ["dónde comprar una peluca"]),
        ("en", "pizza near me", 1, ["pizza near me"])], "the most asked question names its topic; languages apart"


def test_the_build_report_names_live_targets_the_new_version_lacks(garden, record_url, tmp_path, capsys):
    from indexer.__main__ import main

    pages, index_dir, client = tools_pinned_then_removed(garden, record_url, tmp_path)
    assert main(["update", "--source", str(pages), "--index-dir", str(index_dir), "--no-embedding-cache",
                 "--record", record_url]) == 0
    out = capsys.readouterr().out
    assert "live curation (revision 1): 1 lost against this version" in out
    assert "best bet 'tools': /pages/tools.html is not in this version" in out


def test_the_command_line_exports_and_imports_the_reviewed_files(garden, record_url, tmp_path, capsys):
    from search_app.__main__ import main

    client = replica(garden / "index", record_url)
    client.post("/admin/curation/bets", headers=AS_EDITOR, data={"phrasings": "pruning", "show": "/pages/roses.html"})
    client.post("/admin/curation/synonyms", headers=AS_EDITOR, data={"terms": "pruners, secateurs"})
    files = ["--best-bets", str(tmp_path / "best-bets.toml"), "--synonyms", str(tmp_path / "synonyms.txt")]
    assert main(["--record", record_url, "curation", "export", *files]) == 0
    assert "exported revision 2" in capsys.readouterr().out
    other = str(tmp_path / "fresh.sqlite")
    assert main(["--record", other, "curation", "import", "--index-dir", str(garden / "index"), *files]) == 0
    assert "imported as revision 1: 1 best bets, 0 hidden, 1 synonym groups" in capsys.readouterr().out
    fresh = replica(garden / "index", other).get("/admin/curation.json", headers=AS_EDITOR).get_json()
    assert fresh["state"] == client.get("/admin/curation.json", headers=AS_EDITOR).get_json()["state"]
    (tmp_path / "best-bets.toml").write_text('[[bet]]\nphrasings = ["x"]\nshow = ["/pages/gone.html"]\n')
    assert main(["--record", other, "curation", "import", "--index-dir", str(garden / "index"), *files]) == 1
    assert "/pages/gone.html is not in this version" in capsys.readouterr().err
