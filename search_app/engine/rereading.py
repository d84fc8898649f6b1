"""The second stage: the first stage's best sections read again, each passage together with the question,
by the pair reader (search_index.pair_reader, a cross-encoder trained on MedQuAD), and its score added
to theirs; and how likely the first section answers, from the score of the passage it shows.

The pair reader reads English; a profile without `reread` keeps the first stage's order and judgement.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from search_index.format import Owner, PassageRecord
from search_index.pair_reader import PairReader
from search_index.text import in_context


@dataclass(frozen=True)
class Reread:
    """The passages' scores after the stage, and the pair reader's score of each passage it read."""

    scores: dict[int, float]
    read: dict[int, float]


def candidates(owners: dict[int, Owner], scores: dict[int, float], k: int) -> list[int]:
    """The best passage of each of the k best sections (one passage per section: the stage reorders
    sections, and a section's other passages follow its best)."""
    best: dict[int, int] = {}
    for passage_id in sorted(scores, key=lambda p: (-scores[p], p)):
        owner = owners.get(passage_id)
        if owner is not None and owner.section_id not in best:
            best[owner.section_id] = passage_id
            if len(best) == k:
                break
    return list(best.values())


def reread(reader: PairReader, question: str, owners: dict[int, Owner], scores: dict[int, float],
           records: Callable[[Sequence[int]], dict[int, PassageRecord]], k: int, weight: float) -> Reread:
    """Each candidate scores its first-stage score + weight x the pair reader's; every other passage
    gets the lowest read score, so the rest keep their order below the candidates' scale."""
    chosen = candidates(owners, scores, k)
    if not chosen:
        return Reread(scores, {})
    found = records(chosen)
    read = reader.scores(question, [in_context(found[p].title, found[p].heading_path, found[p].text) for p in chosen])
    by_passage = dict(zip(chosen, read.tolist(), strict=True))
    floor = min(by_passage.values())
    return Reread({p: s + weight * by_passage.get(p, floor) for p, s in scores.items()}, by_passage)


def answers_probability(score: float, calibration: tuple[float, float]) -> float:
    """How likely a passage the pair reader scored `score` answers (a logistic fit: slope, intercept)."""
    slope, intercept = calibration
    return 1.0 / (1.0 + math.exp(-(slope * score + intercept)))
