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
from search_index import embedding, embedding_cache, keywords, publishing
from search_index.best_bets import Curation, load_best_bets
from search_index.documents import Page, PageNote, Passage, StoredPage
from search_index.embedding_cache import EmbeddingCache
from search_index.format import FORMAT_VERSION, REUSABLE_FORMATS, StoreError, disk_size, vector_index_for
from search_index.rebuild import RebuildReader
from search_index.synonyms import load_synonyms
from search_index.writer import write_version

DEFAULT_EMBEDDING_CACHE = embedding.MODEL_CACHE / embedding_cache.FILE_NAME


@dataclass
class ModelReport:
    """One model's share of a build: distinct texts it embedded, texts whose vectors it reused (from
    the previous version or the machine's embedding cache; of those, distinct ones from the cache), and
    how fast it embedded."""

    embedded: int = 0
    reused: int = 0
    cached: int = 0
    seconds: float = 0.0
    texts_per_second: float = 0.0


@dataclass
class BuildReport:
    version: str = ""
    pages: int = 0
    sections: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    models: dict[str, ModelReport] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[PageNote] = field(default_factory=list)
    notes: list[PageNote] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)
    published: bool = True
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
            report.failed_sources.append(source.origin)
            for path, page in known.items():
                listed.add((source.origin, path))
                found.append(Claim(page, page.url, _shown(source.origin, path)))
    for origin in undeclared(config, previous):
        kept = {path: held.page for (where, path), held in old.items() if where == origin}
        if len(kept) < previous.per_origin[origin]:
            raise CrawlError(f"{origin} held {previous.per_origin[origin]} pages of the published version and is "
                             "no longer a source; nothing was published (run update to keep its pages, or "
                             "--allow-shrink to remove them)")
        report.skipped.append(PageNote(origin, f"no longer a source; kept its {len(kept)} indexed pages (if it was "
                                               "removed on purpose, update with --allow-shrink)"))
        report.failed_sources.append(origin)
        for path, page in kept.items():
            listed.add((origin, path))
            found.append(Claim(page, page.url, _shown(origin, path)))
    report.removed = sorted(_shown(origin, path) for origin, path in set(old) - listed)
    return settle_urls(found, report), report.skipped


def undeclared(config: SourcesConfig, previous: Previous | None) -> list[str]:
    """Origins that gave pages to the published version but are no longer sources (a source dropped
    from the sources file, or misspelt in it): a fault, not an instruction to delete, unless allowed."""
    if previous is None or config.allow_shrink:
        return []
    declared = {source.origin for source in config.sources}
    return sorted(origin for origin, count in previous.per_origin.items()
                  if count and origin and origin not in declared)


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


def vectors_for(texts: list[str], model: embedding.Model, known: Mapping[str, np.ndarray], cache: EmbeddingCache,
                device: str, progress: bool | None) -> tuple[np.ndarray, ModelReport]:
    """One model's vectors of the texts (passages, page titles): `known` ones (from the previous
    version) and cached ones reused, the others embedded (and cached)."""
    started = time.perf_counter()
    info = embedding.model_info(model)
    fresh = [t for t in dict.fromkeys(texts) if t not in known]

    def compute(part: list[str]) -> np.ndarray:
        return embedding.embed(part, device=device, progress=progress, model=model)

    found, computed = cache.vectors(embedding.files_sha256(model), fresh, info.dimensions, compute,
                                    prefix=model.passage_prefix)
    rows = dict(zip(fresh, found, strict=True))
    vectors = np.empty((len(texts), info.dimensions), dtype=np.float32)
    for i, text in enumerate(texts):
        vectors[i] = rows[text] if text in rows else known[text]
    seconds = time.perf_counter() - started
    embedded = set(computed)
    return vectors, ModelReport(len(embedded), sum(t not in embedded for t in texts), len(fresh) - len(embedded),
                                round(seconds, 2), round(len(embedded) / seconds, 1) if embedded else 0.0)


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


def known_vectors(previous: Previous | None, texts: set[str], model: embedding.Model) -> dict[str, np.ndarray]:
    """The vectors the previous version holds for these texts by this model (none if it used other weights)."""
    if previous is None:
        return {}
    held = previous.reader.manifest.get("models", {}).get(model.key, previous.reader.manifest["model"])
    if not embedding.model_info(model).built(held):
        return {}
    found = previous.reader.embedded_vectors(texts, embed_text, model.key)
    if not found:
        return found
    good = embedding.unit_rows(np.stack(list(found.values())))
    return {text: vector for (text, vector), ok in zip(found.items(), good, strict=True) if ok}


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
    embedding_cache: Path | None = DEFAULT_EMBEDDING_CACHE,
) -> BuildReport:
    """Build, verify and publish a new version; the published one is untouched if anything fails.

    A text (passage or title) that the published version embedded with the same model keeps its
    vector, and so does any text in the machine's embedding cache (`embedding_cache`, None for none).
    Incremental: unchanged pages (same content hash) are not even parsed again, and pages no longer
    listed by their source are dropped.
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
        if incremental and previous and nothing_changed(previous.reader.manifest, report, len(pages), {
                "sources": [s.origin for s in config_sources.sources], "synonyms": [list(g) for g in synonyms],
                "best_bets": curation.to_json(), "helpline": config_sources.helpline}):
            report.version, report.published = previous.reader.version, False
            return finished(report, pages, passages, started, index_dir)
        texts = [embed_text(pages[p.page_index].title, p) for p in passages] + [page.title for page in pages]
        cache = EmbeddingCache(embedding_cache)
        try:
            vectors, wanted = {}, set(texts)
            for model in embedding.MODELS:
                known = known_vectors(previous, wanted, model)
                vectors[model.key], report.models[model.key] = vectors_for(texts, model, known, cache, device,
                                                                           progress)
        finally:
            cache.close()
        if cache.damaged:
            report.notes.append(PageNote(str(embedding_cache), f"{cache.damaged} stored vectors were not finite "
                                                                "unit vectors: ignored and embedded again"))
        report.embedded = max(m.embedded for m in report.models.values())
        report.reused = min(m.reused for m in report.models.values())
        passage_vectors = {key: rows[: len(passages)] for key, rows in vectors.items()}
        manifest = {
            "model": info.to_json(),
            "models": {model.key: embedding.model_info(model).to_json() for model in embedding.MODELS},
            "chunking": asdict(config),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sources": [s.origin for s in config_sources.sources],
            "skipped": [asdict(s) for s in report.skipped],
            "off_topic_scores": calibration.off_topic_scores(passage_vectors["minilm"], device),
            "e5_off_topic_scores": calibration.off_topic_scores(passage_vectors["e5"], device, embedding.E5),
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
            write_version(folder, version, pages, passages, passage_vectors,
                          {key: rows[len(passages):] for key, rows in vectors.items()}, vocabulary, postings,
                          manifest, same.folder if same else None, bet_vectors(curation, device))
            report.version = publishing.publish(index_dir, folder, keep)
    return finished(report, pages, passages, started, index_dir)


def nothing_changed(manifest: Mapping, report: BuildReport, pages: int, inputs: Mapping) -> bool:
    """Whether an update would publish what the published version already holds: the same pages, all
    unchanged, the same failures, and the same sources, synonyms, best bets and helpline."""
    return (manifest["format"] == FORMAT_VERSION and not (report.added or report.changed or report.removed)
            and report.unchanged == pages == manifest["counts"]["pages"]
            and manifest.get("skipped") == [asdict(s) for s in report.skipped]
            and all(manifest.get(key) == value for key, value in inputs.items()))


def finished(report: BuildReport, pages: list[Page], passages: list[Passage], started: float,
             index_dir: Path) -> BuildReport:
    """The report's counts and costs, once the build has published its version (or found nothing to publish)."""
    report.pages, report.passages = len(pages), len(passages)
    report.sections = sum(len(p.sections) for p in pages)
    report.seconds = round(time.perf_counter() - started, 2)
    report.passages_per_second = round(len(passages) / report.seconds, 1) if report.seconds else 0.0
    report.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report.size_bytes = disk_size(publishing.version_dir(index_dir, report.version))
    spec = vector_index_for(len(passages))
    report.vector_index = f"{spec['type']}: {spec['reason']}"
    return report
