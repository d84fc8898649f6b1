"""Fetching pages from a live site: allow-listed hosts, robots.txt, retries, size limits, conditional requests."""
from __future__ import annotations

import urllib.robotparser
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from indexer.urls import is_allowed

USER_AGENT = "curated-search-indexer/1.0"
HTML_TYPES = ("text/html", "application/xhtml+xml")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MAX_REDIRECTS = 5
MAX_SITEMAPS = 50


@dataclass(frozen=True)
class CrawlConfig:
    """Origins ("scheme://host:port") the crawler may fetch from, and its limits."""

    allow_origins: frozenset[str]
    user_agent: str = USER_AGENT
    timeout: float = 10.0
    max_bytes: int = 5_000_000
    retries: int = 3
    backoff: float = 0.5


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


class CrawlError(RuntimeError):
    """A sitemap or URL list that cannot be read at all."""


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
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def allowed(self, url: str) -> bool:
        return is_allowed(url, self.config.allow_origins)

    def robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        parser = self.robots.get(root)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser(root + "/robots.txt")
            try:
                response = self.session.get(root + "/robots.txt", timeout=self.config.timeout)
                if response.status_code >= 500:
                    parser.disallow_all = True
                elif response.status_code == 200:
                    parser.parse(response.text.splitlines())
                else:
                    parser.allow_all = True
            except requests.RequestException:
                parser.disallow_all = True
            self.robots[root] = parser
        return parser.can_fetch(self.config.user_agent, url)

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[str, requests.Response]:
        """GET following redirects only within the allow-list; returns the final URL and response."""
        for _ in range(MAX_REDIRECTS + 1):
            if not self.allowed(url):
                raise PermissionError(f"not on the allow-list: {_shown_origin(url)}")
            if not self.robots_allow(url):
                raise PermissionError("disallowed by robots.txt")
            response = self.session.get(url, headers=headers, timeout=self.config.timeout, stream=True,
                                        allow_redirects=False)
            if response.is_redirect and response.headers.get("Location"):
                response.close()
                url = urljoin(url, response.headers["Location"])
                continue
            return url, response
        raise PermissionError(f"more than {MAX_REDIRECTS} redirects")

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """One HTML page, with a conditional request when validators from the last fetch are known."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            final, response = self.get(url, headers)
        except PermissionError as exc:
            return Fetched(url, error=str(exc))
        except requests.RequestException as exc:
            return Fetched(url, error=self.describe(exc))
        with response:
            if response.status_code == 304:
                return Fetched(url, etag=etag, last_modified=last_modified, not_modified=True)
            if response.status_code != 200:
                return Fetched(url, error=f"HTTP {response.status_code}" + (f" at {final}" if final != url else ""))
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in HTML_TYPES:
                return Fetched(url, error=f"not HTML ({kind or 'no content type'})")
            try:
                data = self.read_limited(response)
            except requests.RequestException as exc:
                return Fetched(url, error=self.describe(exc))
            if data is None:
                return Fetched(url, error=f"larger than the {self.config.max_bytes} byte limit")
            return Fetched(url, data, final, response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def describe(self, exc: requests.RequestException) -> str:
        """A short reason for a failed request (timeouts survive being wrapped by exhausted retries)."""
        if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
            return f"timed out after {self.config.timeout:g} s ({self.config.retries} retries)"
        return f"connection failed after {self.config.retries} retries: {type(exc).__name__}"

    def read_limited(self, response: requests.Response) -> bytes | None:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.config.max_bytes:
            return None
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > self.config.max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def sitemap_urls(self, sitemap_url: str) -> list[str]:
        """Page URLs listed by a sitemap (following sitemap indexes); CrawlError if it cannot be read."""
        pending, seen, pages = [sitemap_url], set(), []
        while pending and len(seen) < MAX_SITEMAPS:
            url = pending.pop(0)
            if url in seen:
                continue
            seen.add(url)
            try:
                _, response = self.get(url)
                with response:
                    if response.status_code != 200:
                        raise CrawlError(f"sitemap {url}: HTTP {response.status_code}")
                    body = self.read_limited(response)
            except (PermissionError, requests.RequestException) as exc:
                raise CrawlError(f"sitemap {url}: {exc}") from None
            if body is None:
                raise CrawlError(f"sitemap {url}: larger than the size limit")
            try:
                root = ET.fromstring(body)
            except ET.ParseError as exc:
                raise CrawlError(f"sitemap {url}: not valid XML ({exc})") from None
            locs = [el.text.strip() for el in root.iter(f"{SITEMAP_NS}loc") if el.text and el.text.strip()]
            (pending if root.tag == f"{SITEMAP_NS}sitemapindex" else pages).extend(locs)
        return list(dict.fromkeys(pages))
