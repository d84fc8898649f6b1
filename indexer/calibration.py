"""How close questions that a health site cannot answer come to a version's passages.

A version's "no good match" threshold depends on its corpus: on a small site every question, on
topic or not, finds less that is close to it than on a large one. So each build embeds a fixed set
of everyday off-topic questions and stores the best cosine each reaches among the version's passages;
the app derives its thresholds from them (search_app.engine.ranking): English questions (data/off-topic-
calibration.txt) by MiniLM, Spanish ones (data/off-topic-calibration-es.txt) by multilingual-e5.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer import embedding
from search_index import models

DATA = Path(__file__).parent / "data"
CALIBRATION_FILES = {"minilm": DATA / "off-topic-calibration.txt", "e5": DATA / "off-topic-calibration-es.txt"}


def calibration_questions(model: models.Model = models.MINILM) -> list[str]:
    lines = CALIBRATION_FILES[model.key].read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def off_topic_scores(passage_vectors: np.ndarray, embedder: embedding.Embedder,
                     model: models.Model = models.MINILM) -> list[float]:
    """The best passage cosine of each calibration question, in ascending order (none without passages)."""
    if not len(passage_vectors):
        return []
    questions = embedder.embed(calibration_questions(model), model, queries=True)
    best = (np.asarray(passage_vectors, dtype=np.float32) @ questions.T).max(axis=0)
    return sorted(round(float(score), 4) for score in best)
