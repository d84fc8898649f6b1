"""Sources -> pages -> passages -> vectors -> a published index version, in full or incrementally."""
from __future__ import annotations

import logging
import resource
import time
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer import calibration, embedding, embedding_cache, parsing
from indexer.chunking import ChunkConfig, TokenCounter, chunk_page, embed_text
from indexer.collecting import Previous, read_pages
from indexer.embedding_cache import EmbeddingCache
from indexer.rebuild import RebuildReader
from indexer.report import BuildReport, ModelReport
from indexer.sources import Source, SourcesConfig
from indexer.vocabulary import common_phrases, page_vocabulary
from indexer.writer import write_version
from search_index import keywords, models, publishing
from search_index.best_bets import Curation, load_best_bets
from search_index.documents import Page, PageNote, Passage
from search_index.format import FORMAT_VERSION, REUSABLE_FORMATS, Manifest, StoreError, disk_size, vector_index_for
from search_index.synonyms import load_synonyms

DEFAULT_EMBEDDING_CACHE = models.MODEL_CACHE / embedding_cache.FILE_NAME
log = logging.getLogger(__name__)


def chunk_pages(pages: list[Page], config: ChunkConfig, previous: Previous | None = None) -> list[Passage]:
    """Passages of every page: unchanged pages keep theirs, others are chunked anew."""
    counter = TokenCounter(embedding.model_dir() / "tokenizer.json")
    old = previous.pages if previous and not previous.reread else {}
    passages: list[Passage] = []
    for index, page in enumerate(pages):
        held = old.get((page.origin, page.path))
        if held and held.page.content_hash == page.content_hash and held.page.url == page.url:
            passages.extend(replace(p, page_index=index) for p in held.passages)
        else:
            passages.extend(chunk_page(page, index, counter, config))
    return passages


def vectors_for(texts: list[str], model: models.Model, known: Mapping[str, np.ndarray], cache: EmbeddingCache,
                embedder: embedding.Embedder) -> tuple[np.ndarray, ModelReport]:
    """One model's vectors of the texts (passages, page titles): `known` ones (from the previous
    version) and cached ones reused, the others embedded (and cached). The report's seconds and rate
    count the embedding alone, not the model's conversion nor the reading of cached vectors."""
    info = embedder.info(model)
    fresh = [t for t in dict.fromkeys(texts) if t not in known]
    spent, done = [0.0], [0]

    def compute(part: list[str]) -> np.ndarray:
        began = time.perf_counter()
        try:
            return embedder.embed(part, model)
        finally:
            spent[0] += time.perf_counter() - began
            done[0] += len(part)
            log_progress(model, done[0], len(fresh), spent[0])

    found, computed = cache.vectors(embedder.cache_key(model), fresh, info.dimensions, compute,
                                    prefix=model.passage_prefix)
    rows = dict(zip(fresh, found, strict=True))
    vectors = np.empty((len(texts), info.dimensions), dtype=np.float32)
    for i, text in enumerate(texts):
        vectors[i] = rows[text] if text in rows else known[text]
    embedded, seconds = set(computed), spent[0]
    return vectors, ModelReport(len(embedded), sum(t not in embedded for t in texts), len(fresh) - len(embedded),
                                round(seconds, 2), round(len(embedded) / seconds, 1) if embedded and seconds else 0.0)


def log_progress(model: models.Model, done: int, wanted: int, seconds: float) -> None:
    """One line per batch embedded: how many of the texts not cached yet, and about how long is left."""
    left = (wanted - done) * seconds / done if done else 0.0
    log.info("%s: %d of at most %d texts embedded (%.0f/s), about %s left", model.name, done, wanted,
             done / seconds if seconds else 0.0, f"{left / 60:.0f} min" if left >= 90 else f"{left:.0f} s")


def previous_version(index_dir: Path, config: ChunkConfig, info: models.ModelInfo,
                     incremental: bool, furniture: list[str]) -> Previous | None:
    """The published version when it is readable and its model matches; on update its pages are reused,
    or only known (parsed and chunked again) where they were read or chunked by other rules."""
    try:
        reader = publishing.open_version(index_dir, formats=REUSABLE_FORMATS, reader=RebuildReader)
    except StoreError:
        return None
    if not info.built(reader.manifest.model):
        return None
    pages = {}
    if incremental:
        pages = {(held.page.origin, held.page.path): held for held in reader.stored_pages()}
    reread = (reader.manifest.chunking != asdict(config) or reader.manifest.furniture != furniture
              or reader.manifest.parse_rules != parsing.PARSE_RULES)
    return Previous(pages, reader, reader.pages_per_origin(), reread)


def known_vectors(previous: Previous | None, texts: set[str], model: models.Model,
                  embedder: embedding.Embedder) -> dict[str, np.ndarray]:
    """The vectors the previous version holds for these texts by this model (none if it used other weights)."""
    if previous is None:
        return {}
    held = previous.reader.manifest.models.get(model.key, previous.reader.manifest.model)
    if not embedder.info(model).built(held):
        return {}
    found = previous.reader.embedded_vectors(texts, embed_text, model.key)
    if not found:
        return found
    good = embedding.unit_rows(np.stack(list(found.values())))
    return {text: vector for (text, vector), ok in zip(found.items(), good, strict=True) if ok}


def bet_vectors(curation: Curation, embedder: embedding.Embedder) -> np.ndarray | None:
    """Vectors of the best bets' phrasings."""
    return embedder.embed(list(curation.phrasings), models.MINILM) if curation.phrasings else None


def holds_same_passages(reader: RebuildReader, passage_texts: list[str], synonyms: list) -> bool:
    """Whether a version holds exactly these passages, in this order, with these synonyms: then its
    vector index and keyword postings serve the new version as they are."""
    return (reader.manifest.format == FORMAT_VERSION and reader.manifest.synonyms == synonyms
            and reader.manifest.counts["passages"] == len(passage_texts)
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
    embedder: embedding.Embedder | None = None,
) -> BuildReport:
    """Build, verify and publish a new version; the published one is untouched if anything fails.

    A text (passage or title) that the published version embedded with the same model keeps its
    vector, and so does any text in the machine's embedding cache (`embedding_cache`, None for none).
    Incremental: unchanged pages (same content hash) are not even parsed again, and pages no longer
    listed by their source are dropped. `embedder`: the models on PyTorch unless another is given.
    """
    started = time.perf_counter()
    config_sources = sources if isinstance(sources, SourcesConfig) else SourcesConfig(list(sources))
    report = BuildReport()
    embedder = embedder or embedding.ModelEmbedder(embedding.pick_device(device), progress)
    synonyms = load_synonyms(config_sources.synonyms)
    curation = load_best_bets(config_sources.best_bets)
    with publishing.build_lock(index_dir):
        info = embedder.info(models.MINILM)
        previous = previous_version(index_dir, config, info, incremental, config_sources.furniture)
        log.info("reading the sources' pages")
        pages, _ = read_pages(config_sources, previous, report)
        passages = chunk_pages(pages, config, previous)
        log.info("%d pages, %d passages", len(pages), len(passages))
        if incremental and previous and nothing_changed(previous.reader.manifest, report, len(pages), {
                "sources": [s.origin for s in config_sources.sources], "synonyms": [list(g) for g in synonyms],
                "best_bets": curation.to_json(), "helpline": config_sources.helpline,
                "share_copies": config_sources.share_copies, "furniture": config_sources.furniture,
                "ranking": config_sources.ranking, "chunking": asdict(config), "parse_rules": parsing.PARSE_RULES}):
            report.version, report.published = previous.reader.version, False
            return finished(report, pages, passages, started, index_dir)
        texts = [embed_text(pages[p.page_index].title, p) for p in passages] + [page.title for page in pages]
        cache = EmbeddingCache(embedding_cache)
        try:
            vectors, wanted = {}, set(texts)
            for model in models.MODELS:
                log.info("%s: vectors of %d texts (those the published version or this machine's cache holds "
                         "are reused)", model.name, len(wanted))
                known = known_vectors(previous, wanted, model, embedder)
                vectors[model.key], report.models[model.key] = vectors_for(texts, model, known, cache, embedder)
        finally:
            cache.close()
        if cache.damaged:
            report.notes.append(PageNote(str(embedding_cache), f"{cache.damaged} stored vectors were not finite "
                                                                "unit vectors: ignored and embedded again"))
        report.embedded = max(m.embedded for m in report.models.values())
        report.reused = min(m.reused for m in report.models.values())
        passage_vectors = {key: rows[: len(passages)] for key, rows in vectors.items()}
        manifest = Manifest(
            format=FORMAT_VERSION, version="", model=info.to_json(), counts={},
            models={model.key: embedder.info(model).to_json() for model in models.MODELS},
            chunking=asdict(config), built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            sources=[s.origin for s in config_sources.sources], skipped=[asdict(s) for s in report.skipped],
            off_topic_scores=calibration.off_topic_scores(passage_vectors["minilm"], embedder),
            e5_off_topic_scores=calibration.off_topic_scores(passage_vectors["e5"], embedder, models.E5),
            synonyms=[list(group) for group in synonyms], best_bets=curation.to_json(),
            helpline=config_sources.helpline, share_copies=config_sources.share_copies,
            furniture=config_sources.furniture, parse_rules=parsing.PARSE_RULES, ranking=config_sources.ranking,
            phrases=common_phrases(p.text for p in passages),
            changes={"added": len(report.added), "changed": len(report.changed), "removed": len(report.removed)})
        log.info("writing the index")
        vocabulary = page_vocabulary(pages)
        vocabulary.update({word: 2 for term in keywords.phrases(synonyms) for word in term.split()})
        same = previous.reader if previous and holds_same_passages(previous.reader, texts[: len(passages)],
                                                                   manifest.synonyms) else None
        if same:
            postings = same.postings_copy()
        else:
            postings = keywords.build_for([page.title for page in pages], passages, synonyms)
        with publishing.build_folder(index_dir) as (version, folder):
            write_version(folder, version, pages, passages, passage_vectors,
                          {key: rows[len(passages):] for key, rows in vectors.items()}, vocabulary, postings,
                          manifest, same.folder if same else None, bet_vectors(curation, embedder))
            report.version = publishing.publish(index_dir, folder, keep)
    return finished(report, pages, passages, started, index_dir)


def nothing_changed(manifest: Manifest, report: BuildReport, pages: int, inputs: Mapping) -> bool:
    """Whether an update would publish what the published version already holds: the same pages, all
    unchanged, the same failures, and the same sources, synonyms, best bets, helpline, shared copies,
    furniture, ranking levers, chunking and parsing rules."""
    return (manifest.format == FORMAT_VERSION and not (report.added or report.changed or report.removed)
            and report.unchanged == pages == manifest.counts["pages"]
            and manifest.skipped == [asdict(s) for s in report.skipped]
            and all(getattr(manifest, key) == value for key, value in inputs.items()))


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
