"""Words and sentences of text, split the same way by the indexer and the app."""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

# Edited page text: . ! ? (and any closing quote or bracket) before a capital or a digit ends a
# sentence, so "e.g. lower case" stays whole; a line break always ends one.
PAGE_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n")

# Typed questions: people often write in lower case, so any . ! ? followed by a space ends a sentence.
QUESTION_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Words that carry no meaning of their own in a question or a phrase, with their contractions as
# people type them without the apostrophe ("cant", "dont").
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    few for from further get gets getting got had hadn't has hasn't have haven't having he her here hers herself
    him himself his how i if in into is isn't it it's its itself just know let's like may me might more most
    much must my myself need no nor not now of off on once only or other ought our ours ourselves out over own
    please same she should shouldn't so some such tell than thank thanks that that's the their theirs them
    themselves then there there's these they this those through to too under until up us very was wasn't we were
    weren't what what's when where which while who whom why will with won't would wouldn't you your yours
    yourself yourselves im ive id hi hello dear regarding question questions want wanted
    arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt shouldnt wasnt werent wont wouldnt
    youre theyre thats whats theres""".split()
)


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


def in_context(title: str, heading_path: tuple[str, ...], text: str) -> str:
    """A passage as the models read it: its page title and heading path on a line, then its text."""
    return " > ".join((title, *heading_path)) + "\n" + text
