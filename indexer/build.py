"""Sources -> pages -> passages -> vectors -> a published index version, in full or incrementally."""
from __future__ import annotations

import hashlib
import resource
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer import calibration
from indexer.chunking import ChunkConfig, TokenCounter, chunk_page, embed_text
from indexer.crawling import CrawlError
from indexer.parsing import PageError, parse_page, relink
from indexer.sources import RawPage, Source, SourcesConfig
from indexer.vocabulary import common_phrases, page_vocabulary
from search_index import embedding, keywords, publishing
from search_index.best_bets import Curation, load_best_bets
from search_index.documents import Page, PageNote, Passage, StoredPage
from search_index.format import FORMAT_VERSION, REUSABLE_FORMATS, StoreError, disk_size, vector_index_for
from search_index.rebuild import RebuildReader
from search_index.synonyms import load_synonyms
from search_index.writer import write_version


@dataclass
class BuildReport:
    version: str = ""
    pages: int = 0
    sections: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[PageNote] = field(default_factory=list)
    notes: list[PageNote] = field(default_factory=list)
    seconds: float = 0.0
    passages_per_second: float = 0.0
    peak_memory_mb: float = 0.0
    size_bytes: int = 0
    vector_index: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Previous:
    """The published version, for reuse: its pages by (origin, path) (on update), and its reader for
    vectors by text (on every build)."""

    pages: dict[tuple[str, str], StoredPage]
    reader: RebuildReader
    per_origin: dict[str, int] = field(default_factory=dict)


def read_pages(
    config: SourcesConfig, previous: Previous | None = None, report: BuildReport | None = None
) -> tuple[list[Page], list[PageNote]]:
    """Parse every page that is new or changed; reuse unchanged ones; report broken pages and duplicate URLs.

    A page that fails to load keeps its indexed copy; a page is dropped only when its source no longer lists it.
    """
    report = report if report is not None else BuildReport()
    old = previous.pages if previous else {}
    reading = config.reading()
    found: list[Claim] = []
    listed: set[tuple[str, str]] = set()
    for source in config.sources:
        known = {path: held.page for (origin, path), held in old.items() if origin == source.origin}
        expected = previous.per_origin.get(source.origin, 0) if previous else 0
        try:
            for raw in source.pages(known, reading, expected):
                listed.add((source.origin, raw.path))
                page = _read_one(source.origin, raw, old.get((source.origin, raw.path)), report)
                if page is not None:
                    found.append(Claim(page, raw.address.own_url, _shown(source.origin, raw.path)))
        except CrawlError as exc:
            if expected > len(known):
                raise CrawlError(f"{exc}; nothing was published (a full build cannot keep the pages it "
                                 "did not read: run update)") from None
            report.skipped.append(PageNote(source.origin, f"{exc}; kept its indexed pages"))
            for path, page in known.items():
                listed.add((source.origin, path))
                found.append(Claim(page, page.url, _shown(source.origin, path)))
    report.removed = sorted(_shown(origin, path) for origin, path in set(old) - listed)
    return settle_urls(found, report), report.skipped


@dataclass(frozen=True)
class Claim:
    """A page, the address it has of its own, and how the report names it."""

    page: Page
    own_url: str
    shown: str


def settle_urls(claims: list[Claim], report: BuildReport) -> list[Page]:
    """One page per URL. Where pages claim the same URL, the page at that address keeps it and the
    others fall back to their own addresses; pages whose own address is taken too are skipped."""
    holder = {c.page.url: c for c in claims if c.page.url == c.own_url}
    for claim in claims:
        holder.setdefault(claim.page.url, claim)
    pages: list[Page] = []
    taken: dict[str, str] = {}
    for claim in claims:
        page, winner = claim.page, holder[claim.page.url]
        if winner is not claim and claim.own_url != page.url:
            report.notes.append(PageNote(claim.shown, f"its canonical URL {page.url} belongs to {winner.shown}; "
                                                      "linked at its own address"))
            page = relink(page, claim.own_url)
        if page.url in taken:
            report.skipped.append(PageNote(claim.shown, f"same URL as {taken[page.url]}: {page.url}"))
            continue
        taken[page.url] = claim.shown
        pages.append(page)
    return pages


def _shown(origin: str, path: str) -> str:
    return path if "://" in path else f"{origin.rstrip('/')}/{path}"


def _read_one(origin: str, raw: RawPage, held: StoredPage | None, report: BuildReport) -> Page | None:
    shown = _shown(origin, raw.path)
    old = held.page if held else None
    kept = ", kept the indexed copy" if old else ""
    if raw.error:
        report.skipped.append(PageNote(shown, raw.error + kept))
        return old
    if raw.not_modified and old:
        report.unchanged += 1
        return old
    digest = hashlib.sha256(raw.data or b"").hexdigest()
    if old and old.content_hash == digest:
        report.unchanged += 1
        return replace(old, etag=raw.etag, last_modified=raw.last_modified) if raw.etag or raw.last_modified else old
    try:
        page = parse_page(raw.data or b"", raw.path, raw.site, raw.address)
    except (PageError, ValueError) as exc:
        report.skipped.append(PageNote(shown, str(exc) + kept))
        return old
    report.notes.extend(PageNote(shown, note) for note in page.notes)
    (report.changed if old else report.added).append(shown)
    return replace(page, origin=origin, etag=raw.etag, last_modified=raw.last_modified)


def chunk_pages(pages: list[Page], config: ChunkConfig, previous: Previous | None = None) -> list[Passage]:
    """Passages of every page: unchanged pages keep theirs, others are chunked anew."""
    counter = TokenCounter(embedding.model_dir() / "tokenizer.json")
    old = previous.pages if previous else {}
    passages: list[Passage] = []
    for index, page in enumerate(pages):
        held = old.get((page.origin, page.path))
        if held and held.page.content_hash == page.content_hash and held.page.url == page.url:
            passages.extend(replace(p, page_index=index) for p in held.passages)
        else:
            passages.extend(chunk_page(page, index, counter, config))
    return passages


def vectors_for(texts: list[str], known: Mapping[str, np.ndarray], device: str, progress: bool | None,
                report: BuildReport) -> np.ndarray:
    """Vectors of the texts (passages, page titles): `known` ones reused, the others embedded."""
    fresh = [t for t in texts if t not in known]
    embedded = embedding.embed(fresh, device=device, progress=progress)
    fresh_rows = {t: i for i, t in enumerate(fresh)}
    dims = embedded.shape[1] if fresh else embedding.model_info().dimensions
    vectors = np.empty((len(texts), dims), dtype=np.float32)
    for i, text in enumerate(texts):
        vectors[i] = embedded[fresh_rows[text]] if text in fresh_rows else known[text]
    report.embedded = len(fresh_rows)
    report.reused = len(texts) - len(fresh)
    return vectors


def previous_version(index_dir: Path, config: ChunkConfig, info: embedding.ModelInfo,
                     incremental: bool) -> Previous | None:
    """The published version when it is readable and its model matches; its pages are reused on update
    when they were chunked alike."""
    try:
        reader = publishing.open_version(index_dir, formats=REUSABLE_FORMATS, reader=RebuildReader)
    except StoreError:
        return None
    if not info.built(reader.manifest["model"]):
        return None
    pages = {}
    if incremental and reader.manifest.get("chunking") == asdict(config):
        pages = {(held.page.origin, held.page.path): held for held in reader.stored_pages()}
    return Previous(pages, reader, reader.pages_per_origin())


def bet_vectors(curation: Curation, device: str) -> np.ndarray | None:
    """Vectors of the best bets' phrasings."""
    return embedding.embed(curation.phrasings, device, progress=False) if curation.phrasings else None


def holds_same_passages(reader: RebuildReader, passage_texts: list[str], synonyms: list) -> bool:
    """Whether a version holds exactly these passages, in this order, with these synonyms: then its
    vector index and keyword postings serve the new version as they are."""
    return (reader.manifest["format"] == FORMAT_VERSION and reader.manifest.get("synonyms") == synonyms
            and reader.manifest["counts"]["passages"] == len(passage_texts)
            and reader.embedded_texts(embed_text) == passage_texts)


def build(
    sources: SourcesConfig | list[Source],
    index_dir: Path,
    device: str | None = None,
    config: ChunkConfig = ChunkConfig(),
    progress: bool | None = None,
    incremental: bool = False,
    keep: int = publishing.KEEP_VERSIONS,
) -> BuildReport:
    """Build, verify and publish a new version; the published one is untouched if anything fails.

    A text (passage or title) that the published version embedded with the same model keeps its
    vector. Incremental: unchanged pages (same content hash) are not even parsed again, and pages no
    longer listed by their source are dropped.
    """
    started = time.perf_counter()
    config_sources = sources if isinstance(sources, SourcesConfig) else SourcesConfig(list(sources))
    report = BuildReport()
    device = embedding.pick_device(device)
    synonyms = load_synonyms(config_sources.synonyms)
    curation = load_best_bets(config_sources.best_bets)
    with publishing.build_lock(index_dir):
        info = embedding.model_info()
        previous = previous_version(index_dir, config, info, incremental)
        pages, _ = read_pages(config_sources, previous, report)
        passages = chunk_pages(pages, config, previous)
        texts = [embed_text(pages[p.page_index].title, p) for p in passages] + [page.title for page in pages]
        known = previous.reader.embedded_vectors(set(texts), embed_text) if previous else {}
        vectors = vectors_for(texts, known, device, progress, report)
        manifest = {
            "model": {"name": info.name, "sha256": info.sha256, "dimensions": info.dimensions},
            "chunking": asdict(config),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sources": [s.origin for s in config_sources.sources],
            "skipped": [asdict(s) for s in report.skipped],
            "off_topic_scores": calibration.off_topic_scores(vectors[: len(passages)], device),
        }
        manifest["synonyms"] = [list(group) for group in synonyms]
        manifest["best_bets"] = curation.to_json()
        manifest["helpline"] = config_sources.helpline
        manifest["phrases"] = common_phrases(p.text for p in passages)
        manifest["changes"] = {"added": len(report.added), "changed": len(report.changed),
                               "removed": len(report.removed)}
        vocabulary = page_vocabulary(pages)
        vocabulary.update({word: 2 for term in keywords.phrases(synonyms) for word in term.split()})
        same = previous.reader if previous and holds_same_passages(previous.reader, texts[: len(passages)],
                                                                   manifest["synonyms"]) else None
        if same:
            postings = same.postings_copy()
        else:
            postings = keywords.build_for([page.title for page in pages], passages, synonyms)
        with publishing.build_folder(index_dir) as (version, folder):
            write_version(folder, version, pages, passages, vectors[: len(passages)], vectors[len(passages):],
                                vocabulary, postings, manifest, same.folder if same else None,
                                bet_vectors(curation, device))
            report.version = publishing.publish(index_dir, folder, keep)
    report.pages, report.passages = len(pages), len(passages)
    report.sections = sum(len(p.sections) for p in pages)
    report.seconds = round(time.perf_counter() - started, 2)
    report.passages_per_second = round(len(passages) / report.seconds, 1) if report.seconds else 0.0
    report.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report.size_bytes = disk_size(publishing.version_dir(index_dir, report.version))
    spec = vector_index_for(len(passages))
    report.vector_index = f"{spec['type']}: {spec['reason']}"
    return report
