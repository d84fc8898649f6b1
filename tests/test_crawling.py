"""Crawling a live site served by a local HTTP server on 127.0.0.1."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from indexer.build import build
from indexer.crawling import CrawlConfig, Crawler
from indexer.sources import SourcesConfig, WebSource
from indexer.urls import allowed_origins
from search_index import publishing
from search_index.keywords import tokens
from tests.helpers import page_html


def fruit_page(title: str, text: str) -> str:
    return page_html(title, [("About", text)])


class Site:
    """What the test server serves, and what it was asked."""

    def __init__(self) -> None:
        self.pages = {
            "/a.html": fruit_page("Apples", "Apples grow on trees in orchards."),
            "/b.html": fruit_page("Bananas", "Bananas grow in tropical climates."),
            "/private/p.html": fruit_page("Private", "Staff only."),
        }
        self.listed = ["/a.html", "/b.html", "/missing.html", "/broken.html", "/slow.html", "/away.html",
                       "/huge.html", "/doc.pdf", "/logo.png", "/private/p.html", "/flaky.html", "/moved.html"]
        self.requests: list[tuple[str, str | None]] = []
        self.flaky_failures = 2
        self.sitemap_status = 200
        self.lock = threading.Lock()
        self.port = 0


def handler_for(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, status: int, body: bytes = b"", kind: str = "text/html; charset=utf-8", **headers):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path
            with site.lock:
                site.requests.append((path, self.headers.get("If-None-Match")))
            base = f"http://127.0.0.1:{site.port}"
            if path == "/robots.txt":
                return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            if path == "/sitemap.xml" and site.sitemap_status != 200:
                return self.send(site.sitemap_status, b"down")
            if path == "/sitemap.xml":
                urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in site.listed)
                body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
                return self.send(200, body.encode(), "application/xml")
            if path in site.pages:
                body = site.pages[path].encode()
                etag = f'"{hash(body) & 0xffffffff:x}"'
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, ETag=etag)
                return self.send(200, body, ETag=etag)
            if path == "/broken.html":
                return self.send(500, b"oops")
            if path == "/flaky.html":
                with site.lock:
                    site.flaky_failures -= 1
                    failing = site.flaky_failures >= 0
                if failing:
                    return self.send(503, b"busy")
                return self.send(200, fruit_page("Cherries", "Cherries ripen in early summer.").encode())
            if path == "/slow.html":
                time.sleep(1.5)
                return self.send(200, fruit_page("Slow", "Too late.").encode())
            if path == "/away.html":
                return self.send(302, Location=f"http://localhost:{site.port}/a.html")
            if path == "/moved.html":
                return self.send(301, Location="/b.html")
            if path == "/huge.html":
                return self.send(200, fruit_page("Huge", "x " * 200_000).encode())
            if path == "/doc.pdf":
                return self.send(200, b"%PDF-1.4", "application/pdf")
            if path == "/logo.png":
                return self.send(200, b"\x89PNG", "image/png")
            return self.send(404, b"not found")

    return Handler


@pytest.fixture()
def site():
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    state.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def config(site: Site) -> SourcesConfig:
    crawl = {"timeout": 1.0, "max_bytes": 100_000, "retries": 3, "backoff": 0.05}
    return SourcesConfig([WebSource(sitemap=f"http://127.0.0.1:{site.port}/sitemap.xml", name="fruit")], crawl=crawl)


def crawl(site, index_dir, incremental=False):
    return build(config(site), index_dir, device="cpu", progress=False, incremental=incremental, embedding_cache=None)


def reasons(report) -> dict[str, str]:
    return {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}


def test_crawl_indexes_good_pages_and_reports_every_failure(site, tmp_path):
    report = crawl(site, tmp_path / "index")
    assert report.pages == 3, "a, b and flaky (after retries); moved.html redirects to b's URL"
    why = reasons(report)
    assert why["missing.html"] == "HTTP 404"
    assert why["broken.html"] == "HTTP 500"
    assert why["slow.html"].startswith("timed out")
    assert why["away.html"] == f"not on the allow-list: http://localhost:{site.port}"
    assert why["huge.html"].startswith("larger than")
    assert why["doc.pdf"] == "not HTML (application/pdf)"
    assert why["logo.png"] == "not HTML (image/png)"
    assert why["p.html"] == "disallowed by robots.txt"
    assert "same URL" in why["moved.html"]
    reader = publishing.open_version(tmp_path / "index")
    assert reader.sites() == {"fruit": 3}
    assert reader.keyword(tokens("cherries"), 1), "flaky page indexed after retries"
    assert not any(path == "/private/p.html" for path, _ in site.requests), "robots.txt obeyed"
    assert sum(1 for path, _ in site.requests if path == "/broken.html") == 4, "first try and 3 retries"


def test_update_uses_conditional_requests_and_keeps_pages_on_transient_errors(site, tmp_path):
    crawl(site, tmp_path / "index")
    site.requests.clear()
    site.pages["/b.html"] = fruit_page("Bananas", "Bananas are berries, botanically speaking.")
    site.listed.remove("/flaky.html")
    site.listed.append("/gone.html")
    report = crawl(site, tmp_path / "index", incremental=True)
    assert any(etag for path, etag in site.requests if path == "/a.html"), "If-None-Match sent"
    assert report.unchanged == 1 and report.changed == [f"http://127.0.0.1:{site.port}/b.html"]
    assert report.removed == [f"http://127.0.0.1:{site.port}/flaky.html"], "dropped only when no longer listed"
    assert report.embedded == 1
    site.pages.pop("/a.html")
    report = crawl(site, tmp_path / "index", incremental=True)
    assert "kept the indexed copy" in reasons(report)["a.html"]
    assert publishing.open_version(tmp_path / "index").keyword(tokens("orchards"), 1), "a 404 on a listed page is not a removal"


def test_unreachable_sitemap_keeps_the_sources_pages(site, tmp_path):
    first = crawl(site, tmp_path / "index")
    site.sitemap_status = 404
    report = crawl(site, tmp_path / "index", incremental=True)
    assert "HTTP 404" in reasons(report)["sitemap.xml"] and "kept its indexed pages" in reasons(report)["sitemap.xml"]
    assert report.pages == first.pages and report.removed == []


def test_crawler_sends_its_user_agent(site):
    seen = []
    origins = allowed_origins([f"http://127.0.0.1:{site.port}"])
    crawler = Crawler(CrawlConfig(allow_origins=origins, user_agent="test-agent/9"))
    original = crawler.session.get

    def spy(url, **kwargs):
        response = original(url, **kwargs)
        seen.append(response.request.headers["User-Agent"])
        return response

    crawler.session.get = spy
    assert crawler.fetch(f"http://127.0.0.1:{site.port}/a.html").data
    assert set(seen) == {"test-agent/9"}
