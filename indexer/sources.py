"""Where pages come from: folders, sitemaps and URL lists, declared on the command line or in sources.toml."""
from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.crawling import CrawlConfig, Crawler, host_of
from indexer.documents import Page
from indexer.parsing import fallback_url

HTML_SUFFIXES = (".html", ".htm")
DEFAULT_BASE_URL = "/pages/"
SOURCES_FILE = Path("corpus/sources.toml")


@dataclass(frozen=True)
class RawPage:
    """One page as its source delivers it, before parsing: bytes, 'unchanged since last time', or an error."""

    path: str
    site: str
    url_if_no_canonical: str
    data: bytes | None = None
    not_modified: bool = False
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FolderSource:
    """A folder of HTML pages; pages without a canonical link get base_url + their relative path.

    `name`: the site name of its pages (default: a page's first sub-folder, else the folder's name).
    """

    folder: Path
    base_url: str = DEFAULT_BASE_URL
    name: str | None = None

    @property
    def origin(self) -> str:
        return str(self.folder)

    def site(self, relative: Path) -> str:
        """A page's site: the source's name, else its first sub-folder, else the folder's name."""
        if self.name:
            return self.name
        return relative.parts[0] if len(relative.parts) > 1 else self.folder.resolve().name

    def pages(self, known: dict[str, Page], crawler: Crawler | None) -> Iterator[RawPage]:
        if not self.folder.is_dir():
            raise FileNotFoundError(f"source folder not found: {self.folder}")
        files = sorted(p for p in self.folder.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
        for file in files:
            relative = file.relative_to(self.folder)
            raw = RawPage(relative.as_posix(), self.site(relative), fallback_url(self.base_url, relative.as_posix()))
            try:
                yield replace(raw, data=file.read_bytes())
            except OSError as exc:
                yield replace(raw, error=f"unreadable: {exc.strerror or exc}")


@dataclass(frozen=True)
class WebSource:
    """Pages listed by a sitemap URL or by a file of URLs, fetched over HTTP; `name`: their site name
    (default: each page's host)."""

    sitemap: str | None = None
    url_list: Path | None = None
    name: str | None = None

    @property
    def origin(self) -> str:
        return self.sitemap or str(self.url_list)

    def urls(self, crawler: Crawler) -> list[str]:
        if self.sitemap:
            return crawler.sitemap_urls(self.sitemap)
        lines = Path(self.url_list).read_text(encoding="utf-8").splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip() and not line.startswith("#")))

    def hosts(self) -> set[str]:
        if self.sitemap:
            return {host_of(self.sitemap)}
        if self.url_list and Path(self.url_list).is_file():
            return {host_of(u) for u in Path(self.url_list).read_text(encoding="utf-8").split() if "://" in u}
        return set()

    def pages(self, known: dict[str, Page], crawler: Crawler | None) -> Iterator[RawPage]:
        assert crawler is not None
        for url in self.urls(crawler):
            old = known.get(url)
            fetched = crawler.fetch(url, old.etag if old else None, old.last_modified if old else None)
            yield RawPage(url, self.name or host_of(url), fetched.final_url or url, fetched.data, fetched.not_modified,
                          fetched.error, fetched.etag, fetched.last_modified)


Source = FolderSource | WebSource


@dataclass
class SourcesConfig:
    sources: list[Source] = field(default_factory=list)
    allow_hosts: set[str] = field(default_factory=set)
    crawl: dict = field(default_factory=dict)
    synonyms: Path | None = None

    def crawler(self) -> Crawler | None:
        """A crawler allowed on the configured hosts and on each web source's own host."""
        web = [s for s in self.sources if isinstance(s, WebSource)]
        if not web:
            return None
        hosts = set(self.allow_hosts).union(*(s.hosts() for s in web))
        return Crawler(CrawlConfig(allow_hosts=frozenset(h.lower() for h in hosts), **self.crawl))


def load_sources_file(path: Path) -> SourcesConfig:
    """Read sources.toml; relative paths in it are relative to the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    here = Path(path).parent
    base_url = data.get("base_url", DEFAULT_BASE_URL)
    sources: list[Source] = []
    for item in data.get("folder", []):
        sources.append(FolderSource(here / item["path"], item.get("base_url", base_url), item.get("name")))
    for item in data.get("sitemap", []):
        sources.append(WebSource(sitemap=item["url"], name=item.get("name")))
    for item in data.get("url_list", []):
        sources.append(WebSource(url_list=here / item["path"], name=item.get("name")))
    crawl_table = data.get("crawl", {})
    crawl = {k: crawl_table[k] for k in ("user_agent", "timeout", "max_bytes", "retries") if k in crawl_table}
    synonyms = here / data["synonyms"] if data.get("synonyms") else None
    return SourcesConfig(sources, set(data.get("allow_hosts", [])), crawl, synonyms)
