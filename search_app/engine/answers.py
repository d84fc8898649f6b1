"""The sentence of an excerpt that best answers the question, marked as a reader's anchor: patients
skim, and the marked sentence is where to start reading. Chosen for the excerpt read first: by the pair
reader where the second stage read the question (PairMarker: each sentence read with the question, in
its passage's context; a sentence it scores below its whole passage is not marked), else by the
question's model (AnswerMarker: the question's vector against each sentence's). A result matched weak
marks none: its page says the passages may not answer."""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock

import numpy as np

from search_index.format import PassageRecord
from search_index.pair_reader import PairReader
from search_index.text import in_context, sentence_spans

# Sentence vectors kept, by text: the passages that answer common questions come back often.
CACHE_SIZE = 4096
# Encoding a sentence costs about 2 ms on one core (the 8-bit graph of search_index.query_encoder):
# only the first excerpt a reader sees is marked (the first recommended one, else the first result's
# first passage), from at most this many of its sentences, each by its opening words.
MAX_SENTENCES = 4
SENTENCE_WORDS = 24
# An answer is a statement: it ends with . or !, maybe inside closing quotes or brackets, or it opens a
# list that the excerpt shows ("Ribcage pain may be caused by any of the following:"). A heading, a
# list item that is not a sentence, a question ("Who Gets Breast Cancer?") or a list's opening at the
# excerpt's end is never marked. A list item is read with its list: where the closest sentence is an
# item ("The type of breast cancer." under "The prognosis ... depend on the following:"), its list's
# opening is marked, as the item alone says something else.
SENTENCE_END = re.compile(r"[.!][\"'’”)\]]*$")
LIST_OPENING = re.compile(r":$")


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
        spans = sentences(shown)
        if not spans:
            return None
        vectors = self.vectors([opening(shown, span) for span in spans])
        cosines = vectors @ np.asarray(question, dtype=np.float32).reshape(-1)
        best = int(np.argmax(cosines))
        return in_its_list(shown, spans[best]) if cosines[best] >= self.min_cosine else None

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


class PairMarker:
    """Marks the sentence of an excerpt that the pair reader scores highest with the question, when it
    scores at least as high as the whole passage."""

    def __init__(self, reader: PairReader) -> None:
        self.reader = reader

    def mark(self, question: str, record: PassageRecord, shown: str) -> tuple[int, int] | None:
        spans = sentences(shown)
        if not spans:
            return None
        texts = [record.text] + [opening(shown, span) for span in spans]
        scores = self.reader.scores(question, [in_context(record.title, record.heading_path, t) for t in texts])
        best = int(np.argmax(scores[1:]))
        return in_its_list(shown, spans[best]) if scores[1 + best] >= scores[0] else None


def sentences(shown: str) -> list[tuple[int, int]]:
    """The statements (SENTENCE_END, or a LIST_OPENING that is not the excerpt's last) among the first
    MAX_SENTENCES sentences and lines of an excerpt, without its "… " marks; none where the excerpt is
    one sentence (nothing to point at)."""
    spans = [(s, e) for s, e in sentence_spans(shown) if shown[s:e].strip("… ")]
    spans = [(s + 2, e) if shown.startswith("… ", s) else (s, e) for s, e in spans]
    spans = [(s, e - 2) if shown.endswith(" …", 0, e) else (s, e) for s, e in spans]
    if len(spans) < 2:
        return []
    last = spans[-1]
    return [(s, e) for s, e in spans[:MAX_SENTENCES]
            if SENTENCE_END.search(shown, s, e) or (LIST_OPENING.search(shown, s, e) and (s, e) != last)]


def in_its_list(shown: str, span: tuple[int, int]) -> tuple[int, int]:
    """The opening of the list whose item `span` is, where the excerpt shows it, else `span`. A list's
    items are the lines after its opening (a line whose last sentence ends with a colon) that are one
    sentence each; a line of more ends the list ("Older age" then "Older age is the main risk factor
    ... as you get older." are a heading and its paragraph)."""
    opening = None
    for start, end in lines(shown):
        spans = [(start + s, start + e) for s, e in sentence_spans(shown[start:end])]
        item = opening is not None and len(spans) == 1
        if start <= span[0] <= end:
            return opening if item else span
        if not item:
            opening = spans[-1] if spans and LIST_OPENING.search(shown, *spans[-1]) else None
    return span


def lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of the text, without its line break."""
    found, start = [], 0
    for line in text.split("\n"):
        found.append((start, start + len(line)))
        start += len(line) + 1
    return found


def opening(shown: str, span: tuple[int, int]) -> str:
    start, end = span
    return " ".join(shown[start:end].split()[:SENTENCE_WORDS])
