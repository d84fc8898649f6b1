"""Hostile pages, files and requests: reported and skipped, never served, never a crash."""
from __future__ import annotations

import math
import os
import time

import pytest

from indexer.build import build
from indexer.sources import FolderSource, SourcesConfig
from search_app import create_app
from search_app.web.services import services
from search_index import publishing
from search_index.format import StoreError
from tests.helpers import CORPUS_PAGES, build_folder, page_html, write_page


def test_a_file_name_that_is_not_utf8_is_skipped_with_its_path(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "good.html", page_html("Good"))
    (pages / os.fsdecode(b"bad-\xff.html")).write_bytes(page_html("Bad").encode())
    report = build_folder(pages, tmp_path / "index")
    assert report.pages == 1
    [skipped] = report.skipped
    assert skipped.path.endswith("bad-\\xff.html") and "not valid UTF-8" in skipped.reason


def test_a_huge_folder_page_is_skipped_by_the_crawl_size_limit(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "small.html", page_html("Small"))
    write_page(pages, "huge.html", page_html("Huge", [("Part", "words " * 400_000)]))
    config = SourcesConfig([FolderSource(pages)], crawl={"max_bytes": 1_000_000})
    report = build(config, tmp_path / "index", device="cpu", progress=False)
    assert report.pages == 1 and "larger than the 1000000 byte limit" in report.skipped[0].reason


def test_a_link_to_a_file_outside_the_folder_is_not_indexed(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "good.html", page_html("Good"))
    secret = write_page(tmp_path / "private", "secret.html", page_html("Secret", [("Part", "Do not index.")]))
    (pages / "secret.html").symlink_to(secret)
    report = build_folder(pages, tmp_path / "index")
    assert report.pages == 1 and "outside the source folder" in report.skipped[0].reason


@pytest.mark.parametrize("markup", ["<div>" * 500 + "deep" + "</div>" * 500, "<p><font>" * 450 + "deep"])
def test_deeply_nested_pages_are_skipped_and_the_build_goes_on(tmp_path, markup):
    pages = tmp_path / "pages"
    write_page(pages, "good.html", page_html("Good"))
    write_page(pages, "deep.html", f"<html><title>Deep</title><body><main><h1>Deep</h1>{markup}</main></body></html>")
    report = build_folder(pages, tmp_path / "index")
    assert report.pages == 1 and "nested too deeply" in report.skipped[0].reason


@pytest.fixture()
def two_versions(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("Volcanoes", [("Lava", "Lava flows from a volcano.")]))
    first = build_folder(pages, tmp_path / "index")
    write_page(pages, "b.html", page_html("Glaciers", [("Ice", "Glaciers are rivers of ice.")]))
    second = build_folder(pages, tmp_path / "index")
    return tmp_path / "index", first, second


def truncate(index_dir, version):
    vectors = publishing.version_dir(index_dir, version) / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])


def test_a_version_that_does_not_verify_is_never_switched_to(two_versions):
    index_dir, first, second = two_versions
    (index_dir / "current").write_text(first.version)
    app = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0})
    services(app).retriever.refresh_seconds = 0
    client = app.test_client()
    truncate(index_dir, second.version)
    (index_dir / "current").write_text(second.version)
    for _ in range(3):
        response = client.get("/api/search?q=volcano")
        assert response.status_code == 200 and response.headers["X-Index-Version"] == first.version
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["version"] == first.version
    assert second.version in ready.get_json()["problem"] and "vectors.faiss has 100 bytes" in ready.get_json()["problem"]


def test_a_fresh_start_on_a_corrupt_version_serves_the_newest_that_opens(two_versions):
    index_dir, first, second = two_versions
    truncate(index_dir, second.version)
    client = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0}).test_client()
    ready = client.get("/readyz").get_json()
    assert ready["version"] == first.version and "vectors.faiss has 100 bytes" in ready["problem"]
    search = client.get("/api/search?q=volcano")
    assert search.status_code == 200 and search.headers["X-Index-Version"] == first.version


def test_a_fresh_start_with_no_version_that_opens_is_not_ready_and_says_why(two_versions):
    index_dir, first, second = two_versions
    truncate(index_dir, first.version)
    truncate(index_dir, second.version)
    client = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0}).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "vectors.faiss has 100 bytes" in ready.get_json()["reason"]
    search = client.get("/api/search?q=volcano")
    assert search.status_code == 503 and search.get_json()["error"] == "Service Unavailable"
    page = client.get("/?q=volcano")
    assert page.status_code == 503 and b"Traceback" not in page.data
    assert client.get("/healthz").status_code == 200


def test_rollback_onto_a_corrupt_version_refuses_clearly(two_versions):
    index_dir, first, _ = two_versions
    truncate(index_dir, first.version)
    with pytest.raises(StoreError, match="vectors.faiss has 100 bytes"):
        publishing.rollback(index_dir)


def test_an_index_without_pages_is_not_ready(tmp_path):
    empty = tmp_path / "pages"
    empty.mkdir()
    build_folder(empty, tmp_path / "index")
    ready = create_app({"INDEX_DIR": str(tmp_path / "index")}).test_client().get("/readyz")
    assert ready.status_code == 503 and "holds no pages" in ready.get_json()["reason"]


@pytest.fixture()
def pages_client(corpus_index, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "metastatic-breast-cancer-introduction.html").write_text(
        (CORPUS_PAGES / "metastatic-breast-cancer-introduction.html").read_text())
    (folder / "not-indexed.html").write_text(page_html("Not indexed", [("Part", "Text the index never read.")]))
    (folder / "passwd.html").symlink_to("/etc/passwd")
    (folder / "script.py").write_text("print('no')")
    app = create_app({"INDEX_DIR": str(corpus_index), "PAGES_DIR": str(folder), "RATE_LIMIT_PER_MINUTE": 0,
                      "ADMIN_TOKEN": "right-token-0123456789abcdefghijklmnopq", "TRUSTED_HOSTS": ["search.example", "localhost"]})
    return app.test_client()


def test_only_html_pages_inside_the_pages_folder_are_served(pages_client):
    host = {"base_url": "http://search.example"}
    assert pages_client.get("/pages/metastatic-breast-cancer-introduction.html", **host).status_code == 200
    for path in ("/pages/passwd.html", "/pages/script.py", "/pages/../../etc/passwd", "/pages//etc/passwd.html",
                 "/pages/not-indexed.html"):
        assert pages_client.get(path, **host).status_code == 404, path


def test_no_redirect_names_an_untrusted_host(pages_client):
    response = pages_client.get("/pages//x", base_url="http://evil.example")
    assert response.status_code == 400 and "Location" not in response.headers
    trusted = pages_client.get("/pages//x", base_url="http://search.example")
    assert trusted.status_code == 404 and "Location" not in trusted.headers


def test_wrong_admin_tokens_are_paced_the_right_one_always_works_and_admin_answers_are_never_cached(pages_client):
    host = {"base_url": "http://search.example"}
    wrong = {"Authorization": "Bearer wrong"}
    started = time.monotonic()
    codes = [pages_client.get("/admin/status", headers=wrong, **host).status_code for _ in range(8)]
    earned = time.monotonic() - started  # one wrong token a second comes back while the 8 are tried
    assert codes[:5] == [401] * 5 and set(codes) <= {401, 429} and codes.count(429) >= 3 - math.floor(earned), codes
    ok = pages_client.get("/admin/status", headers={"Authorization": "Bearer right-token-0123456789abcdefghijklmnopq", "Accept": "application/json"},
                          **host)
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    assert all(not item["path"].startswith("/") for item in ok.get_json()["skipped"])


def test_other_methods_get_405_with_allow(client):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/search?q=cure")
        assert response.status_code == 405 and "GET" in response.headers["Allow"]
        assert response.get_json()["error"] == "Method Not Allowed"


def test_numbers_are_ascii_digits_only_and_a_click_carries_no_body(client):
    for raw in ("%EF%BC%95", "%D9%A5", "٥"):
        response = client.post(f"/api/click?rank={raw}")
        assert response.status_code == 400 and "whole number" in response.get_json()["reason"]
    assert client.get("/api/search?q=cure&limit=%EF%BC%95").status_code == 400
    response = client.post("/api/click?rank=1", data=b"x" * 20_000)
    assert response.status_code == 413 and response.get_json()["reason"] == "A click carries no body."
    assert client.post("/api/click?rank=1").status_code == 204


def test_a_huge_best_bets_file_is_refused_with_its_size(tmp_path):
    from search_index.best_bets import load_best_bets
    from search_index.errors import InputError

    huge = tmp_path / "best-bets.toml"
    bet = '[[bet]]\nphrasings = ["question number {n}"]\nshow = ["https://example.org/page"]\n'
    huge.write_text("".join(bet.format(n=n) for n in range(20_000)))
    with pytest.raises(InputError, match="has [0-9]+ bytes: at most 1000000"):
        load_best_bets(huge)
    many = tmp_path / "many.toml"
    many.write_text("".join(bet.format(n=n) for n in range(2_001)))
    with pytest.raises(InputError, match="2001 bets, at most 2000"):
        load_best_bets(many)
