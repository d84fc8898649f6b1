"""Serving under abuse: rate limits, fuzzed parameters, memory over many requests."""
from __future__ import annotations

import resource
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.servers import gunicorn
from search_app import create_app
from search_app.web.ratelimit import RateLimiter
from search_app.web.services import services
from tests.helpers import ROOT


def test_token_bucket_allows_bursts_then_paces():
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.retry_after("a", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("a", now=0.0) == 1
    assert limiter.retry_after("b", now=0.0) == 0, "clients are limited separately"
    assert limiter.retry_after("a", now=1.0) == 0, "one token back after a second at 60 a minute"


def test_limiter_memory_is_bounded():
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=100)
    for i in range(1000):
        limiter.retry_after(f"10.0.{i // 256}.{i % 256}", now=0.0)
    assert len(limiter.buckets) == 100


@pytest.fixture(scope="module")
def limited(corpus_index):
    # One search a minute after a burst of 2: loading the models on the first search cannot earn a third.
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 1,
                      "RATE_LIMIT_BURST": 2})
    return app.test_client()


def test_search_is_rate_limited_per_client_with_retry_after(limited):
    one = {"REMOTE_ADDR": "192.0.2.1"}
    codes = [limited.get("/api/search?q=cure", environ_base=one).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = limited.get("/api/search?q=cure", environ_base=one)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "try again" in response.get_json()["reason"]
    page = limited.get("/?q=cure", environ_base=one)
    assert page.status_code == 429 and b"try again" in page.data
    assert limited.get("/api/search?q=cure", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200
    assert limited.get("/healthz", environ_base=one).status_code == 200, "only searches are limited"


def test_oversized_body_is_refused(client):
    response = client.post("/api/search", data=b"x" * 100_000)
    assert response.status_code in (405, 413)


PARAM = st.one_of(st.none(), st.text(max_size=600), st.integers(-10**9, 10**9).map(str),
                  st.sampled_from(["", " ", "0", "50", "51", "-1", "1e3", "NaN", "true", "false", "pages", "dense"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=PARAM, limit=PARAM, offset=PARAM, source=PARAM, mode=PARAM, correct=PARAM)
def test_fuzzed_parameters_never_500(client, q, limit, offset, source, mode, correct):
    params = {k: v for k, v in dict(q=q, limit=limit, offset=offset, source=source, mode=mode,
                                    correct=correct).items() if v is not None}
    for path in ("/api/search", "/"):
        response = client.get(path, query_string=params)
        assert response.status_code in (200, 400), (path, params, response.status_code)
        if path.startswith("/api/") and response.status_code == 400:
            assert response.get_json()["reason"]


def resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1e6


@pytest.mark.slow
def test_memory_stays_flat_over_many_requests(corpus_index, tmp_path):
    """With the usage log on: every search and click writes to it."""
    client = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0,
                         "QUERY_LOG": str(tmp_path / "usage.sqlite")}).test_client()
    questions = [f"question {i % 50} about stage {i % 4} breast cancer treatment" for i in range(20_000)]
    for q in questions[:1000]:
        client.get("/api/search", query_string={"q": q})
    before = resident_mb()
    for i, q in enumerate(questions):
        assert client.get("/api/search", query_string={"q": q}).status_code == 200
        if i % 4 == 0:
            assert client.post("/api/click", query_string={"rank": i % 12}).status_code == 204
    assert resident_mb() < before * 1.10


@pytest.mark.slow
def test_unanswered_questions_are_counted_without_personal_data(corpus_index, tmp_path):
    log = tmp_path / "gaps.sqlite"
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0,
                      "QUERY_LOG": str(log)})
    client = app.test_client()
    for q in ("Pizza recipe?", "pizza   RECIPE", "who won the game", "can stage 4 be cured"):
        client.get("/api/search", query_string={"q": q}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    client.get("/", query_string={"q": "pizza recipe"})
    assert services(app).usage_log.flush()
    listing = subprocess.run([sys.executable, "-m", "search_app", "usage", "--log", str(log)], capture_output=True,
                             text=True, cwd=ROOT, check=True).stdout
    assert listing.splitlines()[0].endswith(": 5"), "the page search counts too"
    assert listing.splitlines()[2].split() == ["times", "no", "match", "weak", "question"]
    lines = listing.splitlines()[3:]
    assert [line.split(None, 3) for line in lines] == [["3", "3", "0", "pizza recipe"], ["1", "1", "0", "who won the game"]]
    raw = log.read_bytes()
    assert b"198.51.100.7" not in raw and b"stage 4" not in raw


def test_query_log_prunes_old_days(tmp_path):
    from datetime import date

    from search_app.web.usage import UsageLog

    log = UsageLog(tmp_path / "usage.sqlite", retention_days=30)
    log.record_search("old question", no_match=True, corrected=False, today=date(2026, 1, 1))
    log.record_search("new question", no_match=True, corrected=False, today=date(2026, 3, 1))
    assert log.top(days=3650, today=date(2026, 3, 1)) == [("new question", 1, 0)]


@pytest.mark.slow
def test_server_limits_cut_off_huge_requests(corpus_index):
    import http.client
    from urllib.parse import quote, urlsplit

    with gunicorn(corpus_index, {"WORKERS": "1"}) as server:
        port = urlsplit(server.base).port

        def status(path: str, headers: dict | None = None) -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers or {})
            return connection.getresponse().status

        for question, code in (("乳" * 500, 200), ("\U0001F600" * 501, 400)):  # 9 and 12 bytes a character, encoded
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/api/search?q=" + quote(question))
            answer = connection.getresponse()
            assert answer.status == code and answer.getheader("Content-Type") == "application/json", question[:1]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/search?q=" + "a" * 9000)
        refused = connection.getresponse()
        assert refused.status == 414 and refused.getheader("Content-Type") == "text/plain; charset=utf-8"
        assert "frame-ancestors 'none'" in refused.getheader("Content-Security-Policy")
        assert refused.getheader("X-Content-Type-Options") == "nosniff" and b"<" not in refused.read()
        assert status("/healthz", {"X-Big": "b" * 10000}) in (400, 431)
        assert status("/healthz", {f"X-H{i}": "1" for i in range(60)}) in (400, 431)
        assert status("/api/search?q=cure") == 200


@pytest.mark.slow
def test_fifty_slow_clients_do_not_stop_the_service(corpus_index):
    import socket
    import time
    import urllib.request

    with gunicorn(corpus_index, {"WORKERS": "1"}) as server:
        port = int(server.base.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        try:
            for sock in slow:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            for _ in range(3):
                for sock in slow:
                    sock.sendall(b"X-Slow: 1\r\n")
                for path in ("/healthz", "/api/search?q=can+stage+4+be+cured"):
                    started = time.monotonic()
                    with urllib.request.urlopen(server.base + path, timeout=5) as response:
                        assert response.status == 200
                    assert time.monotonic() - started < 1.0, path
                time.sleep(0.5)
        finally:
            for sock in slow:
                sock.close()
