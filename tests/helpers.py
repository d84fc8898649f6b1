"""Test helpers: paths, one HTML page builder, building an index of a folder, and a stand-in for the models
(deterministic vectors in milliseconds) for the tests that do not claim quality."""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.build import BuildReport, build
from indexer.embedding import Embedder
from indexer.sources import FolderSource, SourcesConfig
from search_index.keywords import tokens
from search_index.models import MODELS, Model, ModelInfo

ROOT = Path(__file__).resolve().parent.parent
CORPUS_PAGES = ROOT / "corpus" / "pages"
SHARED = Path(os.environ.get("SHARED", ROOT.parent / "shared"))


def page_html(title: str, sections: Sequence[tuple[str, str]] = (("Part", "Some useful text about the topic."),),
              canonical: str | None = None, extra: str = "") -> str:
    """A complete page: <title> and <h1>, a site header, each (heading, text) as an <h2 id> and a
    paragraph, then `extra` markup inside <main>."""
    head = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    body = "".join(f"<h2 id='{slug(heading)}'>{heading}</h2><p>{text}</p>" for heading, text in sections)
    return (f"<html><head><title>{title}</title>{head}</head><body><header><nav>Menu</nav></header>"
            f"<main><h1>{title}</h1>{body}{extra}</main></body></html>")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def write_page(folder: Path, name: str, html: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html.encode("utf-8") if isinstance(html, str) else html)
    return path


def build_folder(pages: Path, index_dir: Path, incremental: bool = False,
                 allow_hosts: frozenset[str] = frozenset(), best_bets: Path | None = None,
                 embedder: Embedder | None = None, ranking: dict | None = None) -> BuildReport:
    """Build (or update) an index of one folder on the CPU, with the real models unless `embedder` is
    given; canonical URLs on `allow_hosts` are kept as the pages' original addresses; `best_bets`: the
    editors' file; `ranking`: the site's own levers. No embedding cache: what a build embeds depends on
    the previous version alone."""
    config = SourcesConfig([FolderSource(pages)], set(allow_hosts), best_bets=best_bets, ranking=ranking or {})
    return build(config, index_dir, device="cpu", progress=False, incremental=incremental, embedding_cache=None,
                 embedder=embedder)


DIMENSIONS = 384


class StandIn:
    """Vectors without a model: each stemmed word of a text hashed to one of 384 dimensions, counted and
    normalised, so texts that share words are close and others are not. For builds and questions in
    tests that check behaviour, not quality; an index it builds names it, and only its encoders read it."""

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokens(text) or ["(empty)"]:
                out[row, int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "big") % DIMENSIONS] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed(self, texts: list[str], model: Model, queries: bool = False) -> np.ndarray:
        return self.vectors(texts)

    def info(self, model: Model) -> ModelInfo:
        return ModelInfo(f"stand-in for {model.name}", hashlib.sha256(model.key.encode()).hexdigest(), DIMENSIONS)

    def cache_key(self, model: Model) -> str:
        return self.info(model).sha256


class StandInEncoder:
    """The stand-in as the app's question encoder for one model."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def info(self) -> ModelInfo:
        return StandIn().info(self.model)

    def encode(self, questions: Sequence[str]) -> tuple[np.ndarray, bool]:
        return StandIn().vectors(list(questions)), False

    def encode_sentences(self, texts: Sequence[str]) -> np.ndarray:
        return StandIn().vectors(list(texts))

    def problem(self) -> None:
        return None


class StandInPairReader:
    """The stand-in as the second stage's pair reader: the cosine of the stand-in vectors of the question
    and each passage, as a logit (search_index.pair_reader.PairReader)."""

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        vectors = StandIn().vectors([question, *passages])
        return 10 * (vectors[1:] @ vectors[0]) - 2


def stand_in_encoders() -> dict[str, StandInEncoder]:
    return {model.key: StandInEncoder(model) for model in MODELS}
