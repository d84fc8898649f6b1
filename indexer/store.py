"""The on-disk format of one index version: index.sqlite, vectors.faiss, titles.npy, keyword postings,
manifest.json.

A version folder holds:
    index.sqlite     pages, sections, passages, vocabulary (word counts), keyword_terms
    vectors.faiss    normalised passage vectors, ids = passage ids, inner product: exact (flat) for a
                     small corpus, HNSW above HNSW_MIN_PASSAGES (manifest "vector_index")
    titles.npy       normalised page-title vectors, row i = page id i + 1 (titles.faiss before format 5)
    keyword_passages.npy, keyword_weights.npy
                     BM25 postings (indexer.keywords): for each term of keyword_terms, the passages
                     that hold it and its weight in each, in [start, end), best weight first
    best_bets.npy    vectors of the best bets' phrasings (indexer.best_bets), in the manifest's order
    manifest.json    format, model, counts, build time, sources, skipped pages, synonyms, best bets

This module is the only one that reads or writes these files; `indexer.publishing` decides where
versions live and which one is published.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from indexer import keywords
from indexer.best_bets import Curation
from indexer.documents import Page, Passage, Section, StoredPage

FORMAT_VERSION = 5
# Older formats an update can still take vectors from: 2 has no title vectors, 2 and 3 call a page's
# site its "source" and have no original URLs, 2 to 4 search keywords with SQLite FTS5.
REUSABLE_FORMATS = (2, 3, 4, 5)

SCHEMA = """
CREATE TABLE pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL, updated TEXT,
    site TEXT NOT NULL, origin TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    etag TEXT, last_modified TEXT, original_url TEXT
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


class StoreError(RuntimeError):
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


def set_search_threads(threads: int) -> None:
    """Threads FAISS uses for one search (one per process is fastest when processes share the cores)."""
    faiss.omp_set_num_threads(max(1, threads))


def write_version(
    folder: Path,
    version: str,
    pages: Sequence[Page],
    passages: Sequence[Passage],
    vectors: np.ndarray,
    title_vectors: np.ndarray,
    vocabulary: Mapping[str, int],
    postings: keywords.Postings,
    manifest: dict,
    same_passages_as: Path | None = None,
    bet_vectors: np.ndarray | None = None,
) -> None:
    """Write a complete version into an empty folder (publishing verifies it before use).

    `bet_vectors`: the vectors of the best bets' phrasings (manifest "best_bets").
    `same_passages_as`: a version with exactly these passages (and synonyms), whose vector index and
    keyword postings are linked instead of built again."""
    if len(passages) != len(vectors):
        raise StoreError(f"{len(passages)} passages but {len(vectors)} vectors")
    if len(pages) != len(title_vectors):
        raise StoreError(f"{len(pages)} pages but {len(title_vectors)} title vectors")
    _write_sqlite(folder / "index.sqlite", pages, passages, vocabulary, postings)
    dimensions = int(manifest["model"]["dimensions"])
    spec = vector_index_for(len(vectors))
    if same_passages_as is not None:
        for name in ("vectors.faiss", *POSTINGS):
            _link(same_passages_as / name, folder / name)
    else:
        np.save(folder / "keyword_passages.npy", postings.passage_ids)
        np.save(folder / "keyword_weights.npy", postings.weights)
        _write_vectors(folder / "vectors.faiss", vectors, dimensions, spec)
    np.save(folder / "titles.npy", np.ascontiguousarray(title_vectors, dtype=np.float32).reshape(-1, dimensions))
    if bet_vectors is not None and len(bet_vectors):
        np.save(folder / "best_bets.npy", np.ascontiguousarray(bet_vectors, dtype=np.float32).reshape(-1, dimensions))
    counts = {"pages": len(pages), "sections": sum(len(p.sections) for p in pages), "passages": len(passages)}
    full = {"format": FORMAT_VERSION, "version": version, **manifest, "counts": counts, "vector_index": spec}
    (folder / "manifest.json").write_text(json.dumps(full, indent=2, ensure_ascii=False), encoding="utf-8")


def _link(source: Path, target: Path) -> None:
    """The same immutable file under another version: a hard link, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def vector_index_for(passages: int) -> dict:
    """The kind of vector index for this many passages, and why."""
    if passages <= HNSW_MIN_PASSAGES:
        return {"type": "flat", "reason": f"{passages} passages: exact search is fast enough "
                                          f"(at most {HNSW_MIN_PASSAGES})"}
    return {"type": "hnsw", "m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH,
            "reason": f"{passages} passages: exact search reads every vector (over {HNSW_MIN_PASSAGES})"}


def _write_vectors(path: Path, vectors: np.ndarray, dimensions: int, spec: dict) -> None:
    if spec["type"] == "hnsw":
        graph = faiss.IndexHNSWFlat(dimensions, spec["m"], faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = spec["ef_construction"]
        index = faiss.IndexIDMap2(graph)
    else:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimensions))
    if len(vectors):
        ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    faiss.write_index(index, str(path))


def _write_sqlite(path: Path, pages: Sequence[Page], passages: Sequence[Passage],
                  vocabulary: Mapping[str, int], postings: keywords.Postings) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        section_ids: dict[tuple[int, int], int] = {}
        for page_id, page in enumerate(pages, start=1):
            db.execute(
                "INSERT INTO pages (id, url, title, updated, site, origin, path, content_hash, etag, last_modified, "
                "original_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (page_id, page.url, page.title, page.updated, page.site, page.origin, page.path, page.content_hash,
                 page.etag, page.last_modified, page.original_url),
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
                "INSERT INTO passages (id, section_id, ord, heading_path, start, end, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (passage_id, section_id, ord_, json.dumps(passage.heading_path), passage.start, passage.end,
                 passage.text),
            )
        db.executemany("INSERT INTO vocabulary (word, count) VALUES (?, ?)", sorted(vocabulary.items()))
        db.executemany("INSERT INTO keyword_terms (term, start, end) VALUES (?, ?, ?)",
                       ((term, start, end) for term, (start, end) in sorted(postings.spans.items())))
        db.commit()
    finally:
        db.close()


def verify_version(folder: Path, vectors: faiss.Index | None = None, titles: np.ndarray | None = None,
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
    index = vectors if vectors is not None else _read_vectors(folder / "vectors.faiss")
    if index.ntotal != found["passages"] or max_id != found["passages"]:
        raise StoreError(f"{folder}: {index.ntotal} vectors for {found['passages']} passages")
    if index.d != manifest["model"]["dimensions"]:
        raise StoreError(f"{folder}: vectors of dimension {index.d}, model has {manifest['model']['dimensions']}")
    if manifest["format"] >= 3:
        titles = titles if titles is not None else _read_titles(folder, index.d)
        if titles.shape != (found["pages"], index.d):
            raise StoreError(f"{folder}: {len(titles)} title vectors for {found['pages']} pages")
    if manifest["format"] >= 5:
        _verify_postings(folder, found["passages"])
    _verify_best_bets(folder, Curation.from_json(manifest.get("best_bets")), index.d)
    return manifest


def _verify_best_bets(folder: Path, curation: Curation, dimensions: int) -> None:
    """Every best bet shows pages or sections of this version that are not hidden, and has its vectors."""
    if not curation.bets:
        return
    db = sqlite3.connect(f"file:{folder / 'index.sqlite'}?mode=ro", uri=True)
    try:
        def rows(sql: str, parameters: Sequence) -> list:
            return db.execute(sql, parameters).fetchall()

        hidden = {found for found in (_resolve(rows, target) for target in curation.hide) if found}
        for bet in curation.bets:
            for target in bet.show:
                found = _resolve(rows, target)
                if found is None:
                    raise StoreError(f"best bet {bet.name!r} shows {target}, which is not a page or section "
                                     f"of this index: correct or remove it in the best bets file")
                if found in hidden or (found[0], None) in hidden:
                    raise StoreError(f"best bet {bet.name!r} shows {target}, which the best bets file hides")
    finally:
        db.close()
    vectors = _read_bet_vectors(folder, dimensions)
    if vectors.shape != (len(curation.phrasings), dimensions):
        raise StoreError(f"{folder}: {len(vectors)} best bet vectors for {len(curation.phrasings)} phrasings")


Rows = Callable[[str, Sequence], list]


def _resolve(rows: Rows, target: str) -> tuple[int, int | None] | None:
    """(page id, section id) of a section's link, (page id, None) of a page's address or original URL."""
    if "#" in target:
        found = rows("SELECT page_id, id FROM sections WHERE link = ?", (target,))
        return (found[0][0], found[0][1]) if found else None
    found = rows("SELECT id FROM pages WHERE url = ? OR original_url = ? ORDER BY id LIMIT 1", (target, target))
    return (found[0][0], None) if found else None


def _read_bet_vectors(folder: Path, dimensions: int) -> np.ndarray:
    try:
        if (folder / "best_bets.npy").is_file():
            return np.load(folder / "best_bets.npy")
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: unreadable best bet vectors: {exc}") from None
    return np.zeros((0, dimensions), dtype=np.float32)


def _verify_postings(folder: Path, passages: int) -> None:
    try:
        ids, weights = (np.load(folder / name, mmap_mode="r") for name in POSTINGS)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: unreadable keyword postings: {exc}") from None
    db = sqlite3.connect(f"file:{folder / 'index.sqlite'}?mode=ro", uri=True)
    try:
        end = db.execute("SELECT coalesce(max(end), 0) FROM keyword_terms").fetchone()[0]
    finally:
        db.close()
    if len(ids) != len(weights) or end != len(ids) or (len(ids) and not 1 <= int(ids.max()) <= passages):
        raise StoreError(f"{folder}: keyword postings do not match the passages")


def _read_titles(folder: Path, dimensions: int) -> np.ndarray:
    """Title vectors as rows, row i for page id i + 1 (memory-mapped; none in a format-2 version)."""
    try:
        if (folder / "titles.npy").is_file():
            return np.load(folder / "titles.npy", mmap_mode="r")
        if (folder / "titles.faiss").is_file():
            titles = faiss.read_index(str(folder / "titles.faiss"))
            return titles.index.reconstruct_n(0, titles.ntotal) if titles.ntotal else np.zeros((0, dimensions))
    except (OSError, ValueError, RuntimeError) as exc:
        raise StoreError(f"{folder}: unreadable title vectors: {exc}") from None
    return np.zeros((0, dimensions), dtype=np.float32)


def _read_vectors(path: Path) -> faiss.Index:
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


class IndexReader:
    """Read-only access to one version folder: vectors, keyword index and passage records."""

    def __init__(self, folder: Path, formats: tuple[int, ...] = (FORMAT_VERSION,)) -> None:
        self.folder = Path(folder)
        prefetch(self.folder)
        self.vectors = _read_vectors(self.folder / "vectors.faiss")
        self.titles = _read_titles(self.folder, self.vectors.d)
        self.manifest = verify_version(self.folder, self.vectors, self.titles, formats)
        self.version: str = self.manifest["version"]
        spec = self.manifest.get("vector_index", {})
        if spec.get("type") == "hnsw":
            faiss.downcast_index(self.vectors.index).hnsw.efSearch = spec["ef_search"]
        if self.manifest["format"] >= 5:
            self.postings = tuple(np.load(self.folder / name, mmap_mode="r") for name in POSTINGS)
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        columns = {row["name"] for row in self._rows("PRAGMA table_info(pages)")}
        self._site_column = "site" if "site" in columns else "source"

    def _rows(self, sql: str, parameters: Sequence = ()) -> list[sqlite3.Row]:
        """All rows of a query, on a read-only connection borrowed from a pool (the files of a version
        never change, so any thread or greenlet may use any connection, one at a time)."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = sqlite3.connect(f"file:{self.folder / 'index.sqlite'}?mode=ro&immutable=1", uri=True,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, parameters).fetchall()
        finally:
            self._pool.put(conn)

    def dense(self, query_vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """For each query vector, passage ids and cosine similarities of its k nearest passages."""
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32).reshape(-1, self.vectors.d)
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return [[] for _ in queries]
        scores, ids = self.vectors.search(queries, k)
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
                for row_ids, row_scores in zip(ids, scores, strict=True)]

    @cached_property
    def _owners(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Section and page of every passage, and the site of every page, as arrays by id."""
        rows = self._rows("SELECT ps.id, ps.section_id, s.page_id FROM passages ps "
                          "JOIN sections s ON s.id = ps.section_id")
        size = len(rows) + 1
        section_of, page_of = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        for row in rows:
            section_of[row[0]], page_of[row[0]] = row[1], row[2]
        names = sorted(self.sites())
        pages = self._rows(f"SELECT id, {self._site_column} AS site FROM pages")
        site_of = np.full(len(pages) + 1, -1, dtype=np.int64)
        for row in pages:
            site_of[row["id"]] = names.index(row["site"])
        return section_of, page_of, site_of, names

    def owners(self, passage_ids: Sequence[int], site: str | None = None) -> dict[int, Owner]:
        """The section and page of each passage (only passages of `site`, when one is given)."""
        section_of, page_of, site_of, names = self._owners
        ids = np.asarray(passage_ids, dtype=np.int64)
        if site is not None:
            ids = ids[site_of[page_of[ids]] == (names.index(site) if site in names else -2)]
        return {int(i): Owner(int(s), int(p)) for i, s, p in zip(ids, section_of[ids], page_of[ids], strict=True)}

    def title_vectors(self, page_ids: Sequence[int]) -> np.ndarray:
        """The title vectors of these pages, one row each (no rows in a version without title vectors)."""
        if not len(self.titles):
            return np.zeros((0, self.titles.shape[1]), dtype=np.float32)
        return self.titles[np.asarray(page_ids, dtype=np.int64) - 1]

    def keyword(self, terms: Sequence[str], k: int, every: bool = False) -> list[tuple[int, float]]:
        """Passage ids and BM25 scores of the k best passages holding any of the terms (or, with
        `every`, all of them); terms as indexer.keywords makes them."""
        wanted = list(dict.fromkeys(terms))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        spans = {row["term"]: (row["start"], row["end"]) for row in self._rows(
            f"SELECT term, start, end FROM keyword_terms WHERE term IN ({marks})", wanted)}
        return keywords.search(spans, *self.postings, list(terms), k, every)

    def passages(self, ids: Sequence[int]) -> dict[int, PassageRecord]:
        """The records of these passage ids (read in one query)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            "SELECT ps.id, ps.text, ps.heading_path, s.id AS section_id, s.heading, s.link, p.id AS page_id, "
            f"p.url, p.title, p.updated, p.{self._site_column} AS site, p.original_url "
            "FROM passages ps JOIN sections s ON s.id = ps.section_id JOIN pages p ON p.id = s.page_id "
            f"WHERE ps.id IN ({marks})",
            list(ids),
        )
        return {
            row["id"]: PassageRecord(
                row["id"], row["text"], tuple(json.loads(row["heading_path"])), row["section_id"], row["heading"],
                row["link"], row["page_id"], row["url"], row["title"], row["updated"], row["site"],
                row["original_url"])
            for row in rows
        }

    def stored_pages(self) -> list[StoredPage]:
        """Every page with its sections and passages, as the indexer made them (sub-heading offsets aside)."""
        pages = {row["id"]: row for row in self._rows(f"SELECT *, {self._site_column} AS site_name FROM pages")}
        sections: dict[int, list[Section]] = {page_id: [] for page_id in pages}
        for row in self._rows("SELECT page_id, heading, anchor, link, text FROM sections ORDER BY page_id, ord"):
            sections[row["page_id"]].append(Section(row["heading"], row["anchor"], row["link"], row["text"]))
        passages: dict[int, list[Passage]] = {page_id: [] for page_id in pages}
        for _, page_id, passage in self._passages():
            passages[page_id].append(passage)
        return [
            StoredPage(Page(row["url"], row["title"], row["updated"], row["site_name"], row["path"],
                            row["content_hash"], tuple(sections[page_id]), row["origin"], row["etag"],
                            row["last_modified"], row["original_url"] if "original_url" in row.keys() else None),
                       tuple(passages[page_id]))
            for page_id, row in pages.items()
        ]

    def _passages(self) -> Iterator[tuple[int, int, Passage]]:
        """(passage id, page id, passage) for every passage, in id order."""
        for row in self._rows(
            "SELECT ps.id, s.page_id, s.ord AS section_ord, ps.heading_path, ps.start, ps.end, ps.text "
            "FROM passages ps JOIN sections s ON s.id = ps.section_id ORDER BY ps.id"
        ):
            yield row["id"], row["page_id"], Passage(0, row["section_ord"], tuple(json.loads(row["heading_path"])),
                                                     row["start"], row["end"], row["text"])

    def embedded_texts(self, embedded_text: Callable[[str, Passage], str]) -> list[str]:
        """The text embedded for each passage, in id order."""
        titles = {row["id"]: row["title"] for row in self._rows("SELECT id, title FROM pages")}
        return [embedded_text(titles[page_id], passage) for _, page_id, passage in self._passages()]

    def postings_copy(self) -> keywords.Postings:
        """This version's keyword postings, to give a version with the same passages."""
        rows = self._rows("SELECT term, start, end FROM keyword_terms")
        spans = {row["term"]: (row["start"], row["end"]) for row in rows}
        return keywords.Postings(spans, *self.postings)

    def embedded_vectors(self, texts: Collection[str],
                         embedded_text: Callable[[str, Passage], str]) -> dict[str, np.ndarray]:
        """The vectors this version holds for any of `texts`: page titles by their text, passages by
        the text that was embedded for them (`embedded_text(page title, passage)`)."""
        titles = {row["id"]: row["title"] for row in self._rows("SELECT id, title FROM pages")}
        found: dict[str, np.ndarray] = {}
        if len(self.titles):
            found.update((title, self.titles[page_id - 1]) for page_id, title in titles.items() if title in texts)
        wanted: dict[str, int] = {}
        for passage_id, page_id, passage in self._passages():
            text = embedded_text(titles[page_id], passage)
            if text in texts:
                wanted[text] = passage_id
        if wanted:
            vectors = self.vectors.index.reconstruct_n(0, self.vectors.ntotal)
            found.update((text, vectors[passage_id - 1]) for text, passage_id in wanted.items())
        return found

    def curation(self) -> Curation:
        """The editors' best bets and hidden pages stored with this version."""
        return Curation.from_json(self.manifest.get("best_bets"))

    def bet_vectors(self) -> np.ndarray:
        """One row per best bet phrasing, in `curation().phrasings` order."""
        return _read_bet_vectors(self.folder, self.vectors.d)

    def resolve(self, target: str) -> tuple[int, int | None] | None:
        """(page id, section id or None for a whole page) of a page or section address; None if unknown."""
        return _resolve(self._rows, target)

    def section_passages(self, section_ids: Sequence[int]) -> dict[int, PassageRecord]:
        """The first passage of each of these sections, by section id."""
        if not section_ids:
            return {}
        marks = ",".join("?" * len(section_ids))
        rows = self._rows(f"SELECT section_id, min(id) AS id FROM passages WHERE section_id IN ({marks}) "
                          "GROUP BY section_id", list(section_ids))
        records = self.passages([row["id"] for row in rows])
        return {row["section_id"]: records[row["id"]] for row in rows}

    def target_passage(self, target: str, skip_sections: Collection[int] = ()) -> tuple[PassageRecord, bool] | None:
        """The passage that shows a page or section address, and whether the address names a whole page:
        a section's first passage, or the first passage of a page's first section not in
        `skip_sections`. None when the address is unknown or shows no text."""
        found = self.resolve(target)
        if found is None:
            return None
        page_id, section_id = found
        first = section_id or next((s for s in self.page_sections(page_id) if s not in skip_sections), None)
        record = self.section_passages([first]).get(first) if first else None
        return (record, section_id is None) if record else None

    def page_sections(self, page_id: int) -> list[int]:
        """The ids of a page's sections that hold passages, in page order."""
        rows = self._rows("SELECT s.id FROM sections s WHERE s.page_id = ? AND EXISTS "
                          "(SELECT 1 FROM passages ps WHERE ps.section_id = s.id) ORDER BY s.ord", (page_id,))
        return [row["id"] for row in rows]

    def headings(self) -> list[tuple[str, list[str]]]:
        """Each page's title and its sections' headings, in page order."""
        pages: dict[int, tuple[str, list[str]]] = {}
        for row in self._rows("SELECT p.id, p.title, s.heading FROM sections s JOIN pages p ON p.id = s.page_id "
                              "ORDER BY p.id, s.ord"):
            pages.setdefault(row["id"], (row["title"], []))[1].append(row["heading"])
        return list(pages.values())

    def vocabulary(self) -> list[tuple[str, int]]:
        """The corpus's words and how often each occurs."""
        return [(row["word"], row["count"]) for row in self._rows("SELECT word, count FROM vocabulary")]

    def sites(self) -> dict[str, int]:
        """Pages per site."""
        column = self._site_column
        return {row["site"]: row["n"] for row in self._rows(
            f"SELECT {column} AS site, count(*) AS n FROM pages GROUP BY {column} ORDER BY {column}")}

    def passages_per_site(self) -> dict[str, int]:
        column = self._site_column
        return {row["site"]: row["n"] for row in self._rows(
            f"SELECT p.{column} AS site, count(*) AS n FROM passages ps JOIN sections s ON s.id = ps.section_id "
            f"JOIN pages p ON p.id = s.page_id GROUP BY p.{column} ORDER BY p.{column}")}


def disk_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def stats(reader: IndexReader) -> dict:
    """What a maintainer wants to know about a version."""
    manifest = reader.manifest
    passages = reader.passages_per_site()
    return {
        "version": reader.version,
        "built_at": manifest["built_at"],
        "model": manifest["model"]["name"],
        "counts": manifest["counts"],
        "sites": {name: {"pages": n, "passages": passages.get(name, 0)} for name, n in reader.sites().items()},
        "skipped": manifest.get("skipped", []),
        "size_bytes": disk_size(reader.folder),
    }
