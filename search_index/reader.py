"""Reading a published version for search: vectors, keyword postings, passage records (memory-mapped,
shared by every worker of a machine)."""
from __future__ import annotations

import json
import queue
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from search_index import keywords
from search_index.best_bets import Curation
from search_index.format import (
    FORMAT_VERSION,
    POSTINGS,
    Owner,
    PassageRecord,
    check_file_sizes,
    connect_readonly,
    disk_size,
    prefetch,
    read_bet_vectors,
    read_manifest,
    read_titles,
    read_vectors,
    resolve,
    vectors_file,
)
from search_index.verifier import verify_version

# Values bound in one SQL statement: far below SQLite's own limit (32,766), whatever a question expands to.
SQL_VARIABLES = 500


@dataclass(frozen=True)
class PageInfo:
    """A page's id, title, site, review date and public original, as indexed."""

    page_id: int
    title: str
    site: str
    updated: str | None
    original_url: str | None


class IndexReader:
    """Read-only access to one version folder: vectors, keyword index and passage records."""

    def __init__(self, folder: Path, formats: tuple[int, ...] = (FORMAT_VERSION,)) -> None:
        self.folder = Path(folder)
        check_file_sizes(self.folder, read_manifest(self.folder))
        prefetch(self.folder)
        self.vectors = read_vectors(self.folder / "vectors.faiss")
        self.titles = read_titles(self.folder, self.vectors.d)
        self.manifest = verify_version(self.folder, self.vectors, self.titles, formats)
        self.version: str = self.manifest.version
        spec = self.manifest.vector_index
        if self.manifest.format >= 5:
            self.postings = tuple(np.load(self.folder / name, mmap_mode="r") for name in POSTINGS)
        # Each model's passage vectors and title vectors, by model key (MiniLM's only before format 6).
        self.model_vectors = {"minilm": self.vectors}
        self.model_titles = {"minilm": self.titles}
        for key in self.manifest.models:
            if key != "minilm":
                self.model_vectors[key] = read_vectors(self.folder / vectors_file(key))
                self.model_titles[key] = read_titles(self.folder, self.vectors.d, key)
        for index in self.model_vectors.values():
            if spec.get("type") == "hnsw":
                faiss.downcast_index(index.index).hnsw.efSearch = spec["ef_search"]
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        columns = {row["name"] for row in self._rows("PRAGMA table_info(pages)")}
        self._site_column = "site" if "site" in columns else "source"
        self._language = "p.language" if "language" in columns else "'en' AS language"

    def _rows(self, sql: str, parameters: Sequence = ()) -> list[sqlite3.Row]:
        """All rows of a query, on a read-only connection borrowed from a pool (the files of a version
        never change, so any thread or greenlet may use any connection, one at a time)."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = connect_readonly(self.folder, immutable=True, threads=True)
            conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, parameters).fetchall()
        finally:
            self._pool.put(conn)

    def dense(self, query_vectors: np.ndarray, k: int, model: str = "minilm") -> list[list[tuple[int, float]]]:
        """For each query vector, passage ids and cosine similarities of its k nearest passages by `model`."""
        index = self.model_vectors[model]
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32).reshape(-1, index.d)
        k = min(k, index.ntotal)
        if k <= 0:
            return [[] for _ in queries]
        scores, ids = index.search(queries, k)
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

    @cached_property
    def _page_languages(self) -> dict[int, str]:
        return {row["id"]: row["language"] for row in self._rows(f"SELECT p.id, {self._language} FROM pages p")}

    def page_languages(self, page_ids: Sequence[int]) -> list[str]:
        """The language of each of these pages ("en" or "es")."""
        return [self._page_languages.get(page_id, "en") for page_id in page_ids]

    def title_vectors(self, page_ids: Sequence[int], model: str = "minilm") -> np.ndarray:
        """The title vectors of these pages by `model`, one row each (none in a version without them)."""
        titles = self.model_titles[model]
        if not len(titles):
            return np.zeros((0, titles.shape[1]), dtype=np.float32)
        return titles[np.asarray(page_ids, dtype=np.int64) - 1]

    def cosines(self, passage_ids: Sequence[int], query_vector: np.ndarray, model: str) -> np.ndarray:
        """The exact cosine of the question and each of these passages, by `model`."""
        if not len(passage_ids):
            return np.zeros(0, dtype=np.float32)
        rows = self.model_vectors[model].reconstruct_batch(np.asarray(passage_ids, dtype=np.int64))
        return rows @ np.asarray(query_vector, dtype=np.float32)

    @cached_property
    def _by_section(self) -> tuple[np.ndarray, np.ndarray]:
        """Passage ids ordered by their section, and each passage's section in that order."""
        section_of = self._owners[0]
        ids = np.argsort(section_of, kind="stable")[1:]  # id 0 is no passage
        return ids, section_of[ids]

    def section_vectors(self, section_ids: Sequence[int], model: str) -> np.ndarray:
        """Each section's passages' vectors by `model`, averaged and made unit length: the section as a
        whole, one row each."""
        ids, sections = self._by_section
        index = self.model_vectors[model]
        rows = []
        for section_id in section_ids:
            start, end = np.searchsorted(sections, [section_id, section_id + 1])
            mean = index.reconstruct_batch(ids[start:end]).mean(axis=0)
            rows.append(mean / np.linalg.norm(mean))
        return np.vstack(rows) if rows else np.zeros((0, index.d), dtype=np.float32)

    def sample_vectors(self, model: str, count: int) -> np.ndarray:
        """Up to `count` passages' vectors by `model`, spread evenly over the ids."""
        index = self.model_vectors[model]
        ids = np.unique(np.linspace(1, index.ntotal, min(count, index.ntotal)).astype(np.int64))
        return index.reconstruct_batch(ids) if len(ids) else np.zeros((0, index.d), dtype=np.float32)

    def keyword(self, terms: Sequence[str], k: int, every: bool = False) -> list[tuple[int, float]]:
        """Passage ids and BM25 scores of the k best passages holding any of the terms (or, with
        `every`, all of them); terms as search_index.keywords makes them."""
        wanted = list(dict.fromkeys(terms))
        if not wanted:
            return []
        spans = {}
        for start in range(0, len(wanted), SQL_VARIABLES):
            part = wanted[start: start + SQL_VARIABLES]
            spans.update((row["term"], (row["start"], row["end"])) for row in self._rows(
                f"SELECT term, start, end FROM keyword_terms WHERE term IN ({','.join('?' * len(part))})", part))
        return keywords.search(spans, *self.postings, list(terms), k, every)

    def passages(self, ids: Sequence[int]) -> dict[int, PassageRecord]:
        """The records of these passage ids (read in one query)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            "SELECT ps.id, ps.text, ps.heading_path, s.id AS section_id, s.heading, s.link, p.id AS page_id, "
            f"p.url, p.title, p.updated, p.{self._site_column} AS site, p.original_url, ps.start, {self._language} "
            "FROM passages ps JOIN sections s ON s.id = ps.section_id JOIN pages p ON p.id = s.page_id "
            f"WHERE ps.id IN ({marks})",
            list(ids),
        )
        return {
            row["id"]: PassageRecord(
                row["id"], row["text"], tuple(json.loads(row["heading_path"])), row["section_id"], row["heading"],
                row["link"], row["page_id"], row["url"], row["title"], row["updated"], row["site"],
                row["original_url"], row["start"], row["language"])
            for row in rows
        }

    def curation(self) -> Curation:
        """The editors' best bets and hidden pages stored with this version."""
        return Curation.from_json(self.manifest.best_bets)

    def bet_vectors(self) -> np.ndarray:
        """One row per best bet phrasing, in `curation().phrasings` order."""
        return read_bet_vectors(self.folder, self.vectors.d)

    def resolve(self, target: str) -> tuple[int, int | None] | None:
        """(page id, section id or None for a whole page) of a page or section address; None if unknown."""
        return resolve(self._rows, target)

    def section_passages(self, section_ids: Sequence[int]) -> dict[int, PassageRecord]:
        """The first passage of each of these sections, by section id."""
        if not section_ids:
            return {}
        marks = ",".join("?" * len(section_ids))
        rows = self._rows(f"SELECT section_id, min(id) AS id FROM passages WHERE section_id IN ({marks}) "
                          "GROUP BY section_id", list(section_ids))
        records = self.passages([row["id"] for row in rows])
        return {row["section_id"]: records[row["id"]] for row in rows}

    def page_list(self) -> list[tuple[str, PageInfo]]:
        """Every page's address and record, by site and title."""
        return [(row["url"], PageInfo(row["id"], row["title"], row["site"], row["updated"], row["original_url"]))
                for row in self._rows(f"SELECT id, url, title, {self._site_column} AS site, updated, original_url "
                                      "FROM pages ORDER BY site, title, url")]

    def page_by_url(self, url: str) -> PageInfo | None:
        """What the index says of the page at this address, or None."""
        rows = self._rows(f"SELECT id, title, {self._site_column} AS site, updated, original_url FROM pages "
                          "WHERE url = ?", (url,))
        if not rows:
            return None
        return PageInfo(rows[0]["id"], rows[0]["title"], rows[0]["site"], rows[0]["updated"],
                        rows[0]["original_url"])

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

    def terms_held_by(self, share: float) -> frozenset[str]:
        """The keyword terms that more than this share of the passages hold."""
        passages = self.manifest.counts["passages"]
        return frozenset(row["term"] for row in self._rows(
            "SELECT term FROM keyword_terms WHERE end - start > ?", [share * passages]))

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



def stats(reader: IndexReader) -> dict:
    """What a maintainer wants to know about a version."""
    manifest = reader.manifest
    passages = reader.passages_per_site()
    return {
        "version": reader.version,
        "built_at": manifest.built_at,
        "model": manifest.model["name"],
        "models": [model["name"] for model in manifest.models.values()],
        "counts": manifest.counts,
        "sites": {name: {"pages": n, "passages": passages.get(name, 0)} for name, n in reader.sites().items()},
        "sources": manifest.sources,
        "skipped": manifest.skipped,
        "size_bytes": disk_size(reader.folder),
    }


