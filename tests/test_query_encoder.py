"""The query encoder: the ONNX export gives the model's own vectors; a worker only loads an export."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from indexer import embedding, onnx_export
from search_index import models, query_encoder
from search_index.query_encoder import OnnxEncoder, QueryEncoder

pytestmark = pytest.mark.model

TEXTS = ["can stage 4 be cured", "my mum has stage 4 and the doctor mentioned herceptin. what is it for?",
         "Mastectomy is surgery to remove a breast. " * 40, "x"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return onnx_export.export(tmp_path_factory.mktemp("models"))


def test_the_onnx_export_gives_the_models_vectors(exported):
    onnx = OnnxEncoder(exported, threads=1).encode(TEXTS)
    reference = embedding.embed(TEXTS, progress=False)
    assert onnx.shape == reference.shape == (len(TEXTS), models.model_info().dimensions)
    assert (onnx * reference).sum(axis=1).min() >= onnx_export.MIN_COSINE
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_the_export_is_made_once_and_named_by_the_weights(exported):
    assert models.weights_sha256()[:16] in exported.name
    before = exported.stat().st_mtime_ns
    assert onnx_export.export(exported.parent) == exported and exported.stat().st_mtime_ns == before


def test_the_app_encoder_runs_on_onnx_and_remembers_questions(exported):
    encoder = QueryEncoder(exported.parent)
    assert isinstance(encoder.backend, OnnxEncoder)
    first, cached = encoder.encode(["is there a cure", "for stage 4"])
    again, cached_again = encoder.encode(["is there a cure"])
    assert not cached and cached_again and np.array_equal(first[0], again[0])
    assert (encoder.hits, encoder.misses) == (1, 1)


def test_without_an_export_a_worker_loads_no_model_and_says_what_to_run(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    for cache in (tmp_path / "empty", blocked):
        encoder = QueryEncoder(cache)
        assert encoder.backend is None and "python -m indexer export-onnx" in encoder.problem()
        with pytest.raises(query_encoder.EncoderUnavailable):
            encoder.encode(TEXTS[:1])
    assert not (tmp_path / "empty").exists(), "nothing exported by a worker"


def test_the_8_bit_graph_is_close_to_the_full_one(exported):
    encoder = OnnxEncoder(exported, threads=1)
    assert (exported / query_encoder.INT8_GRAPH).is_file() and encoder.small is not encoder.session
    full, small = encoder.encode(TEXTS), encoder.encode(TEXTS, small=True)
    cosines = (full * small).sum(axis=1)
    assert cosines.min() >= onnx_export.MIN_INT8_COSINE and not np.array_equal(full, small)


def test_minilm_questions_and_every_sentence_are_read_by_the_8_bit_graph(exported):
    encoder = QueryEncoder(exported.parent)
    vectors, _ = encoder.encode(TEXTS[:2])
    assert np.array_equal(vectors, encoder.backend.encode(TEXTS[:2], small=True))
    assert np.array_equal(encoder.encode_sentences(TEXTS[:2]), vectors)
    assert models.MINILM.key in query_encoder.INT8_QUESTIONS
    assert models.E5.key not in query_encoder.INT8_QUESTIONS


def test_an_export_made_before_the_8_bit_graph_gets_it_and_uses_the_full_one_meanwhile(exported, tmp_path):
    older = tmp_path / exported.name
    shutil.copytree(exported, older, ignore=shutil.ignore_patterns(query_encoder.INT8_GRAPH, ".*"))
    encoder = OnnxEncoder(older, threads=1)
    assert encoder.small is encoder.session
    assert np.array_equal(encoder.encode(TEXTS[:1], small=True), encoder.encode(TEXTS[:1]))
    assert onnx_export.export(tmp_path) == older and (older / query_encoder.INT8_GRAPH).is_file()


def test_an_8_bit_graph_that_strays_is_not_kept_and_the_full_graph_serves(exported, tmp_path, monkeypatch):
    older = tmp_path / exported.name
    shutil.copytree(exported, older, ignore=shutil.ignore_patterns(query_encoder.INT8_GRAPH, ".*"))
    monkeypatch.setattr(onnx_export, "MIN_INT8_COSINE", 1.01)
    assert onnx_export.export(tmp_path) == older and not (older / query_encoder.INT8_GRAPH).exists()
    encoder = QueryEncoder(tmp_path)
    assert isinstance(encoder.backend, OnnxEncoder) and encoder.backend.small is encoder.backend.session


def test_a_damaged_8_bit_graph_leaves_the_full_graph_to_read_everything(exported, tmp_path):
    copy = tmp_path / exported.name
    shutil.copytree(exported, copy, ignore=shutil.ignore_patterns(".*"))
    (copy / query_encoder.INT8_GRAPH).write_bytes(b"not an onnx graph")
    encoder = QueryEncoder(tmp_path)
    assert isinstance(encoder.backend, OnnxEncoder) and encoder.backend.small is encoder.backend.session
    assert encoder.problem() is None
