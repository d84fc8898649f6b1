"""Words and sentences of text, split the same way by the indexer and the app."""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

# Edited page text: . ! ? (and any closing quote or bracket) before a capital or a digit ends a
# sentence, so "e.g. lower case" stays whole; a line break always ends one.
PAGE_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n")

# Typed questions: people often write in lower case, so any . ! ? followed by a space ends a sentence.
QUESTION_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes kept inside words ("don't")."""
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line, whitespace trimmed."""
    spans, start = [], 0
    for match in PAGE_SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in (trim(text, s, e) for s, e in spans) if e > s]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) moved inward past white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
