"""Shared fixtures: a real index of the default corpus, built once with the real models; and the
stand-ins for the models (tests.helpers.StandIn, StandInPairReader) in every test that does not claim
quality.

Tiers: a test that uses the default corpus's index, or is marked `model`, runs with the real models;
one marked `slow` starts processes, servers or a browser (which load the real models); every other
test builds and searches with the stand-in. `pytest -m "not slow and not model"` runs the last ones."""
from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import search_app
from indexer import embedding, onnx_export
from indexer.build import build
from indexer.sources import load_sources_file
from search_app import create_app
from search_app.engine import retrieval
from search_index import models, pair_reader
from search_index.format import set_search_threads
from tests.helpers import CORPUS_PAGES, ROOT, StandIn, StandInPairReader, stand_in_encoders

REAL_FIXTURES = {"corpus_index", "app", "client"}
DATABASES = itertools.count(1)


def pytest_configure(config) -> None:
    """One compute thread, as each served worker has."""
    embedding.set_threads(1)
    set_search_threads(1)


def pytest_collection_modifyitems(items) -> None:
    """A test on the default corpus's real index claims what the real models do: it is a model test."""
    for item in items:
        if REAL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.model)


def real_models(item) -> bool:
    return item.get_closest_marker("model") is not None or item.get_closest_marker("slow") is not None


@pytest.fixture(scope="session", autouse=True)
def question_encoders(request):
    """The models' ONNX exports in the model cache, which the app's workers load and never make: made
    once, when a selected test uses the real models."""
    if any(real_models(item) for item in request.session.items):
        for model in models.MODELS:
            onnx_export.export(models.MODEL_CACHE, model)


@pytest.fixture(autouse=True)
def stand_in_for_the_models(request, monkeypatch, tmp_path):
    """Builds and question encoders in this process use the stand-in, unless the test uses the real
    models; and the test runs in a folder of its own, so that nothing it writes by a relative path (the
    model cache, its embedding cache) lands in the checkout."""
    if real_models(request.node):
        return
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(embedding, "ModelEmbedder", lambda *args, **kwargs: StandIn())
    for module in (search_app, retrieval):
        monkeypatch.setattr(module, "encoders", lambda *args, **kwargs: stand_in_encoders())
    monkeypatch.setattr(pair_reader, "trained", StandInPairReader)


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


@pytest.fixture(scope="session")
def postgres_cluster():
    """A private PostgreSQL cluster for the tests that run against it (`make postgres-setup` installs it),
    in a folder of /tmp its server's user can reach."""
    from bench.servers import postgres, postgres_bin

    if postgres_bin() is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs PostgreSQL's server: run `make postgres-setup`")
        pytest.skip("PostgreSQL's server is not installed (make postgres-setup)")
    folder = Path(tempfile.mkdtemp(prefix="curated-search-tests-postgres-"))
    try:
        with postgres(folder) as server:
            yield server
            # The tests' apps keep their pools and pollers to the end; once the cluster stops, their
            # reconnecting is noise.
            for name in ("psycopg.pool", "search_app"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def record_url(request, tmp_path):
    """The address of an empty record: a SQLite file, and a PostgreSQL database (the same tests run on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "record.sqlite")
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"test_{next(DATABASES)}")
