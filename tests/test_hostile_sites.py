"""Crawling sites that misbehave, served by local HTTP servers on 127.0.0.1."""
from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from indexer.build import build
from indexer.sources import SourcesConfig, WebSource
from search_index import publishing
from tests.helpers import page_html

Reply = tuple[int, bytes, dict[str, str]]


class Server:
    """A local site whose answers the test sets path by path."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], Reply | None]] = {}
        self.requested: list[str] = []
        handler = self.handler()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requested.append(self.path)
                route = server.routes.get(self.path)
                reply = route(self) if route else (404, b"not found", {})
                if reply is None:
                    return
                status, body, headers = reply
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8", **headers}
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def page(self, path: str, title: str) -> None:
        self.routes[path] = lambda _: (200, page_html(title, [("About", f"All about {title}.")]).encode(), {})

    def sitemap(self, body: str, path: str = "/sitemap.xml") -> None:
        self.routes[path] = lambda _: (200, body.encode(), {"Content-Type": "application/xml"})

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def urlset(*urls: str) -> str:
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'


@pytest.fixture()
def site():
    server = Server()
    server.routes["/robots.txt"] = lambda _: (200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
    for name in ("apples", "pears", "plums", "figs"):
        server.page(f"/{name}.html", name.title())
    server.sitemap(urlset(*(f"{server.base}/{n}.html" for n in ("apples", "pears", "plums", "figs"))))
    yield server
    server.close()


def crawl(site: Server, index_dir, incremental: bool = True, allow_shrink: bool = False, **crawl_limits):
    limits = {"timeout": 1.0, "retries": 0, "backoff": 0.01, **crawl_limits}
    config = SourcesConfig([WebSource(sitemap=f"{site.base}/sitemap.xml")], crawl=limits, allow_shrink=allow_shrink)
    return build(config, index_dir, device="cpu", progress=False, incremental=incremental, embedding_cache=None)


def reasons(report) -> dict[str, str]:
    return {note.path.rsplit("/", 1)[-1]: note.reason for note in report.skipped}


@pytest.mark.parametrize("body, reason", [
    ('<?xml version="1.0"?><urlset><url><loc>http://x/a</loc></url></urlset>', "not a sitemap"),
    ("<html><head><title>Oops</title></head><body><p>Maintenance</p></body></html>", "not a sitemap"),
    (urlset(), "lists 0 pages where the index has 4"),
    ("FIRST", "lists 1 pages where the index has 4"),
])
def test_a_sitemap_that_breaks_or_shrinks_keeps_the_sources_pages(site, tmp_path, body, reason):
    crawl(site, tmp_path / "index", incremental=False)
    site.sitemap(urlset(f"{site.base}/apples.html") if body == "FIRST" else body)
    report = crawl(site, tmp_path / "index")
    assert reason in reasons(report)["sitemap.xml"] and "kept its indexed pages" in reasons(report)["sitemap.xml"]
    assert report.pages == 4 and report.removed == []
    assert publishing.open_version(tmp_path / "index").manifest.counts["pages"] == 4


def test_removing_most_of_a_source_takes_an_explicit_flag(site, tmp_path):
    crawl(site, tmp_path / "index", incremental=False)
    site.sitemap(urlset(f"{site.base}/apples.html"))
    report = crawl(site, tmp_path / "index", allow_shrink=True)
    assert report.pages == 1 and len(report.removed) == 3


def test_a_page_that_trickles_is_cut_off_and_the_crawl_goes_on(site, tmp_path):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(200):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.25)

    site.routes["/slow.html"] = trickle
    site.sitemap(urlset(f"{site.base}/slow.html", f"{site.base}/apples.html"))
    started = time.monotonic()
    report = crawl(site, tmp_path / "index", incremental=False, page_seconds=1.5)
    assert time.monotonic() - started < 30
    assert reasons(report)["slow.html"] == "took longer than the 1.5 s limit"
    assert report.pages == 1


def test_a_crawl_stops_at_its_time_limit_and_keeps_what_it_has(site, tmp_path):
    crawl(site, tmp_path / "index", incremental=False)
    report = crawl(site, tmp_path / "index", crawl_seconds=0)
    assert all("ran past" in r and "kept the indexed copy" in r for r in reasons(report).values())
    assert report.pages == 4 and report.removed == []


def test_other_ports_and_user_names_are_off_the_allow_list(site, tmp_path):
    other = Server()
    other.page("/secret.html", "Another local service")
    other.routes["/robots.txt"] = lambda _: (200, b"", {"Content-Type": "text/plain"})
    try:
        port = other.http.server_port
        site.routes["/hop.html"] = lambda _: (302, b"", {"Location": f"http://127.0.0.1:{port}/secret.html"})
        site.sitemap(urlset(f"http://127.0.0.1:{port}/secret.html", f"{site.base}/hop.html",
                            f"http://user:pw@127.0.0.1:{site.http.server_port}/apples.html",
                            f"{site.base}/pears.html"))
        report = crawl(site, tmp_path / "index", incremental=False)
        why = reasons(report)
        assert why["secret.html"] == f"not on the allow-list: http://127.0.0.1:{port}"
        assert why["hop.html"] == f"not on the allow-list: http://127.0.0.1:{port}"
        assert "with a user name or password" in why["apples.html"]
        assert report.pages == 1 and other.requested == []
    finally:
        other.close()


@pytest.mark.parametrize("robots", ["redirect", "bomb"])
def test_robots_txt_is_fetched_under_the_same_limits(site, tmp_path, robots):
    if robots == "redirect":
        site.routes["/robots.txt"] = lambda _: (302, b"", {"Location": "http://elsewhere.example/robots.txt"})
    else:
        bomb = gzip.compress(b"User-agent: *\n" + b"#" * 50_000_000, compresslevel=9)
        site.routes["/robots.txt"] = lambda _: (200, bomb, {"Content-Type": "text/plain", "Content-Encoding": "gzip"})
    report = crawl(site, tmp_path / "index", incremental=False)
    assert "disallowed by robots.txt" in reasons(report)["sitemap.xml"], "an unreadable robots.txt disallows the site"
    assert report.pages == 0 and site.requested == ["/robots.txt"]
