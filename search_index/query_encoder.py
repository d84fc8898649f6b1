"""Questions -> vectors at serve time, without PyTorch: the packaged model exported to ONNX and run by
onnxruntime on one thread. sentence-transformers stays the reference (every export is checked
against it) and the fallback (when onnxruntime is missing or an export fails).

The export lives in a cache folder, named by the sha256 of the model's weights, written once (under a
lock, so that workers starting together export it once) and atomically renamed into place.
"""
from __future__ import annotations

import fcntl
import importlib.util
import json
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from threading import Lock

import numpy as np

from search_index import embedding
from search_index.errors import CuratedSearchError

log = logging.getLogger(__name__)

# Texts on which an export must give the reference's vectors (cosine >= MIN_COSINE) before use:
# short and long, lay and technical, a misspelling, another script, an empty question's nearest.
CHECK_TEXTS = (
    "can stage 4 breast cancer be cured",
    "Metastatic breast cancer (also called stage IV or advanced breast cancer) is breast cancer that has "
    "spread beyond the breast to other organs in the body (most often the bones, lungs, liver or brain).",
    "side efects of tamoxifin",
    "What are the genetic changes related to BRCA1 hereditary breast and ovarian cancer syndrome?",
    "سرطان الثدي",
    "?",
)
MIN_COSINE = 0.99999
CACHE_SIZE = 1024
# Encoded once when a worker starts: a worker that cannot encode a question is not ready.
PROBE = "what is cancer"
DEFAULT_CACHE = Path("var/models")


def export_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / f"{Path(embedding.MODEL_NAME).name}-{embedding.weights_sha256()[:16]}.onnx"


def export(cache_dir: Path) -> Path:
    """The checked ONNX export of the packaged model in cache_dir, made now if it is not there yet."""
    target = export_path(cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            with tempfile.TemporaryDirectory(dir=target.parent) as work:
                made = _export_torch(Path(work) / target.name)
                _check(OnnxEncoder(made, threads=1))
                os.replace(made, target)
    return target


def _export_torch(path: Path) -> Path:
    """Transformer, mean pooling and normalisation, as sentence-transformers computes them, in one graph."""
    import torch

    transformer = embedding.load_model("cpu")[0].auto_model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0  # a padded row, so that the traced graph keeps the attention mask
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"embedding": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(Pooled(), (ids, mask, torch.zeros_like(ids)), str(path), dynamo=False,
                          input_names=names, output_names=["embedding"], dynamic_axes=axes, opset_version=17)
    return path


def _check(encoder: OnnxEncoder) -> None:
    reference = embedding.embed(list(CHECK_TEXTS), progress=False)
    cosines = (reference * encoder.encode(CHECK_TEXTS)).sum(axis=1)
    if cosines.min() < MIN_COSINE:
        raise ExportMismatch(f"the ONNX export differs from the model (cosine {cosines.min():.8f} < {MIN_COSINE})")


class ExportMismatch(CuratedSearchError):
    """An ONNX export whose vectors differ from the reference model's."""


class EncoderUnavailable(CuratedSearchError):
    """No way to encode questions in this install."""


class OnnxEncoder:
    """Normalised vectors from the ONNX export: the model's own tokenizer, one onnxruntime session."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        folder = embedding.model_dir()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        settings = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.tokenizer.enable_truncation(int(settings["max_seq_length"]))
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = max(1, threads)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.ascontiguousarray(self.session.run(None, feeds)[0], dtype=np.float32)


class TorchEncoder:
    """The reference: sentence-transformers on PyTorch."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return embedding.embed(list(texts), progress=False)


class QueryEncoder:
    """Question vectors for the app, with the last CACHE_SIZE questions remembered; counts cache hits."""

    def __init__(self, cache_dir: Path | None, threads: int = 1) -> None:
        self.unusable: str | None = None
        self.backend = self._backend(cache_dir, threads)
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.lock = Lock()
        self.hits = self.misses = 0

    def _backend(self, cache_dir: Path | None, threads: int) -> OnnxEncoder | TorchEncoder | None:
        """The ONNX export; the reference model only where PyTorch is installed (the served image has none)."""
        if cache_dir is None:
            return TorchEncoder()
        try:
            return OnnxEncoder(export(cache_dir), threads)
        except Exception as exc:  # noqa: BLE001 - any failure falls back to the reference model, if there is one
            if importlib.util.find_spec("torch") is None:
                self.unusable = (f"the ONNX export in {cache_dir} is not usable ({type(exc).__name__}: {exc}) and "
                                 f"PyTorch is not installed: run `python -m indexer export-onnx --cache {cache_dir}` "
                                 "where the model and PyTorch are, and copy the export here")
                log.error("query encoder: %s", self.unusable)
                return None
            log.warning("query encoder on PyTorch: the ONNX export is not usable (%s)", exc)
            return TorchEncoder()

    def problem(self) -> str | None:
        """Why questions cannot be encoded, or None: one question is encoded to find out."""
        if self.backend is None:
            return self.unusable
        try:
            self.backend.encode([PROBE])
        except Exception as exc:  # noqa: BLE001 - any failure means the worker cannot answer
            return f"{type(exc).__name__}: {exc}"
        return None

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of other texts (a passage's sentences), one row each, not remembered here."""
        if self.backend is None:
            raise EncoderUnavailable(self.unusable or "no question encoder")
        return self.backend.encode(list(texts))

    def encode(self, questions: Sequence[str]) -> tuple[np.ndarray, bool]:
        """One row per question, and whether every one came from the cache."""
        with self.lock:
            found = {q: self.cache[q] for q in questions if q in self.cache}
            for question in found:
                self.cache.move_to_end(question)
        missing = [q for q in dict.fromkeys(questions) if q not in found]
        if missing:
            if self.backend is None:
                raise EncoderUnavailable(self.unusable or "no question encoder")
            found.update(zip(missing, self.backend.encode(missing), strict=True))
        with self.lock:
            self.hits += not missing
            self.misses += bool(missing)
            for question in missing:
                self.cache[question] = found[question]
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        return np.vstack([found[q] for q in questions]), not missing
