"""Shared fixtures: a real index of the default corpus, built once with the real model."""
from __future__ import annotations

import pytest

from indexer import embedding, onnx_export
from indexer.build import build
from indexer.sources import load_sources_file
from search_app import create_app
from search_index import models
from search_index.format import set_search_threads
from tests.helpers import CORPUS_PAGES, ROOT


def pytest_configure(config) -> None:
    """One compute thread, as each served worker has."""
    embedding.set_threads(1)
    set_search_threads(1)


@pytest.fixture(scope="session", autouse=True)
def question_encoders():
    """The models' ONNX exports in the model cache, which the app's workers load and never make."""
    for model in models.MODELS:
        onnx_export.export(models.MODEL_CACHE, model)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("index")
    build(load_sources_file(ROOT / "corpus" / "sources.toml"), index_dir, device="cpu", progress=False)
    return index_dir


@pytest.fixture(scope="session")
def app(corpus_index):
    return create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "PAGES_DIR": str(CORPUS_PAGES),
                       "RATE_LIMIT_PER_MINUTE": 0})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, for the real-browser tests."""
    from tests.browser.chrome import chrome

    with chrome() as driver:
        yield driver
