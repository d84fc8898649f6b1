"""Fetching pages from a live site: allow-listed origins, robots.txt, retries, size and time limits,
conditional requests."""
from __future__ import annotations

import time
import urllib.robotparser
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.util.retry import Retry

from indexer.deadlines import Adapter, time_limit
from indexer.urls import is_allowed
from search_index.errors import CuratedSearchError

USER_AGENT = "curated-search-indexer/1.0"
HTML_TYPES = ("text/html", "application/xhtml+xml")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITEMAP_ROOTS = (f"{SITEMAP_NS}urlset", f"{SITEMAP_NS}sitemapindex")
MAX_REDIRECTS = 5
MAX_SITEMAPS = 50
ROBOTS_MAX_BYTES = 500_000


@dataclass(frozen=True)
class CrawlConfig:
    """Origins ("scheme://host:port") the crawler may fetch from, and its limits: `timeout` for one
    read, `page_seconds` for everything one page (or sitemap, or robots.txt) takes, retries included,
    and `crawl_seconds` for a whole crawl."""

    allow_origins: frozenset[str]
    user_agent: str = USER_AGENT
    timeout: float = 10.0
    max_bytes: int = 5_000_000
    retries: int = 3
    backoff: float = 0.5
    page_seconds: float = 60.0
    crawl_seconds: float = 3600.0


@dataclass(frozen=True)
class Fetched:
    """The outcome of one fetch: data (200), not_modified (304), or an error saying why not."""

    url: str
    data: bytes | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None


class CrawlError(CuratedSearchError):
    """A sitemap or URL list that cannot be read at all."""


class Refused(Exception):
    """A URL the crawler will not fetch: off the allow-list, disallowed by robots.txt, too many redirects."""


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _shown_origin(url: str) -> str:
    """Scheme, host and port of a URL for a report (never its user name or password)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "a malformed URL"
    if parts.username or parts.password:
        return f"{parts.scheme}://{parts.hostname}{port} (with a user name or password)"
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


class Crawler:
    def __init__(self, config: CrawlConfig) -> None:
        self.config = config
        self.session = requests.Session()
        self.session.headers["User-Agent"] = config.user_agent
        retry = Retry(total=config.retries, connect=config.retries, read=config.retries, status=config.retries,
                      backoff_factor=config.backoff, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=("GET", "HEAD"), raise_on_status=False, respect_retry_after_header=True)
        adapter = Adapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self.started = time.monotonic()

    def allowed(self, url: str) -> bool:
        return is_allowed(url, self.config.allow_origins)

    def out_of_time(self) -> bool:
        """Whether the crawl has run past its time limit."""
        return time.monotonic() - self.started > self.config.crawl_seconds

    def robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        parser = self.robots.get(root)
        if parser is None:
            parser = self.robots[root] = self._robots(root)
        return parser.can_fetch(self.config.user_agent, url)

    def _robots(self, root: str) -> urllib.robotparser.RobotFileParser:
        """robots.txt, fetched under the same allow-list, redirect, size and time limits as pages: an
        unreadable one (5xx, a refused redirect, too large, too slow) disallows the site."""
        parser = urllib.robotparser.RobotFileParser(root + "/robots.txt")
        try:
            with time_limit(self.config.page_seconds) as expired:
                _, response = self.get(root + "/robots.txt", check_robots=False)
                with response:
                    body = self.read_limited(response, ROBOTS_MAX_BYTES) if response.status_code == 200 else b""
        except (Refused, requests.RequestException):
            parser.disallow_all = True
            return parser
        if response.status_code >= 500 or body is None or expired.is_set():
            parser.disallow_all = True
        elif response.status_code == 200:
            parser.parse(body.decode("utf-8", "replace").splitlines())
        else:
            parser.allow_all = True
        return parser

    def get(self, url: str, headers: dict[str, str] | None = None,
            check_robots: bool = True) -> tuple[str, requests.Response]:
        """GET following redirects only within the allow-list; returns the final URL and response."""
        for _ in range(MAX_REDIRECTS + 1):
            if not self.allowed(url):
                raise Refused(f"not on the allow-list: {_shown_origin(url)}")
            if check_robots and not self.robots_allow(url):
                raise Refused("disallowed by robots.txt")
            response = self.session.get(url, headers=headers, timeout=self.config.timeout, stream=True,
                                        allow_redirects=False)
            if response.is_redirect and response.headers.get("Location"):
                response.close()
                url = urljoin(url, response.headers["Location"])
                continue
            return url, response
        raise Refused(f"more than {MAX_REDIRECTS} redirects")

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """One HTML page, with a conditional request when validators from the last fetch are known."""
        if self.out_of_time():
            return Fetched(url, error=f"not fetched: the crawl ran past its {self.config.crawl_seconds:g} s limit")
        with time_limit(self.config.page_seconds) as expired:
            try:
                fetched = self._fetch(url, etag, last_modified)
            except requests.RequestException as exc:
                fetched = Fetched(url, error=self.describe(exc))
        if expired.is_set():
            return Fetched(url, error=f"took longer than the {self.config.page_seconds:g} s limit")
        return fetched

    def _fetch(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            final, response = self.get(url, headers)
        except Refused as exc:
            return Fetched(url, error=str(exc))
        with response:
            if response.status_code == 304:
                return Fetched(url, etag=etag, last_modified=last_modified, not_modified=True)
            if response.status_code != 200:
                return Fetched(url, error=f"HTTP {response.status_code}" + (f" at {final}" if final != url else ""))
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in HTML_TYPES:
                return Fetched(url, error=f"not HTML ({kind or 'no content type'})")
            data = self.read_limited(response, self.config.max_bytes)
            if data is None:
                return Fetched(url, error=f"larger than the {self.config.max_bytes} byte limit")
            return Fetched(url, data, final, response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def describe(self, exc: requests.RequestException) -> str:
        """A short reason for a failed request (timeouts survive being wrapped by exhausted retries)."""
        if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
            return f"timed out after {self.config.timeout:g} s ({self.config.retries} retries)"
        return f"connection failed after {self.config.retries} retries: {type(exc).__name__}"

    @staticmethod
    def read_limited(response: requests.Response, max_bytes: int) -> bytes | None:
        """The body, or None when it is larger than max_bytes (decompressed)."""
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            return None
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def sitemap_urls(self, sitemap_url: str) -> list[str]:
        """Page URLs listed by a sitemap (following sitemap indexes); CrawlError if it cannot be read
        as a sitemap (not XML, no sitemaps.org <urlset> or <sitemapindex>, too large, too slow)."""
        pending, seen, pages = [sitemap_url], set(), []
        while pending and len(seen) < MAX_SITEMAPS:
            url = pending.pop(0)
            if url in seen:
                continue
            seen.add(url)
            root = self._sitemap(url)
            locs = [el.text.strip() for el in root.iter(f"{SITEMAP_NS}loc") if el.text and el.text.strip()]
            (pending if root.tag == f"{SITEMAP_NS}sitemapindex" else pages).extend(locs)
        return list(dict.fromkeys(pages))

    def _sitemap(self, url: str) -> ET.Element:
        try:
            with time_limit(self.config.page_seconds) as expired:
                _, response = self.get(url)
                with response:
                    if response.status_code != 200:
                        raise CrawlError(f"sitemap {url}: HTTP {response.status_code}")
                    body = self.read_limited(response, self.config.max_bytes)
        except (Refused, requests.RequestException) as exc:
            reason = f"took longer than {self.config.page_seconds:g} s" if expired.is_set() else exc
            raise CrawlError(f"sitemap {url}: {reason}") from None
        if expired.is_set():
            raise CrawlError(f"sitemap {url}: took longer than {self.config.page_seconds:g} s")
        if body is None:
            raise CrawlError(f"sitemap {url}: larger than the size limit")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise CrawlError(f"sitemap {url}: not valid XML ({exc})") from None
        if root.tag not in SITEMAP_ROOTS:
            raise CrawlError(f"sitemap {url}: not a sitemap (its root is <{root.tag}>, not a sitemaps.org "
                             "<urlset> or <sitemapindex>)")
        return root
