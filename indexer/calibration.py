"""How close questions that a health site cannot answer come to a version's passages.

A version's "no good match" threshold depends on its corpus: on a small site every question, on
topic or not, finds less that is close to it than on a large one. So each build embeds a fixed set
of everyday off-topic questions (data/off-topic-calibration.txt) and stores the best cosine each
reaches among the version's passages; the app derives its threshold from them (search_app.ranking).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from search_index import embedding

CALIBRATION_FILE = Path(__file__).parent / "data" / "off-topic-calibration.txt"


def calibration_questions() -> list[str]:
    lines = CALIBRATION_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def off_topic_scores(passage_vectors: np.ndarray, device: str) -> list[float]:
    """The best passage cosine of each calibration question, in ascending order (none without passages)."""
    if not len(passage_vectors):
        return []
    questions = embedding.embed(calibration_questions(), device=device, progress=False)
    best = (np.asarray(passage_vectors, dtype=np.float32) @ questions.T).max(axis=0)
    return sorted(round(float(score), 4) for score in best)
