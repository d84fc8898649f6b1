"""Shared fixtures: a real index of the default corpus, built once with the real model."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.build import build
from indexer.sources import load_sources_file
from search_app import create_app

ROOT = Path(__file__).resolve().parent.parent
CORPUS_PAGES = ROOT / "corpus" / "pages"
SHARED = Path(os.environ.get("SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> Path:
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


def write_page(folder: Path, name: str, html: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html.encode("utf-8") if isinstance(html, str) else html)
    return path
