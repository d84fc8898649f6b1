"""The on-disk format of one index version: index.sqlite, vectors.faiss, titles.npy, keyword postings,
manifest.json.

A version folder holds:
    index.sqlite     pages, sections, passages, vocabulary (word counts), keyword_terms
    vectors.faiss    normalised passage vectors, ids = passage ids, inner product: exact (flat) for a
                     small corpus, HNSW above HNSW_MIN_PASSAGES (manifest "vector_index")
    titles.npy       normalised page-title vectors, row i = page id i + 1 (titles.faiss before format 5)
    keyword_passages.npy, keyword_weights.npy
                     BM25 postings (search_index.keywords): for each term of keyword_terms, the passages
                     that hold it and its weight in each, in [start, end), best weight first
    best_bets.npy    vectors of the best bets' phrasings (search_index.best_bets), in the manifest's order
    e5_vectors.faiss, e5_titles.npy
                     the same passages and titles embedded by the second model, multilingual-e5-small
                     (format 6 on); the files above without a prefix are all-MiniLM-L6-v2's
    manifest.json    format, models, counts, build time, sources, skipped pages, synonyms, best bets,
                     off-topic calibration of each model

This module holds the format itself (file names, schema, the records read back, the low-level
readers of each file); `writer`, `verifier`, `reader` and `rebuild` are the only modules that open
these files, and `publishing` decides where versions live and which one is published.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

import faiss
import numpy as np

from search_index.errors import CuratedSearchError

FORMAT_VERSION = 6
# Older formats an update can still take vectors from: 2 has no title vectors, 2 and 3 call a page's
# site its "source" and have no original URLs, 2 to 4 search keywords with SQLite FTS5, 2 to 5 hold
# MiniLM's vectors only.
REUSABLE_FORMATS = (2, 3, 4, 5, 6)

SCHEMA = """
CREATE TABLE pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL, updated TEXT,
    site TEXT NOT NULL, origin TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    etag TEXT, last_modified TEXT, original_url TEXT, language TEXT NOT NULL DEFAULT 'en'
);
CREATE TABLE sections (
    id INTEGER PRIMARY KEY, page_id INTEGER NOT NULL REFERENCES pages(id), ord INTEGER NOT NULL,
    heading TEXT NOT NULL, anchor TEXT, link TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY, section_id INTEGER NOT NULL REFERENCES sections(id), ord INTEGER NOT NULL,
    heading_path TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX sections_page ON sections(page_id);
CREATE INDEX passages_section ON passages(section_id);
CREATE TABLE vocabulary (word TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE keyword_terms (term TEXT PRIMARY KEY, start INTEGER NOT NULL, end INTEGER NOT NULL) WITHOUT ROWID;
"""


POSTINGS = ("keyword_passages.npy", "keyword_weights.npy")

# Exact search reads every vector for every question: on one core about 0.12 ms per 1,000 passages
# (6.5-6.9 ms for the 55,381 of the benchmark corpus). Above 20,000 passages an HNSW graph answers
# in 1-2 ms. M = 32 measured on the benchmark corpus (liveqa-dev and 300 MedQuAD questions against
# exact search): efSearch 128 / 256 / 512 gave recall@50 0.988 / 0.995 / 0.997 at 0.5 / 1.0 / 1.9 ms
# a question; with 256 MedQuAD MRR@10 lost 0.0018 against exact search, with 512 0.0006. Built in
# 16-21 s on two cores.
HNSW_MIN_PASSAGES = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 512


class StoreError(CuratedSearchError):
    """A version that cannot be read or written as asked."""


@dataclass(frozen=True)
class Owner:
    """Where a passage belongs: its section and its page."""

    section_id: int
    page_id: int


@dataclass(frozen=True)
class PassageRecord:
    """A passage with its section and page, as the app shows it."""

    id: int
    text: str
    heading_path: tuple[str, ...]
    section_id: int
    section: str
    link: str
    page_id: int
    url: str
    title: str
    updated: str | None
    site: str
    original_url: str | None = None
    start: int = 0  # where the passage starts in its section's text
    language: str = "en"  # the page's


def set_search_threads(threads: int) -> None:
    """Threads FAISS uses for one search (one per process is fastest when processes share the cores)."""
    faiss.omp_set_num_threads(max(1, threads))



# The manifest's off-topic calibration scores of each model (indexer.calibration), by model key.
CALIBRATION_KEYS = {"minilm": "off_topic_scores", "e5": "e5_off_topic_scores"}


@dataclass(frozen=True)
class Manifest:
    """What a version's manifest.json records, as the indexer writes it and everything else reads it.
    Keys an older format did not write take these defaults; keys this one does not know are ignored."""

    format: int
    version: str
    model: dict  # MiniLM's name, sha256, dimensions: what the version's questions are encoded with
    counts: dict[str, int]  # pages, sections, passages
    models: dict[str, dict] = field(default_factory=dict)  # each model's, by key (format 6)
    chunking: dict | None = None
    built_at: str = ""
    sources: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # pages the build skipped: path, reason
    off_topic_scores: list[float] = field(default_factory=list)
    e5_off_topic_scores: list[float] = field(default_factory=list)
    synonyms: list[list[str]] = field(default_factory=list)
    best_bets: dict | None = None
    helpline: str = ""
    share_copies: list[str] = field(default_factory=list)  # hosts whose originals are not shared
    furniture: list[str] = field(default_factory=list)  # openings of sentences left out of every page
    parse_rules: int = 0  # indexer.parsing.PARSE_RULES of the build
    ranking: dict = field(default_factory=dict)  # the site's weighting by language (sources.toml [ranking])
    phrases: list = field(default_factory=list)  # the corpus's most used phrases, for suggestions
    changes: dict[str, int] = field(default_factory=dict)  # pages added, changed, removed
    vector_index: dict = field(default_factory=dict)
    file_sizes: dict[str, int] = field(default_factory=dict)
    file_sha256: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        known = {f.name for f in fields(cls)}
        missing = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
                   and f.name not in data]
        if missing:
            raise StoreError(f"the manifest has no {', '.join(missing)}")
        return cls(**{key: value for key, value in data.items() if key in known})

    def to_json(self) -> dict:
        return asdict(self)

    def calibration(self, model: str) -> list[float]:
        """How close everyday off-topic questions come to this version's passages, by `model`."""
        return getattr(self, CALIBRATION_KEYS[model])


def read_manifest(folder: Path) -> Manifest:
    """A version's manifest.json."""
    try:
        data = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"unreadable manifest in {folder}: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(f"unreadable manifest in {folder}: not a JSON object")
    try:
        return Manifest.from_json(data)
    except (StoreError, TypeError) as exc:
        raise StoreError(f"unreadable manifest in {folder}: {exc}") from None


def check_file_sizes(folder: Path, manifest: Manifest) -> None:
    """Every file has the size the manifest recorded when the version was written: a truncated or
    grown file is refused before anything maps it (a truncated vector file crashes the reader that maps
    it). Versions written before sizes were recorded are not checked here."""
    for name, size in manifest.file_sizes.items():
        try:
            found = (Path(folder) / name).stat().st_size
        except OSError as exc:
            raise StoreError(f"{folder}: {name} is missing: {exc.strerror or exc}") from None
        if found != size:
            raise StoreError(f"{folder}: {name} has {found} bytes, the manifest recorded {size}: the version was "
                             "changed after it was written")


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_file_digests(folder: Path, manifest: Manifest) -> None:
    """Every file has the sha256 the manifest recorded when the version was written: a file damaged in
    place (same size, other bytes) is refused. Versions written before digests were recorded are not
    checked here."""
    for name, digest in manifest.file_sha256.items():
        try:
            found = file_sha256(Path(folder) / name)
        except OSError as exc:
            raise StoreError(f"{folder}: {name} cannot be read: {exc.strerror or exc}") from None
        if found != digest:
            raise StoreError(f"{folder}: {name} is not the file the manifest recorded (sha256 differs): the "
                             "version was damaged after it was written")


def connect_readonly(folder: Path, immutable: bool = False, threads: bool = False) -> sqlite3.Connection:
    """A read-only connection to a version's database (`immutable`: for published versions, whose files
    never change; `threads`: usable from any thread, one at a time)."""
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    return sqlite3.connect(f"file:{Path(folder) / 'index.sqlite'}?{flags}", uri=True, check_same_thread=not threads)


def vector_index_for(passages: int) -> dict:
    """The kind of vector index for this many passages, and why."""
    if passages <= HNSW_MIN_PASSAGES:
        return {"type": "flat", "reason": f"{passages} passages: exact search is fast enough "
                                          f"(at most {HNSW_MIN_PASSAGES})"}
    return {"type": "hnsw", "m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH,
            "reason": f"{passages} passages: exact search reads every vector (over {HNSW_MIN_PASSAGES})"}



Rows = Callable[[str, Sequence], list]


def resolve(rows: Rows, target: str) -> tuple[int, int | None] | None:
    """(page id, section id) of a section's link, (page id, None) of a page's address or original URL."""
    if "#" in target:
        found = rows("SELECT page_id, id FROM sections WHERE link = ?", (target,))
        return (found[0][0], found[0][1]) if found else None
    found = rows("SELECT id FROM pages WHERE url = ? OR original_url = ? ORDER BY id LIMIT 1", (target, target))
    return (found[0][0], None) if found else None


def read_bet_vectors(folder: Path, dimensions: int) -> np.ndarray:
    try:
        if (folder / "best_bets.npy").is_file():
            return np.load(folder / "best_bets.npy")
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: unreadable best bet vectors: {exc}") from None
    return np.zeros((0, dimensions), dtype=np.float32)



def vectors_file(model_key: str) -> str:
    """The passage vectors' file of a model (by its key in search_index.models)."""
    return "vectors.faiss" if model_key == "minilm" else f"{model_key}_vectors.faiss"


def titles_file(model_key: str) -> str:
    return "titles.npy" if model_key == "minilm" else f"{model_key}_titles.npy"


def read_titles(folder: Path, dimensions: int, model_key: str = "minilm") -> np.ndarray:
    """Title vectors as rows, row i for page id i + 1 (memory-mapped; none in a format-2 version)."""
    try:
        if (folder / titles_file(model_key)).is_file():
            return np.load(folder / titles_file(model_key), mmap_mode="r")
        if (folder / "titles.faiss").is_file():
            titles = faiss.read_index(str(folder / "titles.faiss"))
            return titles.index.reconstruct_n(0, titles.ntotal) if titles.ntotal else np.zeros((0, dimensions))
    except (OSError, ValueError, RuntimeError) as exc:
        raise StoreError(f"{folder}: unreadable title vectors: {exc}") from None
    return np.zeros((0, dimensions), dtype=np.float32)


def read_vectors(path: Path) -> faiss.Index:
    """The vector index, memory-mapped: workers on one machine share one copy in the page cache."""
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError as exc:
        raise StoreError(f"{path.parent}: unreadable vectors: {str(exc).splitlines()[0]}") from None


def prefetch(folder: Path) -> None:
    """Ask the kernel to read a version's files into the page cache now, so that the first searches
    of a fresh worker or replica do not wait for the disk page by page."""
    for path in Path(folder).iterdir():
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


def disk_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


