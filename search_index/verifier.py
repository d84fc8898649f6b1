"""Checking that a version folder is complete and self-consistent before it is published or served."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from search_index.best_bets import Curation
from search_index.format import (
    FORMAT_VERSION,
    POSTINGS,
    Manifest,
    StoreError,
    check_file_digests,
    check_file_sizes,
    connect_readonly,
    read_bet_vectors,
    read_manifest,
    read_titles,
    read_vectors,
    resolve,
    vectors_file,
)


def verify_version(folder: Path, vectors: faiss.Index | None = None, titles: np.ndarray | None = None,
                   formats: tuple[int, ...] = (FORMAT_VERSION,)) -> Manifest:
    """Check that a version folder is complete and self-consistent; return its manifest.

    `vectors`, `titles`: the folder's vectors when the caller has already loaded them. `formats`: the
    format versions accepted (an older one can still give its vectors to an incremental build).
    """
    manifest = read_manifest(folder)
    check_file_sizes(folder, manifest)
    check_file_digests(folder, manifest)
    if manifest.format not in formats:
        raise StoreError(f"{folder} has index format {manifest.format}, expected {FORMAT_VERSION}: "
                         f"rebuild it with `python -m indexer update` (passage vectors are reused)")
    db = connect_readonly(folder)
    try:
        found = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("pages", "sections", "passages")}
        max_id = db.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0]
    finally:
        db.close()
    if found != manifest.counts:
        raise StoreError(f"{folder}: database holds {found}, manifest says {manifest.counts}")
    index = vectors if vectors is not None else read_vectors(folder / "vectors.faiss")
    if index.ntotal != found["passages"] or max_id != found["passages"]:
        raise StoreError(f"{folder}: {index.ntotal} vectors for {found['passages']} passages")
    if index.d != manifest.model["dimensions"]:
        raise StoreError(f"{folder}: vectors of dimension {index.d}, model has {manifest.model['dimensions']}")
    if manifest.format >= 3:
        titles = titles if titles is not None else read_titles(folder, index.d)
        if titles.shape != (found["pages"], index.d):
            raise StoreError(f"{folder}: {len(titles)} title vectors for {found['pages']} pages")
    if manifest.format >= 5:
        _verify_postings(folder, found["passages"])
    if manifest.format >= 6:
        _verify_second_models(folder, manifest, found)
    _verify_best_bets(folder, Curation.from_json(manifest.best_bets), index.d)
    return manifest


def _verify_second_models(folder: Path, manifest: Manifest, counts: dict) -> None:
    """Every model other than MiniLM has a vector for every passage and every page title."""
    for key, model in manifest.models.items():
        if key == "minilm":
            continue
        index = read_vectors(folder / vectors_file(key))
        titles = read_titles(folder, index.d, key)
        if index.ntotal != counts["passages"] or index.d != model["dimensions"]:
            raise StoreError(f"{folder}: {index.ntotal} {key} vectors of dimension {index.d} "
                             f"for {counts['passages']} passages")
        if titles.shape != (counts["pages"], index.d):
            raise StoreError(f"{folder}: {len(titles)} {key} title vectors for {counts['pages']} pages")


def _verify_best_bets(folder: Path, curation: Curation, dimensions: int) -> None:
    """Every best bet shows pages or sections of this version that are not hidden, and has its vectors."""
    if not curation.bets:
        return
    db = connect_readonly(folder)
    try:
        def rows(sql: str, parameters: Sequence) -> list:
            return db.execute(sql, parameters).fetchall()

        hidden = {found for found in (resolve(rows, target) for target in curation.hide) if found}
        for bet in curation.bets:
            for target in bet.show:
                found = resolve(rows, target)
                if found is None:
                    raise StoreError(f"best bet {bet.name!r} shows {target}, which is not a page or section "
                                     f"of this index: correct or remove it in the best bets file")
                if found in hidden or (found[0], None) in hidden:
                    raise StoreError(f"best bet {bet.name!r} shows {target}, which the best bets file hides")
    finally:
        db.close()
    vectors = read_bet_vectors(folder, dimensions)
    if vectors.shape != (len(curation.phrasings), dimensions):
        raise StoreError(f"{folder}: {len(vectors)} best bet vectors for {len(curation.phrasings)} phrasings")



def _verify_postings(folder: Path, passages: int) -> None:
    try:
        ids, weights = (np.load(folder / name, mmap_mode="r") for name in POSTINGS)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: unreadable keyword postings: {exc}") from None
    db = connect_readonly(folder)
    try:
        end = db.execute("SELECT coalesce(max(end), 0) FROM keyword_terms").fetchone()[0]
    finally:
        db.close()
    if len(ids) != len(weights) or end != len(ids) or (len(ids) and not 1 <= int(ids.max()) <= passages):
        raise StoreError(f"{folder}: keyword postings do not match the passages")


