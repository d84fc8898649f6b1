"""Source folders -> pages -> passages -> vectors -> a published index version, in full or incrementally."""
from __future__ import annotations

import hashlib
import resource
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from indexer import embedding, store
from indexer.chunking import ChunkConfig, TokenCounter, chunk_page
from indexer.documents import Page, Passage, Skipped
from indexer.parsing import PageError, parse_page
from indexer.vocabulary import page_vocabulary

HTML_SUFFIXES = (".html", ".htm")
DEFAULT_BASE_URL = "/pages/"


@dataclass(frozen=True)
class Source:
    """A folder of HTML pages; pages without a canonical link get base_url + their relative path."""

    folder: Path
    base_url: str = DEFAULT_BASE_URL

    @property
    def name(self) -> str:
        return self.folder.resolve().name

    @property
    def origin(self) -> str:
        return str(self.folder)


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
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    passages_per_second: float = 0.0
    peak_memory_mb: float = 0.0
    size_bytes: int = 0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Previous:
    """What the published version already holds, keyed for reuse."""

    pages: dict[tuple[str, str], tuple[Page, list[tuple[int, Passage]]]]
    vectors: np.ndarray
    rows_by_text: dict[str, int]

    @classmethod
    def load(cls, reader: store.IndexReader) -> Previous:
        loaded = reader.load_pages()
        rows_by_text = {p.embed_text: pid - 1 for _, passages in loaded for pid, p in passages}
        pages = {(page.origin, page.path): (page, passages) for page, passages in loaded}
        return cls(pages, reader.all_vectors(), rows_by_text)


def source_label(source: Source, relative: Path) -> str:
    """Section of the site a page belongs to: its first sub-folder, else the source folder's name."""
    return relative.parts[0] if len(relative.parts) > 1 else source.name


def page_files(source: Source) -> list[Path]:
    if not source.folder.is_dir():
        raise FileNotFoundError(f"source folder not found: {source.folder}")
    return sorted(p for p in source.folder.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file())


def read_pages(
    sources: list[Source], previous: Previous | None = None, report: BuildReport | None = None
) -> tuple[list[Page], list[Skipped]]:
    """Parse every page that is new or changed; reuse unchanged ones; report broken pages and duplicate URLs."""
    report = report if report is not None else BuildReport()
    old = previous.pages if previous else {}
    pages: list[Page] = []
    seen: dict[str, str] = {}
    listed: set[tuple[str, str]] = set()
    for source in sources:
        for file in page_files(source):
            relative = file.relative_to(source.folder).as_posix()
            key = (source.origin, relative)
            listed.add(key)
            page = _read_one(source, file, relative, old.get(key), report)
            if page is None:
                continue
            if page.url in seen:
                report.skipped.append(Skipped(str(file), f"same URL as {seen[page.url]}: {page.url}"))
                continue
            seen[page.url] = str(file)
            pages.append(page)
    report.removed = sorted(f"{origin}/{path}" for origin, path in set(old) - listed)
    return pages, report.skipped


def _read_one(source: Source, file: Path, relative: str, old, report: BuildReport) -> Page | None:
    try:
        data = file.read_bytes()
    except OSError as exc:
        report.skipped.append(Skipped(str(file), f"unreadable: {exc}" + (", kept the indexed copy" if old else "")))
        return old[0] if old else None
    digest = hashlib.sha256(data).hexdigest()
    if old and old[0].content_hash == digest:
        report.unchanged += 1
        return old[0]
    try:
        page = parse_page(data, relative, source_label(source, Path(relative)), source.base_url)
    except (PageError, ValueError) as exc:
        report.skipped.append(Skipped(str(file), str(exc) + (", kept the indexed copy" if old else "")))
        return old[0] if old else None
    (report.changed if old else report.added).append(str(file))
    return replace(page, origin=source.origin)


def chunk_pages(pages: list[Page], config: ChunkConfig, previous: Previous | None = None) -> list[Passage]:
    """Passages of every page: unchanged pages keep theirs, others are chunked anew."""
    counter = TokenCounter(embedding.model_dir() / "tokenizer.json")
    old = previous.pages if previous else {}
    passages: list[Passage] = []
    for index, page in enumerate(pages):
        held = old.get((page.origin, page.path))
        if held and held[0] is page:
            passages.extend(replace(p, page_index=index) for _, p in held[1])
        else:
            passages.extend(chunk_page(page, index, counter, config))
    return passages


def vectors_for(passages: list[Passage], previous: Previous | None, device: str, progress: bool | None,
                report: BuildReport) -> np.ndarray:
    """Vectors of the passages: reused where the same text was embedded before, embedded otherwise."""
    texts = [p.embed_text for p in passages]
    rows = previous.rows_by_text if previous else {}
    fresh = list(dict.fromkeys(t for t in texts if t not in rows))
    embedded = embedding.embed(fresh, device=device, progress=progress)
    fresh_rows = {t: i for i, t in enumerate(fresh)}
    dims = embedded.shape[1] if len(fresh) else embedding.model_info(device).dimensions
    vectors = np.empty((len(texts), dims), dtype=np.float32)
    for i, text in enumerate(texts):
        vectors[i] = embedded[fresh_rows[text]] if text in fresh_rows else previous.vectors[rows[text]]
    report.embedded = len(fresh)
    report.reused = len(texts) - sum(1 for t in texts if t in fresh_rows)
    return vectors


def previous_version(index_dir: Path, config: ChunkConfig, info: embedding.ModelInfo) -> Previous | None:
    """The published version when its model matches; its pages are reused only if chunked the same way."""
    if not store.published_version(index_dir):
        return None
    reader = store.IndexReader(index_dir)
    if reader.manifest["model"]["sha256"] != info.sha256:
        return None
    previous = Previous.load(reader)
    if reader.manifest.get("chunking") != asdict(config):
        previous.pages = {}
    return previous


def build(
    sources: list[Source],
    index_dir: Path,
    device: str | None = None,
    config: ChunkConfig = ChunkConfig(),
    progress: bool | None = None,
    incremental: bool = False,
    keep: int = store.KEEP_VERSIONS,
) -> BuildReport:
    """Build, verify and publish a new version; the published one is untouched if anything fails.

    Incremental: unchanged pages (same content hash) are not parsed again, and passages whose text was
    embedded before keep their vectors; pages no longer in a source folder are dropped.
    """
    started = time.perf_counter()
    report = BuildReport()
    device = embedding.pick_device(device)
    with store.build_lock(index_dir):
        info = embedding.model_info(device)
        previous = previous_version(index_dir, config, info) if incremental else None
        pages, _ = read_pages(sources, previous, report)
        passages = chunk_pages(pages, config, previous)
        vectors = vectors_for(passages, previous, device, progress, report)
        manifest = {
            "model": {"name": info.name, "sha256": info.sha256, "dimensions": info.dimensions},
            "chunking": asdict(config),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sources": [{"folder": s.origin, "base_url": s.base_url} for s in sources],
            "skipped": [asdict(s) for s in report.skipped],
        }
        built = store.write_version(index_dir, pages, passages, vectors, page_vocabulary(pages), manifest)
        try:
            report.version = store.publish(index_dir, built, keep)
        finally:
            shutil.rmtree(built, ignore_errors=True)
    report.pages, report.passages = len(pages), len(passages)
    report.sections = sum(len(p.sections) for p in pages)
    report.seconds = round(time.perf_counter() - started, 2)
    report.passages_per_second = round(len(passages) / report.seconds, 1) if report.seconds else 0.0
    report.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report.size_bytes = store.disk_size(store.version_dir(index_dir, report.version))
    return report
