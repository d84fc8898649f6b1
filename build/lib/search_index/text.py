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
