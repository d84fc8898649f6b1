"""The sentence of an excerpt that best answers the question, marked as a reader's anchor: patients
skim, and the marked sentence is where to start reading. Chosen by the model (the question's vector
against each sentence's), for the excerpt read first."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock

import numpy as np

from search_index.text import sentence_spans

# Sentence vectors kept, by text: the passages that answer common questions come back often.
CACHE_SIZE = 4096
# Encoding a sentence costs about 2 ms on one core (the 8-bit graph of search_index.query_encoder):
# only the first excerpt a reader sees is marked (the first recommended one, else the first result's
# first passage), from at most this many of its sentences, each by its opening words.
MAX_SENTENCES = 4
SENTENCE_WORDS = 24


class AnswerMarker:
    """Marks the best sentence of an excerpt, with sentence vectors from `encode` (remembered)."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], min_cosine: float,
                 cache_size: int = CACHE_SIZE) -> None:
        self.encode = encode
        self.min_cosine = min_cosine
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size
        self.lock = Lock()

    def mark(self, question: np.ndarray, shown: str) -> tuple[int, int] | None:
        """[start, end) of the sentence of `shown` (an excerpt) closest to the question, or None when it
        has a single sentence or none is close."""
        spans = [(s, e) for s, e in sentence_spans(shown) if shown[s:e].strip("… ")]
        spans = [(s + 2, e) if shown.startswith("… ", s) else (s, e) for s, e in spans]
        spans = [(s, e - 2) if shown.endswith(" …", 0, e) else (s, e) for s, e in spans]
        spans = spans[:MAX_SENTENCES]
        if len(spans) < 2:
            return None
        vectors = self.vectors([" ".join(shown[s:e].split()[:SENTENCE_WORDS]) for s, e in spans])
        cosines = vectors @ np.asarray(question, dtype=np.float32).reshape(-1)
        best = int(np.argmax(cosines))
        return spans[best] if cosines[best] >= self.min_cosine else None

    def vectors(self, sentences: Sequence[str]) -> np.ndarray:
        with self.lock:
            found = {s: self.cache[s] for s in sentences if s in self.cache}
        missing = [s for s in dict.fromkeys(sentences) if s not in found]
        if missing:
            found.update(zip(missing, self.encode(missing), strict=True))
            with self.lock:
                for sentence in missing:
                    self.cache[sentence] = found[sentence]
                while len(self.cache) > self.cache_size:
                    self.cache.popitem(last=False)
        return np.vstack([found[s] for s in sentences])
