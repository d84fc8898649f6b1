"""The full build: source folders -> pages -> passages -> vectors -> a published index version."""
from __future__ import annotations

import resource
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from indexer import embedding, store
from indexer.chunking import ChunkConfig, TokenCounter, chunk_page
from indexer.documents import Page, Passage, Skipped
from indexer.parsing import PageError, parse_page

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


@dataclass
class BuildReport:
    version: str = ""
    pages: int = 0
    sections: int = 0
    passages: int = 0
    embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    passages_per_second: float = 0.0
    peak_memory_mb: float = 0.0
    size_bytes: int = 0

    def to_json(self) -> dict:
        return asdict(self)


def source_label(source: Source, relative: Path) -> str:
    """Section of the site a page belongs to: its first sub-folder, else the source folder's name."""
    return relative.parts[0] if len(relative.parts) > 1 else source.name


def read_pages(sources: list[Source]) -> tuple[list[Page], list[Skipped]]:
    """Parse every page of every source; broken pages and duplicate URLs are reported, not fatal."""
    pages: list[Page] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for source in sources:
        if not source.folder.is_dir():
            raise FileNotFoundError(f"source folder not found: {source.folder}")
        files = sorted(p for p in source.folder.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file())
        for file in files:
            relative = file.relative_to(source.folder)
            shown = str(file)
            try:
                page = parse_page(file.read_bytes(), relative.as_posix(), source_label(source, relative), source.base_url)
            except (PageError, OSError, ValueError) as exc:
                skipped.append(Skipped(shown, str(exc)))
                continue
            if page.url in seen:
                skipped.append(Skipped(shown, f"same URL as {seen[page.url]}: {page.url}"))
                continue
            seen[page.url] = shown
            pages.append(page)
    return pages, skipped


def chunk_pages(pages: list[Page], config: ChunkConfig) -> list[Passage]:
    counter = TokenCounter(embedding.model_dir() / "tokenizer.json")
    return [p for i, page in enumerate(pages) for p in chunk_page(page, i, counter, config)]


def build(
    sources: list[Source],
    index_dir: Path,
    device: str | None = None,
    config: ChunkConfig = ChunkConfig(),
    progress: bool | None = None,
) -> BuildReport:
    """Build, verify and publish a new version; the published one is untouched if anything fails."""
    started = time.perf_counter()
    report = BuildReport()
    device = embedding.pick_device(device)
    with store.build_lock(index_dir):
        pages, report.skipped = read_pages(sources)
        passages = chunk_pages(pages, config)
        texts = [p.embed_text for p in passages]
        vectors = embedding.embed(texts, device=device, progress=progress)
        info = embedding.model_info(device)
        manifest = {
            "model": {"name": info.name, "sha256": info.sha256, "dimensions": info.dimensions},
            "chunking": asdict(config),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sources": [{"folder": str(s.folder), "base_url": s.base_url} for s in sources],
            "skipped": [asdict(s) for s in report.skipped],
        }
        built = store.write_version(index_dir, pages, passages, vectors, manifest)
        try:
            report.version = store.publish(index_dir, built)
        finally:
            shutil.rmtree(built, ignore_errors=True)
    report.pages, report.passages = len(pages), len(passages)
    report.sections = sum(len(p.sections) for p in pages)
    report.embedded = len(set(texts))
    report.seconds = round(time.perf_counter() - started, 2)
    report.passages_per_second = round(len(passages) / report.seconds, 1) if report.seconds else 0.0
    report.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report.size_bytes = store.disk_size(store.version_dir(index_dir, report.version))
    return report
