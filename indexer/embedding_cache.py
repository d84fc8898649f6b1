"""Vectors already computed on this machine, by (model weights, text): every build and every index
directory shares one cache, so no text is embedded twice by the same model.

One SQLite file in the model cache (`embeddings.sqlite`); vectors stored as float32 bytes, keyed by
the sha256 of the files the model is loaded from. Vectors are written after each batch, so a build
that stops keeps what it embedded. A damaged cache is reported and ignored, and so is any stored
vector that is not a finite unit vector (it is embedded again): a damaged cache can only cost time,
never a build.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.embedding import unit_rows

log = logging.getLogger(__name__)

FILE_NAME = "embeddings.sqlite"
BATCH = 512
SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,   -- sha256 of the model's files (embedding.files_sha256)
    text BLOB NOT NULL,    -- sha256 of the embedded text (prefix included)
    vector BLOB NOT NULL,  -- float32, normalised
    PRIMARY KEY (model, text)
) WITHOUT ROWID;
"""


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors by (model sha256, text); None as path for no cache at all."""

    def __init__(self, path: Path | None) -> None:
        self.db: sqlite3.Connection | None = None
        self.damaged = 0  # stored vectors read and ignored: not finite unit vectors of the right size
        if path is None:
            return
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=60)
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            log.warning("embedding cache %s not used: %s", path, exc)
            self.db = None

    def get(self, model: str, texts: Sequence[str], dimensions: int, prefix: str = "") -> dict[str, np.ndarray]:
        """The cached vectors of any of these texts (embedded with `prefix` before them)."""
        if self.db is None:
            return {}
        keys = {text_key(prefix + text): text for text in dict.fromkeys(texts)}
        found: dict[str, np.ndarray] = {}
        wanted = list(keys)
        try:
            for start in range(0, len(wanted), BATCH):
                part = wanted[start: start + BATCH]
                rows = self.db.execute(f"SELECT text, vector FROM vectors WHERE model = ? AND text IN "
                                       f"({','.join('?' * len(part))})", [model, *part]).fetchall()
                sized = [(key, blob) for key, blob in rows if len(blob) == 4 * dimensions]
                vectors = np.frombuffer(b"".join(blob for _, blob in sized), dtype=np.float32).reshape(-1, dimensions)
                good = unit_rows(vectors)
                found.update((keys[key], vectors[i]) for i, (key, _) in enumerate(sized) if good[i])
                self.damaged += len(rows) - int(good.sum())
        except sqlite3.Error as exc:
            log.warning("embedding cache not read: %s", exc)
        return found

    def put(self, model: str, texts: Sequence[str], vectors: np.ndarray, prefix: str = "") -> None:
        if self.db is None:
            return
        rows = [(model, text_key(prefix + t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors, strict=True)]
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO vectors (model, text, vector) VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:
            log.warning("embedding cache not written: %s", exc)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    def vectors(self, model: str, texts: Sequence[str], dimensions: int, compute: Callable[[list[str]], np.ndarray],
                prefix: str = "", batch: int = 1024) -> tuple[np.ndarray, list[str]]:
        """Vectors of the texts (one row each; `compute` adds `prefix`, which the key includes): cached
        ones read, the others computed in batches and cached as they come; and the texts computed."""
        known = self.get(model, texts, dimensions, prefix)
        fresh = [t for t in dict.fromkeys(texts) if t not in known]
        for start in range(0, len(fresh), batch):
            part = fresh[start: start + batch]
            computed = compute(part)
            self.put(model, part, computed, prefix)
            known.update(zip(part, computed, strict=True))
        out = np.empty((len(texts), dimensions), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = known[text]
        return out, fresh
