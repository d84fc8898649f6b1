"""Writing one complete index version into an empty folder (format: `search_index.format`)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

from search_index import keywords
from search_index.documents import Page, Passage
from search_index.format import (
    FORMAT_VERSION,
    POSTINGS,
    SCHEMA,
    Manifest,
    StoreError,
    file_sha256,
    titles_file,
    vector_index_for,
    vectors_file,
)


def write_version(
    folder: Path,
    version: str,
    pages: Sequence[Page],
    passages: Sequence[Passage],
    vectors: Mapping[str, np.ndarray],
    title_vectors: Mapping[str, np.ndarray],
    vocabulary: Mapping[str, int],
    postings: keywords.Postings,
    manifest: Manifest,
    same_passages_as: Path | None = None,
    bet_vectors: np.ndarray | None = None,
) -> None:
    """Write a complete version into an empty folder (publishing verifies it before use).

    `manifest`: what the build records (the writer adds the version, counts, vector index and files).
    `vectors`, `title_vectors`: each model's passage and title vectors, by model key (manifest.models).
    `bet_vectors`: MiniLM's vectors of the best bets' phrasings (manifest.best_bets).
    `same_passages_as`: a version with exactly these passages (and synonyms), whose vector indexes and
    keyword postings are linked instead of built again."""
    for key, rows in vectors.items():
        if len(passages) != len(rows):
            raise StoreError(f"{len(passages)} passages but {len(rows)} {key} vectors")
        if len(pages) != len(title_vectors[key]):
            raise StoreError(f"{len(pages)} pages but {len(title_vectors[key])} {key} title vectors")
    _write_sqlite(folder / "index.sqlite", pages, passages, vocabulary, postings)
    spec = vector_index_for(len(passages))
    if same_passages_as is not None:
        for name in (*(vectors_file(key) for key in vectors), *POSTINGS):
            _link(same_passages_as / name, folder / name)
    else:
        np.save(folder / "keyword_passages.npy", postings.passage_ids)
        np.save(folder / "keyword_weights.npy", postings.weights)
    for key, rows in vectors.items():
        dimensions = int(manifest.models[key]["dimensions"])
        if same_passages_as is None:
            _write_vectors(folder / vectors_file(key), rows, dimensions, spec)
        np.save(folder / titles_file(key),
                np.ascontiguousarray(title_vectors[key], dtype=np.float32).reshape(-1, dimensions))
    if bet_vectors is not None and len(bet_vectors):
        dimensions = int(manifest.model["dimensions"])
        np.save(folder / "best_bets.npy", np.ascontiguousarray(bet_vectors, dtype=np.float32).reshape(-1, dimensions))
    counts = {"pages": len(pages), "sections": sum(len(p.sections) for p in pages), "passages": len(passages)}
    files = [path for path in sorted(folder.iterdir()) if path.is_file()]
    full = replace(manifest, format=FORMAT_VERSION, version=version, counts=counts, vector_index=spec,
                   file_sizes={path.name: path.stat().st_size for path in files},
                   file_sha256={path.name: file_sha256(path) for path in files})
    (folder / "manifest.json").write_text(json.dumps(full.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")


def _link(source: Path, target: Path) -> None:
    """The same immutable file under another version: a hard link, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)



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
                "original_url, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (page_id, page.url, page.title, page.updated, page.site, page.origin, page.path, page.content_hash,
                 page.etag, page.last_modified, page.original_url, page.language),
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


