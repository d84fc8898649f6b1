"""Where pages come from: folders, sitemaps and URL lists, declared on the command line or in sources.toml."""
from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.crawling import CrawlConfig, Crawler, CrawlError, host_of
from indexer.parsing import fallback_url
from indexer.urls import allowed_origins, origin
from search_index import language
from search_index.documents import Address, Page
from search_index.errors import InputError

HTML_SUFFIXES = (".html", ".htm")
# A sitemap or URL list that suddenly names fewer than half the pages indexed from it is taken for a
# fault (a broken site, a truncated file), not for a removal: its pages are kept unless allowed.
SHRINK_SHARE = 0.5
# The helpline line shown when the pages do not answer ("Call our nurses on 0800 ...").
MAX_HELPLINE = 200
DEFAULT_BASE_URL = "/pages/"
# The shortest opening of a furniture sentence: "To" or "The" alone would take content with it.
MIN_FURNITURE = 10
# What a site may set of how its questions are ranked, per language of the question
# (search_app.engine.profiles.for_site): each a share from 0 to 1.
RANKING_LEVERS = ("keyword_weight", "name_keyword_weight", "second_reader_weight")
SOURCES_FILE = Path("corpus/sources.toml")


@dataclass(frozen=True)
class RawPage:
    """One page as its source delivers it, before parsing: bytes, 'unchanged since last time', or an error."""

    path: str
    site: str
    address: Address
    data: bytes | None = None
    not_modified: bool = False
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Reading:
    """What every source reads with: the crawler (when a source is on the web), the origins on which a
    page's canonical URL is trusted, and the size limit of one page."""

    crawler: Crawler | None
    trusted: frozenset[str]
    max_bytes: int
    allow_shrink: bool = False
    furniture: tuple[str, ...] = ()


def shown_path(path: Path) -> str:
    """A file path as text that can always be printed and stored (bytes that are not UTF-8 escaped)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class FolderSource:
    """A folder of HTML pages, each linked at base_url + its relative path.

    `name`: the site name of the pages directly in the folder (default: the folder's name); `sites`:
    the site name of the pages in each sub-folder (default: the sub-folder's name). With an absolute
    base_url the folder is a copy of that site, and a page's canonical URL on it becomes its link."""

    folder: Path
    base_url: str = DEFAULT_BASE_URL
    name: str | None = None
    sites: Mapping[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return str(self.folder)

    def own_origins(self) -> set[str]:
        found = origin(self.base_url)
        return {found} if found else set()

    def site(self, relative: Path) -> str:
        if len(relative.parts) > 1:
            return self.sites.get(relative.parts[0], relative.parts[0])
        return self.name or self.folder.resolve().name

    def pages(self, known: dict[str, Page], reading: Reading, expected: int = 0) -> Iterator[RawPage]:
        if not self.folder.is_dir():
            raise InputError(f"source folder not found: {self.folder}")
        root = self.folder.resolve()
        files = sorted(p for p in self.folder.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
        check_shrink(self.origin, len(files), max(expected, len(known)), reading)
        link_canonical = origin(self.base_url) is not None
        for file in files:
            relative = file.relative_to(self.folder)
            shown = shown_path(relative)
            address = Address(fallback_url(self.base_url, shown), reading.trusted, link_canonical)
            raw = RawPage(shown, self.site(relative), address)
            if shown != str(relative):
                yield replace(raw, error="file name is not valid UTF-8")
            elif not file.resolve().is_relative_to(root):
                yield replace(raw, error="a link to a file outside the source folder")
            else:
                yield self._read(file, raw, reading.max_bytes)

    @staticmethod
    def _read(file: Path, raw: RawPage, max_bytes: int) -> RawPage:
        try:
            if file.stat().st_size > max_bytes:
                return replace(raw, error=f"larger than the {max_bytes} byte limit")
            return replace(raw, data=file.read_bytes())
        except OSError as exc:
            return replace(raw, error=f"unreadable: {exc.strerror or exc}")


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

    def listed_urls(self) -> list[str]:
        """The URLs of the URL list (none for a sitemap)."""
        if not self.url_list:
            return []
        lines = Path(self.url_list).read_text(encoding="utf-8").splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip() and not line.startswith("#")))

    def own_origins(self) -> set[str]:
        urls = [self.sitemap] if self.sitemap else self.listed_urls()
        return {found for found in map(origin, urls) if found}

    def pages(self, known: dict[str, Page], reading: Reading, expected: int = 0) -> Iterator[RawPage]:
        crawler = reading.crawler
        assert crawler is not None
        urls = crawler.sitemap_urls(self.sitemap) if self.sitemap else self.listed_urls()
        check_shrink(self.origin, len(urls), max(expected, len(known)), reading)
        for url in urls:
            old = known.get(url)
            fetched = crawler.fetch(url, old.etag if old else None, old.last_modified if old else None)
            site = self.name or host_of(url)
            address = Address(fetched.final_url or url, reading.trusted)
            yield RawPage(url, site, address, fetched.data, fetched.not_modified, fetched.error, fetched.etag,
                          fetched.last_modified)


Source = FolderSource | WebSource


def check_shrink(origin: str, listed: int, indexed: int, reading: Reading) -> None:
    """A source that suddenly lists nothing, or less than half the pages the index holds from it (an
    unmounted share, a broken sitemap), is a fault, not an instruction to delete: refused unless
    `allow_shrink`."""
    if indexed and listed < SHRINK_SHARE * indexed and not reading.allow_shrink:
        raise CrawlError(f"{origin} lists {listed} pages where the index has {indexed} from it "
                         "(if they were removed on purpose, update with --allow-shrink)")


@dataclass
class SourcesConfig:
    sources: list[Source] = field(default_factory=list)
    allow_hosts: set[str] = field(default_factory=set)
    crawl: dict = field(default_factory=dict)
    synonyms: Path | None = None
    best_bets: Path | None = None
    allow_shrink: bool = False
    helpline: str = ""
    # Hosts whose originals are not shared (a retired site, or copies whose section ids are their own):
    # "Copy link" shares the search's own copy of their pages.
    share_copies: list[str] = field(default_factory=list)
    # Openings of sentences that are a site's furniture, not its content: left out of every page.
    furniture: list[str] = field(default_factory=list)
    # The site's own weighting of its questions, by language: {"en": {"keyword_weight": 0.0}}.
    ranking: dict[str, dict[str, float]] = field(default_factory=dict)

    def reading(self) -> Reading:
        """Trusted origins: the configured hosts and each source's own; a crawler when a source is on the web."""
        trusted = allowed_origins(self.allow_hosts).union(*(s.own_origins() for s in self.sources))
        config = CrawlConfig(allow_origins=trusted, **self.crawl)
        crawler = Crawler(config) if any(isinstance(s, WebSource) for s in self.sources) else None
        return Reading(crawler, trusted, config.max_bytes, self.allow_shrink, tuple(self.furniture))


@dataclass(frozen=True)
class Table:
    """What a table of the sources file may hold: each key's type (a Python type, a one-item list for
    an array of that, or a Table), and the keys it must hold."""

    keys: Mapping[str, object]
    required: tuple[str, ...] = ()


TEXT_MAP = Table({})  # any keys, text values: `sites`
NUMBER = (int, float)
SCHEMA = Table({
    "base_url": str, "allow_hosts": [str], "synonyms": str, "best_bets": str, "helpline": str,
    "share_copies": [str], "furniture": [str],
    "folder": [Table({"path": str, "base_url": str, "name": str, "sites": TEXT_MAP}, ("path",))],
    "sitemap": [Table({"url": str, "name": str}, ("url",))],
    "url_list": [Table({"path": str, "name": str}, ("path",))],
    "crawl": Table({"user_agent": str, "timeout": NUMBER, "max_bytes": int, "retries": int,
                    "page_seconds": NUMBER, "crawl_seconds": NUMBER}),
    "ranking": Table({code: Table(dict.fromkeys(RANKING_LEVERS, NUMBER)) for code in language.LANGUAGES}),
})
TYPE_NAMES = {str: "text", int: "a whole number", NUMBER: "a number"}


def check_schema(value: object, spec: object, where: str) -> None:
    """Refuse a sources file that does not have SCHEMA's shape, naming the key: unknown keys (a typo
    such as `[[folders]]` or `alow_hosts`), wrong types, missing keys."""
    if isinstance(spec, list):
        if not isinstance(value, list):
            table = f" ([[{where}]])" if isinstance(spec[0], Table) else ""
            raise InputError(f"{where} must be a list{table}")
        for number, item in enumerate(value, start=1):
            check_schema(item, spec[0], f"{where} #{number}")
    elif isinstance(spec, Table):
        if not isinstance(value, dict):
            raise InputError(f"{where} must be a table")
        for key, item in value.items():
            if spec is TEXT_MAP:
                check_schema(item, str, f"{where}.{key}")
            elif key not in spec.keys:
                raise InputError(f"unknown key {key!r} in {where} (known: {', '.join(spec.keys)})")
            else:
                check_schema(item, spec.keys[key], f"{where}.{key}".removeprefix("the file."))
        missing = [key for key in spec.required if key not in value]
        if missing:
            raise InputError(f"{where} has no {missing[0]}")
    elif isinstance(value, bool) or not isinstance(value, spec):  # type: ignore[arg-type]
        raise InputError(f"{where} must be {TYPE_NAMES[spec]}, not {type(value).__name__} {value!r:.40}")


def load_sources_file(path: Path) -> SourcesConfig:
    """Read sources.toml, checked against SCHEMA; relative paths in it are relative to the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        check_schema(data, SCHEMA, "the file")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    here = Path(path).parent
    base_url = data.get("base_url", DEFAULT_BASE_URL)
    sources: list[Source] = []
    for item in data.get("folder", []):
        sources.append(FolderSource(here / item["path"], item.get("base_url", base_url), item.get("name"),
                                    dict(item.get("sites", {}))))
    for item in data.get("sitemap", []):
        sources.append(WebSource(sitemap=item["url"], name=item.get("name")))
    for item in data.get("url_list", []):
        sources.append(WebSource(url_list=here / item["path"], name=item.get("name")))
    crawl_table = data.get("crawl", {})
    keys = ("user_agent", "timeout", "max_bytes", "retries", "page_seconds", "crawl_seconds")
    crawl = {k: crawl_table[k] for k in keys if k in crawl_table}
    synonyms = here / data["synonyms"] if data.get("synonyms") else None
    best_bets = here / data["best_bets"] if data.get("best_bets") else None
    helpline = data.get("helpline", "")
    if not isinstance(helpline, str) or len(helpline) > MAX_HELPLINE:
        raise InputError(f"{path}: helpline must be one line of text of at most {MAX_HELPLINE} characters")
    return SourcesConfig(sources, set(data.get("allow_hosts", [])), crawl, synonyms, best_bets,
                         helpline=" ".join(helpline.split()),
                         share_copies=sorted({host.strip().lower() for host in data.get("share_copies", [])}),
                         furniture=furniture_openings(data.get("furniture", []), path),
                         ranking=ranking_levers(data.get("ranking", {}), path))


def ranking_levers(table: dict[str, dict[str, float]], path: Path) -> dict[str, dict[str, float]]:
    """The sources file's ranking levers (their names and types already checked), each a share from 0 to 1."""
    for code, values in table.items():
        for name, value in values.items():
            if not 0 <= value <= 1:
                raise InputError(f"{path}: ranking.{code}.{name} must be from 0 to 1, not {value}")
    return {code: {name: float(value) for name, value in sorted(values.items())}
            for code, values in sorted(table.items()) if values}


def furniture_openings(openings: list[str], path: Path) -> list[str]:
    """The sources file's furniture: distinct openings of at least MIN_FURNITURE characters, on one line."""
    cleaned = list(dict.fromkeys(" ".join(opening.split()) for opening in openings))
    short = [opening for opening in cleaned if len(opening) < MIN_FURNITURE]
    if short:
        raise InputError(f"{path}: furniture {short[0]!r} is too short: an opening of at least {MIN_FURNITURE} "
                         "characters names the sentences to leave out without catching others")
    return cleaned
