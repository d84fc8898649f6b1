"""The words of a question that carry meaning, and its last sentence (its focus)."""
from __future__ import annotations

from search_index.text import QUESTION_SENTENCE_END, words

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    few for from further get gets getting got had hadn't has hasn't have haven't having he her here hers herself
    him himself his how i if in into is isn't it it's its itself just know let's like may me might more most
    much must my myself need no nor not now of off on once only or other ought our ours ourselves out over own
    please same she should shouldn't so some such tell than thank thanks that that's the their theirs them
    themselves then there there's these they this those through to too under until up us very was wasn't we were
    weren't what what's when where which while who whom why will with won't would wouldn't you your yours
    yourself yourselves im ive id hi hello dear regarding question questions want wanted""".split()
)
# A sentence of fewer words ("Thanks.", "Hi Dr.") is no question of its own.
FOCUS_MIN_WORDS = 3


def content_words(text: str) -> list[str]:
    """The query's words that carry meaning, in order, without repeats."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())))


def question_focus(text: str) -> str | None:
    """The last sentence of a question of several sentences (people give context first, then ask)."""
    sentences = [s for s in QUESTION_SENTENCE_END.split(text.strip()) if len(s.split()) >= FOCUS_MIN_WORDS]
    return sentences[-1] if len(sentences) > 1 else None

