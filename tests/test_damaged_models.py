"""Damaged vectors and damaged models never reach a published version: a vector is a finite unit
vector or it is not used, and a model whose files are damaged stops the build with one line."""
from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from indexer import embedding
from indexer.build import build
from indexer.chunking import embed_text
from indexer.embedding import ModelDamaged
from indexer.rebuild import RebuildReader
from indexer.sources import FolderSource, SourcesConfig
from search_index import models, publishing
from search_index.models import E5
from tests.helpers import page_html, write_page

TOPICS = {"mastectomy.html": ("Mastectomy", "A mastectomy is surgery to remove the whole breast."),
          "brca.html": ("BRCA genes", "Changes in the BRCA1 gene raise the risk of breast cancer."),
          "lymph.html": ("Lymphedema", "Lymphedema is swelling of the arm after lymph nodes are removed.")}


def cached_build(pages, index_dir, cache):
    return build(SourcesConfig([FolderSource(pages)]), index_dir, device="cpu", progress=False,
                 embedding_cache=cache)


def test_damaged_vectors_in_the_embedding_cache_are_embedded_again(tmp_path):
    pages, cache = tmp_path / "pages", tmp_path / "embeddings.sqlite"
    for name, (title, text) in TOPICS.items():
        write_page(pages, name, page_html(title, [("About", text)]))
    cached_build(pages, tmp_path / "first", cache)
    with sqlite3.connect(cache) as db:
        damaged = db.execute("UPDATE vectors SET vector = randomblob(length(vector))").rowcount
    assert damaged >= 2 * 6
    report = cached_build(pages, tmp_path / "second", cache)
    assert any(f"{damaged} stored vectors were not finite unit vectors" in note.reason for note in report.notes)
    assert all(model.embedded > 0 for model in report.models.values())
    reader = publishing.open_version(tmp_path / "second", reader=RebuildReader)
    texts = set(reader.embedded_texts(embed_text)) | {title for title, _ in TOPICS.values()}
    for model in models.MODELS:
        vectors = reader.embedded_vectors(texts, embed_text, model.key)
        assert len(vectors) == len(texts) and embedding.unit_rows(np.stack(list(vectors.values()))).all(), model.key


def test_a_model_that_makes_nan_vectors_stops_the_build(monkeypatch):
    class Broken:
        def encode(self, texts, **_):
            return np.full((len(texts), 384), np.nan, dtype=np.float32)

    monkeypatch.setattr(embedding, "load_model", lambda *_: Broken())
    with pytest.raises(ModelDamaged, match="made 2 of 2 vectors that are not finite unit vectors: its files are damaged"):
        embedding.embed(["one", "two"])


@pytest.fixture()
def e5_copy(tmp_path, monkeypatch):
    """A copy of the converted multilingual model that the test may damage, loaded in its place."""
    folder = tmp_path / "e5"
    shutil.copytree(embedding.model_dir(E5), folder)
    real = embedding.model_dir
    monkeypatch.setattr(embedding, "model_dir", lambda model=models.MINILM, *_: folder if model is E5 else real(model))
    for cached in (embedding.load_model, embedding.files_sha256):
        cached.cache_clear()
    yield folder
    for cached in (embedding.load_model, embedding.files_sha256):
        cached.cache_clear()


@pytest.mark.model
def test_a_damaged_converted_model_is_refused_at_load_with_one_line(e5_copy):
    healthy = embedding.files_sha256(E5)
    weights = e5_copy / "model.safetensors"
    size = weights.stat().st_size
    with open(weights, "r+b") as handle:  # random bytes over the transformer layers, stored last
        handle.seek(size - (64 << 20))
        handle.write(np.random.default_rng(0).bytes(64 << 20))
    embedding.files_sha256.cache_clear()
    assert embedding.files_sha256(E5) != healthy, "the embedding cache's key changes with the model's files"
    with pytest.raises(ModelDamaged) as raised:
        embedding.load_model(E5)
    message = str(raised.value)
    assert "\n" not in message and str(e5_copy) in message and "delete" in message


@pytest.mark.model
@pytest.mark.parametrize("damage", ["config", "empty", "truncated"])
def test_other_damage_to_the_converted_model_is_one_line_too(e5_copy, damage):
    if damage == "config":
        (e5_copy / "config.json").write_text("{not json")
    elif damage == "empty":
        shutil.rmtree(e5_copy)
        e5_copy.mkdir()
    else:
        weights = e5_copy / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: 1 << 20])
    with pytest.raises(ModelDamaged) as raised:
        embedding.load_model(E5)
    assert "\n" not in str(raised.value) and str(e5_copy) in str(raised.value)
