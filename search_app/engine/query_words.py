"""The words of a question that carry meaning, and its last sentence (its focus)."""
from __future__ import annotations

from search_index.text import QUESTION_SENTENCE_END, STOP_WORDS, words

# A sentence of fewer words ("Thanks.", "Hi Dr.") is no question of its own.
FOCUS_MIN_WORDS = 3


def content_words(text: str) -> list[str]:
    """The query's words that carry meaning, in order, without repeats."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())))


def question_focus(text: str) -> str | None:
    """The last sentence of a question of several sentences (people give context first, then ask)."""
    sentences = [s for s in QUESTION_SENTENCE_END.split(text.strip()) if len(s.split()) >= FOCUS_MIN_WORDS]
    return sentences[-1] if len(sentences) > 1 else None

