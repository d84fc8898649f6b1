"""What people ask that the pages do not cover: the questions without a good answer, grouped into
topics by the multilingual reader's vectors, per language, for the people who write the pages.

Greedy and stable: the most asked question starts the first topic; each next question joins the
topic whose first question is closest, if at least TOPIC_MIN_COSINE, else starts its own. 0.86 on
multilingual-e5-small's question vectors keeps "wigs after chemo", "where can i buy a wig" and "does
insurance pay for a wig" together and "clinical trials near me" apart from "pizza near me" (0.84), on
a handful of questions looked at by hand: a reading aid, not a measured classifier."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

TOPIC_MIN_COSINE = 0.86
EXAMPLES = 5


@dataclass
class Topic:
    language: str
    questions: list[tuple[str, int]] = field(default_factory=list)  # (question, times asked), most asked first

    @property
    def name(self) -> str:
        return self.questions[0][0]

    @property
    def searches(self) -> int:
        return sum(count for _, count in self.questions)

    @property
    def examples(self) -> list[str]:
        return [question for question, _ in self.questions[:EXAMPLES]]


def group(questions: Sequence[tuple[str, int, str]], vectors: np.ndarray,
          min_cosine: float = TOPIC_MIN_COSINE) -> list[Topic]:
    """Topics of (question, times asked, language) with one unit vector each, most searched first."""
    order = sorted(range(len(questions)), key=lambda i: (-questions[i][1], questions[i][0]))
    topics: list[Topic] = []
    leaders: list[int] = []
    for i in order:
        text, count, language = questions[i]
        same = [t for t, lead in enumerate(leaders) if topics[t].language == language]
        cosines = [float(vectors[leaders[t]] @ vectors[i]) for t in same]
        best = int(np.argmax(cosines)) if cosines else -1
        if cosines and cosines[best] >= min_cosine:
            topics[same[best]].questions.append((text, count))
        else:
            topics.append(Topic(language, [(text, count)]))
            leaders.append(i)
    return sorted(topics, key=lambda t: (-t.searches, t.name))
