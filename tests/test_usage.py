"""The usage log (what is stored, and what never is) and the maintainers' dashboard."""
from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import date

import pytest

from search_app import create_app
from search_app.web.services import services
from search_index.database import Database

TOKEN = {"Authorization": "Bearer dashboard-token-0123456789abcdefghijklmn"}
VISITOR = {"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "VisitorBrowser/1.0", "HTTP_COOKIE": "session=abc123"}


def usage_app(index_dir, log=None):
    config = {"TESTING": True, "INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0,
              "ADMIN_TOKEN": "dashboard-token-0123456789abcdefghijklmn"}
    if log is not None:
        config["DATABASE_URL" if str(log).startswith("postgresql://") else "QUERY_LOG"] = str(log)
    return create_app(config).test_client()


def rows(log, table):
    with closing(Database(str(log))) as database, database.connect() as db:
        return sorted(tuple(row) for row in db.execute(f"SELECT * FROM {table}").fetchall())


def test_searches_and_clicks_are_counted_without_personal_data(corpus_index, tmp_path, record_url):
    log = record_url
    client = usage_app(corpus_index, log)
    for question in ("can stage iv be cured", "what is a mastectomy", "recipe for banana bread",
                     "Recipe for   BANANA bread?", "mastectomy recovry time"):
        client.get("/api/search", query_string={"q": question}, environ_base=VISITOR)
    client.get("/api/search", query_string={"q": "what is a mastectomy", "offset": 10}, environ_base=VISITOR)
    for rank in (1, 1, 3, 0, 250):
        assert client.post("/api/click", query_string={"rank": rank}, environ_base=VISITOR).status_code == 204
    assert services(client.application).usage_log.flush()
    today = date.today().isoformat()
    assert rows(log, "daily") == [(today, 5, 2, 1, 0, 5)], "5 questions (not the second page), 2 unanswered, 1 corrected"
    assert rows(log, "clicks") == [(today, 0, 1), (today, 1, 2), (today, 3, 1), (today, 20, 1)]
    assert rows(log, "gaps") == [("recipe for banana bread", today, 2, 0)], "only unanswered questions keep their text"
    assert rows(log, "best_bets") == [(today, "can stage 4 be cured", 1)]
    tables = ("daily", "clicks", "gaps", "best_bets", "writers", "curation")
    with closing(Database(log)) as database, database.connect() as db:
        listed = db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                            if log.startswith("postgresql://") else
                            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert {t for (t,) in listed if "yoyo" not in t} == set(tables)
    [(writer, written, failures, dropped, last_error, _)] = rows(log, "writers")
    assert (written, failures, dropped, last_error) == (10, 0, 0, None), "the writer's own figures, nothing else"
    stored = repr([rows(log, table) for table in tables]).encode()
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("record.sqlite*")) or stored
    for personal in (b"203.0.113.9", b"VisitorBrowser", b"abc123", b"mastectomy", b"stage iv"):
        assert personal not in raw and personal not in stored


def test_nothing_is_logged_unless_turned_on(corpus_index):
    client = usage_app(corpus_index)
    client.get("/api/search", query_string={"q": "recipe for banana bread"})
    assert client.post("/api/click", query_string={"rank": 1}).status_code == 204
    assert services(client.application).usage_log is None
    assert 'data-click-url' not in client.get("/", query_string={"q": "mastectomy"}).get_data(as_text=True)


def test_click_needs_a_valid_rank(corpus_index, tmp_path):
    client = usage_app(corpus_index, tmp_path / "usage.sqlite")
    for bad in ({}, {"rank": "-1"}, {"rank": "one"}, {"rank": "99999"}):
        response = client.post("/api/click", query_string=bad)
        assert response.status_code == 400 and response.get_json()["reason"]
    assert client.get("/api/click", query_string={"rank": 1}).status_code == 405


def test_results_page_sends_click_ranks_when_logging(corpus_index, tmp_path):
    client = usage_app(corpus_index, tmp_path / "usage.sqlite")
    page = client.get("/", query_string={"q": "can stage 4 be cured"}).get_data(as_text=True)
    assert 'data-click-url="/api/click"' in page and "clicks.js" in page
    assert 'data-rank="0"' in page and 'data-rank="1"' in page and 'data-rank="2"' in page


def test_admin_pages_refuse_without_the_token(corpus_index, tmp_path):
    client = usage_app(corpus_index, tmp_path / "usage.sqlite")
    for path in ("/admin/", "/admin/daily.csv", "/admin/status"):
        assert client.get(path).status_code == 401
    assert client.get("/admin/", headers=TOKEN, query_string={"days": "0"}).status_code == 400


def test_dashboard_with_an_empty_log(corpus_index, tmp_path):
    client = usage_app(corpus_index, tmp_path / "usage.sqlite")
    response = client.get("/admin/", headers=TOKEN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Searches per day" in page and "No clicks in this period" in page and "None in this period" in page
    assert "can stage 4 be cured" in page, "the best bets are listed"
    without_log = usage_app(corpus_index).get("/admin/", headers=TOKEN).get_data(as_text=True)
    assert "The usage log is off" in without_log and "<svg" not in without_log
    status = client.get("/admin/status", headers={**TOKEN, "Accept": "text/html"}).get_data(as_text=True)
    for maintainers in (page, status):
        assert "not medical advice" not in maintainers, "the patients' disclaimer is for the search, not the admin"
    assert "not medical advice" in client.get("/").get_data(as_text=True)


def test_dashboard_with_a_filled_log(corpus_index, tmp_path, record_url):
    client = usage_app(corpus_index, record_url)
    for question in ("is stage 4 curable", "can stage 4 be cured", "what is the weather in paris",
                     "what is the weather in paris"):
        client.get("/api/search", query_string={"q": question})
    for rank in (0, 1, 2, 2):
        client.post("/api/click", query_string={"rank": rank})
    page = client.get("/admin/", headers=TOKEN, query_string={"days": 7}).get_data(as_text=True)
    assert page.count("<svg") == 3 and 'role="img"' in page and "<table" in page
    assert "what is the weather in paris" in page and "/?q=what+is+the+weather+in+paris" in page
    assert "<td>Rec.</td>" not in page and "<th scope=\"col\">Rec.</th>" in page
    assert "published" in page, "the index version history"
    csv = client.get("/admin/daily.csv", headers=TOKEN, query_string={"days": 7}).get_data(as_text=True)
    lines = csv.splitlines()
    assert lines[0] == "day,searches,no_match,weak,corrected,clicks" and len(lines) == 2, "the log began today"
    assert lines[-1].startswith(date.today().isoformat() + ",4,2,")


@pytest.mark.parametrize("name", ["<script>alert(1)</script>"])
def test_dashboard_escapes_logged_questions(corpus_index, tmp_path, name, record_url):
    client = usage_app(corpus_index, record_url)
    client.get("/api/search", query_string={"q": f"{name} zzqx"})
    page = client.get("/admin/", headers=TOKEN).get_data(as_text=True)
    assert "<script>alert" not in page


def test_version_history_skips_damaged_lines(tmp_path):
    from search_index import publishing

    (tmp_path / publishing.HISTORY_FILE).write_text(
        '{"at": "2026-01-01T00:00:00+00:00", "event": "published", "version": "a", "pages": 3, "changes": {}}\n'
        "not json\n[1, 2]\n"
        '{"at": "2026-01-02T00:00:00+00:00", "event": "rolled back to", "version": "a", "pages": 3, "changes": {}}\n',
        encoding="utf-8")
    assert [entry["event"] for entry in publishing.history(tmp_path)] == ["rolled back to", "published"]
    assert publishing.history(tmp_path / "missing") == []


def test_personal_details_are_removed_before_an_unanswered_question_is_stored(corpus_index, tmp_path):
    log = tmp_path / "usage.sqlite"
    client = usage_app(corpus_index, log)
    question = ("my name is Jane Doe born 1971-03-04 email jane.doe@example.org phone 07700 900123 "
                "NHS 943 476 5919 where do I park at the hospital")
    client.get("/api/search", query_string={"q": question})
    assert services(client.application).usage_log.flush()
    [(stored, _, _, _)] = rows(log, "gaps")
    assert stored == "email phone nhs where do i park at the hospital"
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("usage.sqlite*")).lower()
    stored = repr([rows(log, table) for table in ("daily", "clicks", "gaps", "best_bets", "writers", "curation")])
    for personal in ("jane", "doe", "1971", "example.org", "07700", "900123", "943", "5919"):
        assert personal not in stored.lower()
        # Anywhere in the file's bytes too, but for numbers, which the migrations' timestamps may hold.
        assert personal.isdigit() or personal.encode() not in raw
    page = client.get("/admin/", headers=TOKEN).get_data(as_text=True)
    assert "where do i park at the hospital" in page and "Jane" not in page and "5919" not in page


def test_a_log_that_cannot_be_written_never_stops_the_service(corpus_index, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log's folder should be")
    client = usage_app(corpus_index, blocker / "usage.sqlite")
    response = client.get("/api/search", query_string={"q": "recipe for banana bread"})
    assert response.status_code == 200
    usage = services(client.application).usage_log
    assert not usage.flush() and usage.status()["pending"] == 1
    status = client.get("/admin/status", headers={**TOKEN, "Accept": "application/json"}).get_json()
    assert status["usage_log"]["failures"] >= 2 and "FileExistsError" in status["usage_log"]["last_error"]
    dashboard = client.get("/admin/", headers=TOKEN)
    assert dashboard.status_code == 200 and "The usage log cannot be read just now" in dashboard.get_data(as_text=True)
    csv = client.get("/admin/daily.csv", headers=TOKEN)
    assert csv.status_code == 503 and "cannot be read" in csv.get_data(as_text=True)


def _worker_searches(log: str, count: int) -> None:
    from search_app.web.usage import UsageLog

    usage = UsageLog(log)
    for _ in range(count):
        usage.record_search("recipe for banana bread", no_match=True, corrected=False)
    assert usage.flush()


def test_the_status_page_counts_every_workers_writes(corpus_index, tmp_path, record_url):
    import multiprocessing

    log = record_url
    client = usage_app(corpus_index, log)
    for question in ("what is a mastectomy", "can stage iv be cured"):
        client.get("/api/search", query_string={"q": question})
    assert services(client.application).usage_log.flush()
    worker = multiprocessing.get_context("fork").Process(target=_worker_searches, args=(str(log), 3))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    status = client.get("/admin/status", headers={**TOKEN, "Accept": "application/json"}).get_json()["usage_log"]
    assert (status["workers"], status["written"]) == (2, 5)


def test_a_locked_log_is_never_waited_for_and_is_written_once_free(corpus_index, tmp_path):
    import time

    log = tmp_path / "usage.sqlite"
    client = usage_app(corpus_index, log)
    usage = services(client.application).usage_log
    holder = sqlite3.connect(log, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        for _ in range(6):
            assert client.get("/api/search", query_string={"q": "recipe for banana bread"}).status_code == 200
        assert not usage.flush()
        assert time.perf_counter() - started < 2.0, "nothing waits for the lock"
        assert usage.status()["pending"] == 6 and "locked" in usage.status()["last_error"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert usage.flush() and rows(log, "gaps")[0][2] == 6


def test_weak_matches_are_counted_and_listed_like_unanswered_questions(corpus_index, tmp_path, record_url):
    log = record_url
    client = usage_app(corpus_index, log)
    client.get("/api/search", query_string={"q": "does turmeric cure breast cancer"})
    client.get("/api/search", query_string={"q": "can men get breast cancer"})
    assert services(client.application).usage_log.flush()
    assert rows(log, "daily") == [(date.today().isoformat(), 2, 0, 0, 1, 0)]
    assert rows(log, "gaps") == [("does turmeric cure breast cancer", date.today().isoformat(), 1, 1)]
    page = client.get("/admin/", headers=TOKEN).get_data(as_text=True)
    assert re.search(r"<td>does turmeric cure breast cancer</td><td>1</td><td>0</td><td>1</td>", page), \
        "the dashboard says which questions were matched weak and which found nothing"


def test_an_older_log_gains_the_weak_columns(tmp_path):
    from search_app.web.usage import UsageLog

    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE daily (day TEXT PRIMARY KEY, searches INTEGER NOT NULL DEFAULT 0, no_match INTEGER "
                   "NOT NULL DEFAULT 0, corrected INTEGER NOT NULL DEFAULT 0, clicks INTEGER NOT NULL DEFAULT 0)")
        db.execute("CREATE TABLE gaps (query TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL, "
                   "PRIMARY KEY (query, day)) WITHOUT ROWID")
        db.execute("INSERT INTO gaps VALUES ('an old question', '2026-12-01', 4)")
    usage = UsageLog(path)
    usage.record_search("a question", no_match=False, corrected=False, weak=True)
    assert usage.flush() and usage.days(1)[0].weak == 1
    assert usage.top(days=3650) == [("an old question", 4, 0), ("a question", 1, 1)]


def test_clicks_have_their_own_rate_limit_and_count_only_from_this_site_or_allowed_ones(corpus_index, tmp_path):
    log = tmp_path / "usage.sqlite"
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "QUERY_LOG": str(log),
                      "RATE_LIMIT_PER_MINUTE": 1, "RATE_LIMIT_BURST": 20, "ALLOWED_ORIGINS": ["https://charity.example"]})
    client = app.test_client()
    for _ in range(20):  # one search a minute after the burst: a slow machine cannot earn the 21st
        assert client.get("/api/search", query_string={"q": "mastectomy"}).status_code == 200
    assert client.get("/api/search", query_string={"q": "mastectomy"}).status_code == 429
    for _ in range(7):
        assert client.post("/api/click", query_string={"rank": 1}).status_code == 204, "clicks are not searches"
    assert client.post("/api/click?rank=1", headers={"Origin": "http://localhost"}).status_code == 204
    assert client.post("/api/click?rank=1", headers={"Origin": "https://charity.example"}).status_code == 204
    refused = client.post("/api/click?rank=1", headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403 and "only from this site" in refused.get_json()["reason"]
    assert services(app).usage_log.flush()
    assert rows(log, "clicks") == [(date.today().isoformat(), 1, 9)]


def test_searches_opened_from_the_dashboard_are_not_counted(corpus_index, tmp_path):
    log = tmp_path / "usage.sqlite"
    client = usage_app(corpus_index, log)
    client.get("/", query_string={"q": "recipe for banana bread"}, headers={"Referer": "http://localhost/admin/"})
    client.get("/", query_string={"q": "recipe for banana bread"}, headers={"Referer": "http://elsewhere.example/admin/"})
    assert services(client.application).usage_log.flush()
    assert rows(log, "daily")[0][1] == 1


@pytest.mark.parametrize(("question", "personal", "kept"), [
    ("i am jane doe and i live at 12 baker street london nw1 6xe", "jane doe 12 baker nw1 6xe", ""),
    ("me llamo maría garcía lópez y mi correo es maria.garcia@correo.es", "maría garcía lópez correo.es", "correo"),
    ("mi nombre es juan pérez nací el 4 de marzo de 1971 vivo en calle mayor 5 madrid",
     "juan pérez marzo 1971 calle mayor 5 madrid", ""),
    ("soy ana fernández, ¿la quimio hace caer el pelo?", "ana fernández", "quimio pelo"),
    ("jane dot doe at gmail dot com", "jane doe gmail", ""),
    ("juan arroba gmail punto com", "juan gmail", ""),
    ("patient jane doe dob 4 march 1971 mrn ab12345 what is her2", "jane doe march 1971 ab12345", "her2"),
    ("my wife sarah connor was diagnosed on 3rd june", "sarah connor june 3rd", "diagnosed"),
    ("i'm lucy and my mrn is 12ab34", "lucy 12ab34", ""),
    ("postcode sw1a 1aa chemo side effects", "sw1a 1aa", "chemo side effects"),
    ("mi marido pedro tiene cáncer de mama", "pedro", "cáncer mama"),
    ("i am worried about my scan results", "", "worried scan results"),
    ("im pregnant can i have chemo", "", "pregnant chemo"),
    ("soy diabética y tengo cáncer", "", "diabética cáncer"),
    ("can stage 3 may come back", "", "stage 3 may come back"),
    ("look at this dot on my breast", "", "look this dot breast"),
])
def test_names_addresses_dates_and_spelled_addresses_are_removed_in_both_languages(question, personal, kept):
    from search_app.web.privacy import anonymise
    from search_app.web.usage import normalise

    stored = normalise(anonymise(question)).split()
    assert not set(personal.split()) & set(stored), stored
    assert set(kept.split()) <= set(stored), stored


def test_the_dashboard_begins_when_the_log_began_and_names_its_last_day(tmp_path, record_url):
    from datetime import timedelta

    from search_app.web import charts
    from search_app.web.usage import UsageLog

    usage = UsageLog(record_url)
    today = date(2026, 12, 7)
    usage.record_search("a question", no_match=True, corrected=False, today=today - timedelta(days=3))
    assert usage.flush()
    days = usage.days(30, today)
    assert [d.day for d in days] == ["2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"], \
        "days before logging began are not drawn as days without searches"
    assert [d.searches for d in days] == [1, 0, 0, 0]
    for count in (4, 10, 30):
        labels = [(today - timedelta(days=count - 1 - i)).isoformat() for i in range(count)]
        svg = str(charts.line_chart(labels, [1.0] * count, "searches", "Searches per day"))
        assert f">{labels[-1][5:]}</text>" in svg and f">{labels[0][5:]}</text>" in svg, count
    assert UsageLog(tmp_path / "empty.sqlite").days(30, today)[-1].day == "2026-12-07"
