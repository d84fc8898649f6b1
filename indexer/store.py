"""The on-disk index format: versioned folders of index.sqlite + vectors.faiss + manifest.json.

Layout of an index directory:
    current                      name of the published version (replaced atomically)
    versions/<version>/          one immutable, verified version
        index.sqlite             pages, sections, passages, passages_fts (FTS5), vocabulary (word counts)
        vectors.faiss            normalised passage vectors, ids = passage ids, inner product
        titles.faiss             normalised page-title vectors, ids = page ids
        manifest.json            format, model, counts, build time, sources, skipped pages
    .building-<version>/         a build in progress (never read by the app)
    .lock                        held by the process that is building

This module is the only one that reads or writes these files.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

from indexer.chunking import embed_prefix
from indexer.documents import Page, Passage, Section

FORMAT_VERSION = 3
REUSABLE_FORMATS = (2, 3)
CURRENT_FILE = "current"
VERSIONS_DIR = "versions"
KEEP_VERSIONS = 3

SCHEMA = """
CREATE TABLE pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL, updated TEXT,
    source TEXT NOT NULL, origin TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    etag TEXT, last_modified TEXT
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
CREATE VIRTUAL TABLE passages_fts USING fts5(title, heading, text, content='', tokenize='porter unicode61');
"""


class StoreError(RuntimeError):
    """An index directory that cannot be read or written as asked."""


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
    source: str


def set_search_threads(threads: int) -> None:
    """Threads FAISS uses for one search (one per process is fastest when processes share the cores)."""
    faiss.omp_set_num_threads(max(1, threads))


def new_version_name() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ") + "-" + secrets.token_hex(3)


def published_version(index_dir: Path) -> str | None:
    pointer = Path(index_dir) / CURRENT_FILE
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def version_dir(index_dir: Path, version: str) -> Path:
    return Path(index_dir) / VERSIONS_DIR / version


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index directory; stale half-built folders are cleared on entry."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another build is running in {index_dir}") from None
        for stale in index_dir.glob(".building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield


def write_version(
    index_dir: Path,
    pages: Sequence[Page],
    passages: Sequence[Passage],
    vectors: np.ndarray,
    title_vectors: np.ndarray,
    vocabulary: Mapping[str, int],
    manifest: dict,
) -> Path:
    """Write a complete version into a temporary folder and return it (publish verifies it)."""
    if len(passages) != len(vectors):
        raise StoreError(f"{len(passages)} passages but {len(vectors)} vectors")
    if len(pages) != len(title_vectors):
        raise StoreError(f"{len(pages)} pages but {len(title_vectors)} title vectors")
    version = new_version_name()
    tmp = Path(index_dir) / f".building-{version}"
    tmp.mkdir(parents=True)
    try:
        _write_sqlite(tmp / "index.sqlite", pages, passages, vocabulary)
        dimensions = int(manifest["model"]["dimensions"])
        _write_vectors(tmp / "vectors.faiss", vectors, dimensions)
        _write_vectors(tmp / "titles.faiss", title_vectors, dimensions)
        counts = {"pages": len(pages), "sections": sum(len(p.sections) for p in pages), "passages": len(passages)}
        full = {"format": FORMAT_VERSION, "version": version, **manifest, "counts": counts}
        (tmp / "manifest.json").write_text(json.dumps(full, indent=2, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _write_vectors(path: Path, vectors: np.ndarray, dimensions: int) -> None:
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimensions))
    if len(vectors):
        ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    faiss.write_index(index, str(path))


def _write_sqlite(path: Path, pages: Sequence[Page], passages: Sequence[Passage], vocabulary: Mapping[str, int]) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        section_ids: dict[tuple[int, int], int] = {}
        for page_id, page in enumerate(pages, start=1):
            db.execute(
                "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (page_id, page.url, page.title, page.updated, page.source, page.origin, page.path, page.content_hash,
                 page.etag, page.last_modified),
            )
            for ord_, section in enumerate(page.sections):
                cursor = db.execute(
                    "INSERT INTO sections (page_id, ord, heading, anchor, link, text) VALUES (?, ?, ?, ?, ?, ?)",
                    (page_id, ord_, section.heading, section.anchor, section.link, section.text),
                )
                section_ids[(page_id - 1, ord_)] = cursor.lastrowid
        ord_in_section: dict[int, int] = {}
        for passage_id, passage in enumerate(passages, start=1):
            section_id = section_ids[(passage.page_index, passage.section_index)]
            ord_ = ord_in_section.get(section_id, 0)
            ord_in_section[section_id] = ord_ + 1
            db.execute(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (passage_id, section_id, ord_, json.dumps(passage.heading_path), passage.start, passage.end, passage.text),
            )
            page = pages[passage.page_index]
            db.execute(
                "INSERT INTO passages_fts (rowid, title, heading, text) VALUES (?, ?, ?, ?)",
                (passage_id, page.title, " ".join(passage.heading_path), passage.text),
            )
        db.executemany("INSERT INTO vocabulary VALUES (?, ?)", sorted(vocabulary.items()))
        db.commit()
        db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()


def verify_version(folder: Path, vectors: faiss.Index | None = None, titles: faiss.Index | None = None,
                   formats: tuple[int, ...] = (FORMAT_VERSION,)) -> dict:
    """Check that a version folder is complete and self-consistent; return its manifest.

    `vectors`, `titles`: the folder's vectors when the caller has already loaded them. `formats`: the
    format versions accepted (an older one can still give its vectors to an incremental build).
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"unreadable manifest in {folder}: {exc}") from None
    if manifest.get("format") not in formats:
        raise StoreError(f"{folder} has index format {manifest.get('format')}, expected {FORMAT_VERSION}: "
                         f"rebuild it with `python -m indexer update` (passage vectors are reused)")
    db = sqlite3.connect(f"file:{folder / 'index.sqlite'}?mode=ro", uri=True)
    try:
        found = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("pages", "sections", "passages")}
        max_id = db.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0]
    finally:
        db.close()
    if found != manifest["counts"]:
        raise StoreError(f"{folder}: database holds {found}, manifest says {manifest['counts']}")
    index = vectors if vectors is not None else faiss.read_index(str(folder / "vectors.faiss"))
    if index.ntotal != found["passages"] or max_id != found["passages"]:
        raise StoreError(f"{folder}: {index.ntotal} vectors for {found['passages']} passages")
    if index.d != manifest["model"]["dimensions"]:
        raise StoreError(f"{folder}: vectors of dimension {index.d}, model has {manifest['model']['dimensions']}")
    if manifest["format"] >= 3:
        titles = titles if titles is not None else faiss.read_index(str(folder / "titles.faiss"))
        if titles.ntotal != found["pages"] or titles.d != index.d:
            raise StoreError(f"{folder}: {titles.ntotal} title vectors for {found['pages']} pages")
    return manifest


def publish(index_dir: Path, built: Path, keep: int = KEEP_VERSIONS) -> str:
    """Move a verified build into versions/, switch `current` to it atomically, prune beyond `keep`."""
    index_dir = Path(index_dir)
    manifest = verify_version(built)
    version = manifest["version"]
    target = version_dir(index_dir, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, target)
    _point_to(index_dir, version)
    prune(index_dir, keep)
    return version


def _point_to(index_dir: Path, version: str) -> None:
    """Switch `current` atomically: readers see the old name or the new one, never a partial file."""
    pointer_tmp = index_dir / f".{CURRENT_FILE}.{version}"
    pointer_tmp.write_text(version + "\n", encoding="utf-8")
    with open(pointer_tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / CURRENT_FILE)


def versions(index_dir: Path) -> list[str]:
    """Every complete version on disk, oldest first."""
    folder = Path(index_dir) / VERSIONS_DIR
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def rollback(index_dir: Path) -> str:
    """Republish the version built before the published one."""
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        current = published_version(index_dir)
        older = [v for v in versions(index_dir) if current is None or v < current]
        if not older:
            raise StoreError(f"no earlier version to roll back to in {index_dir}")
        verify_version(version_dir(index_dir, older[-1]))
        _point_to(index_dir, older[-1])
        return older[-1]


def prune(index_dir: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Remove the oldest versions beyond `keep`; never the published one or the one before it."""
    on_disk = versions(index_dir)
    current = published_version(index_dir)
    protected = {current}
    if current in on_disk and on_disk.index(current) > 0:
        protected.add(on_disk[on_disk.index(current) - 1])
    removable = [v for v in on_disk[: max(0, len(on_disk) - keep)] if v not in protected]
    for name in removable:
        shutil.rmtree(version_dir(index_dir, name), ignore_errors=True)
    return removable


def read_manifest(index_dir: Path, version: str | None = None) -> dict:
    version = version or published_version(index_dir)
    if not version:
        raise StoreError(f"no published index in {index_dir}: build one with `python -m indexer build`")
    return verify_version(version_dir(index_dir, version))


def _title_matrix(titles: faiss.Index | None, dimensions: int) -> np.ndarray:
    """Title vectors as rows, row i for page id i + 1 (none in a format-2 version)."""
    if titles is None or not titles.ntotal:
        return np.zeros((0, dimensions), dtype=np.float32)
    return titles.index.reconstruct_n(0, titles.ntotal)


class IndexReader:
    """Read-only access to one published version: vectors, keyword index and passage records."""

    def __init__(self, index_dir: Path, version: str | None = None,
                 formats: tuple[int, ...] = (FORMAT_VERSION,)) -> None:
        self.index_dir = Path(index_dir)
        self.version = version or published_version(self.index_dir)
        if not self.version:
            raise StoreError(f"no published index in {self.index_dir}: build one with `python -m indexer build`")
        self.folder = version_dir(self.index_dir, self.version)
        self.vectors = faiss.read_index(str(self.folder / "vectors.faiss"))
        titles_file = self.folder / "titles.faiss"
        titles = faiss.read_index(str(titles_file)) if titles_file.is_file() else None
        self.manifest = verify_version(self.folder, self.vectors, titles, formats)
        self.titles = _title_matrix(titles, self.vectors.d)
        self._local = threading.local()

    @property
    def db(self) -> sqlite3.Connection:
        """One read-only connection per thread (the files of a version never change)."""
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.folder / 'index.sqlite'}?mode=ro&immutable=1", uri=True)
            self._local.db = conn
        return conn

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Passage ids and cosine similarities of the k nearest passages."""
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return []
        scores, ids = self.vectors.search(np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def title_similarity(self, query_vectors: np.ndarray, page_ids: Sequence[int]) -> dict[int, float]:
        """Each page's best cosine between its title and any of the query vectors."""
        if not len(page_ids) or not len(self.titles):
            return {}
        rows = self.titles[np.asarray(page_ids, dtype=np.int64) - 1]
        best = (rows @ np.asarray(query_vectors, dtype=np.float32).reshape(-1, rows.shape[1]).T).max(axis=1)
        return dict(zip(page_ids, best.tolist()))

    def keyword(self, match: str, k: int) -> list[tuple[int, float]]:
        """Passage ids and BM25 scores (higher is better) for an FTS5 MATCH expression."""
        rows = self.db.execute(
            "SELECT rowid, -bm25(passages_fts, 2.0, 2.0, 1.0) AS score FROM passages_fts "
            "WHERE passages_fts MATCH ? ORDER BY score DESC LIMIT ?",
            (match, k),
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def passages(self, ids: Sequence[int]) -> dict[int, PassageRecord]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            "SELECT ps.id, ps.text, ps.heading_path, s.id, s.heading, s.link, p.id, p.url, p.title, p.updated, p.source "
            f"FROM passages ps JOIN sections s ON s.id = ps.section_id JOIN pages p ON p.id = s.page_id "
            f"WHERE ps.id IN ({marks})",
            list(ids),
        ).fetchall()
        return {
            r[0]: PassageRecord(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
            for r in rows
        }

    def all_vectors(self) -> np.ndarray:
        """Every vector, row i for passage id i + 1."""
        return self.vectors.index.reconstruct_n(0, self.vectors.ntotal)

    def title_rows(self) -> dict[str, int]:
        """Row in `titles` of each title text this version holds a vector for."""
        if not len(self.titles):
            return {}
        return {title: page_id - 1 for page_id, title in self.db.execute("SELECT id, title FROM pages")}

    def load_pages(self) -> list[tuple[Page, list[tuple[int, Passage]]]]:
        """Every page with its (passage id, passage) pairs, as the indexer made them (sub-heading offsets aside)."""
        pages: dict[int, Page] = {}
        for row in self.db.execute(
            "SELECT id, url, title, updated, source, path, content_hash, origin, etag, last_modified FROM pages"
        ):
            pages[row[0]] = Page(*row[1:7], sections=(), origin=row[7], etag=row[8], last_modified=row[9])
        sections: dict[int, list[Section]] = {pid: [] for pid in pages}
        for page_id, heading, anchor, link, text in self.db.execute(
            "SELECT page_id, heading, anchor, link, text FROM sections ORDER BY page_id, ord"
        ):
            sections[page_id].append(Section(heading, anchor, link, text))
        passages: dict[int, list[tuple[int, Passage]]] = {pid: [] for pid in pages}
        for passage_id, page_id, section_ord, path, start, end, text in self.db.execute(
            "SELECT ps.id, s.page_id, s.ord, ps.heading_path, ps.start, ps.end, ps.text FROM passages ps "
            "JOIN sections s ON s.id = ps.section_id ORDER BY ps.id"
        ):
            heading_path = tuple(json.loads(path))
            title = pages[page_id].title
            passages[page_id].append((passage_id, Passage(
                0, section_ord, heading_path, start, end, text, embed_prefix(title, heading_path) + text)))
        return [(replace(page, sections=tuple(sections[pid])), passages[pid]) for pid, page in pages.items()]

    def vocabulary(self) -> list[tuple[str, int]]:
        """The corpus's words and how often each occurs."""
        return self.db.execute("SELECT word, count FROM vocabulary").fetchall()

    def sources(self) -> dict[str, int]:
        """Pages per source."""
        return dict(self.db.execute("SELECT source, count(*) FROM pages GROUP BY source ORDER BY source").fetchall())

    def passages_per_source(self) -> dict[str, int]:
        return dict(self.db.execute(
            "SELECT p.source, count(*) FROM passages ps JOIN sections s ON s.id = ps.section_id "
            "JOIN pages p ON p.id = s.page_id GROUP BY p.source ORDER BY p.source").fetchall())


def disk_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def stats(index_dir: Path, reader: IndexReader | None = None) -> dict:
    """What a maintainer wants to know about the published version."""
    reader = reader or IndexReader(index_dir)
    manifest = reader.manifest
    passages = reader.passages_per_source()
    return {
        "version": reader.version,
        "built_at": manifest["built_at"],
        "model": manifest["model"]["name"],
        "counts": manifest["counts"],
        "sources": {name: {"pages": n, "passages": passages.get(name, 0)} for name, n in reader.sources().items()},
        "skipped": manifest.get("skipped", []),
        "size_bytes": disk_size(reader.folder),
    }

