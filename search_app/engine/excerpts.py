"""What a result shows of a passage: the question's words marked, and an excerpt around them."""
from __future__ import annotations

from search_app.engine.query_words import content_words
from search_index.text import WORD, sentence_spans

# About three lines of a phone screen: enough to show that a passage answers, short enough to scan.
MAX_EXCERPT = 320
# One sentence longer than this (a list or table row without full stops) is cut at a word.
MAX_SENTENCE = 2 * MAX_EXCERPT

SUFFIXES = ("ments", "ment", "ings", "ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """A crude prefix stem so that 'cured' marks 'cure' and 'spreading' marks 'spread' and 'spreads'."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


def highlights(text: str, query: str, unmarked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """[start, end) spans of the passage's words that match the query's content words (but those of
    `unmarked`)."""
    stems = {stem(w) for w in content_words(query) if w not in unmarked}
    if not stems:
        return []
    prefixes = tuple(s for s in stems if len(s) >= 4)
    return [match.span() for match in WORD.finditer(text)
            if (token := match.group(0).lower()) in stems or token.startswith(prefixes)]


def excerpt(text: str, spans: list[tuple[int, int]], size: int = MAX_EXCERPT,
            opening: bool = False) -> tuple[str, list[tuple[int, int]]]:
    """Whole sentences of the passage, about `size` characters: the sentence with the most different
    question words marked (the first of those, or the first sentence), then its neighbours while they
    fit, the next before the previous; with `opening`, the passage's first sentences (a section the
    editors recommend is shown from its start, as they chose it). It starts at a sentence start and
    ends at a sentence end, so a sentence is never cut into a claim it does not make ("... cannot be
    cured"); "…" marks text left out. Spans are shifted to it."""
    if len(text) <= size:
        return text, spans
    sentences = sentence_spans(text)
    counts = [len({stem(text[s:e].lower()) for s, e in spans if s >= start and e <= end}) for start, end in sentences]
    lo = hi = 0 if opening else max(range(len(sentences)), key=lambda i: (counts[i], -i))
    while True:
        if hi + 1 < len(sentences) and sentences[hi + 1][1] - sentences[lo][0] <= size:
            hi += 1
        elif lo > 0 and sentences[hi][1] - sentences[lo - 1][0] <= size:
            lo -= 1
        else:
            break
    start, end = sentences[lo][0], sentences[hi][1]
    if end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start, start + MAX_SENTENCE)
        end = cut if cut > start else start + MAX_SENTENCE
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [(s + shift, e + shift) for s, e in spans if s >= start and e <= end]
    return prefix + text[start:end] + suffix, inside


def answer_chunks(text: str, spans: list[tuple[int, int]],
                  answer: tuple[int, int] | None) -> list[tuple[list[tuple[str, bool]], bool]]:
    """The excerpt in chunks (its segments, whether it is the marked answer sentence): before, the
    answer, after; highlights split at the answer's edges."""
    if answer is None:
        return [(segments(text, spans), False)]
    chunks = []
    for start, end, is_answer in ((0, answer[0], False), (answer[0], answer[1], True), (answer[1], len(text), False)):
        if end > start:
            inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
            chunks.append((segments(text[start:end], inside), is_answer))
    return chunks


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_highlight) parts, for templates that escape each piece."""
    parts, at = [], 0
    for start, end in spans:
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text):
        parts.append((text[at:], False))
    return parts
