"""What a result shows of a passage: the question's words marked, and an excerpt around them."""
from __future__ import annotations

from search_app.query_words import content_words
from search_index.text import WORD

# About three lines of a phone screen: enough to show that a passage answers, short enough to scan.
MAX_EXCERPT = 320

SUFFIXES = ("ments", "ment", "ings", "ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """A crude prefix stem so that 'cured' marks 'cure' and 'spreading' marks 'spread' and 'spreads'."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


def highlights(text: str, query: str) -> list[tuple[int, int]]:
    """[start, end) spans of the passage's words that match the query's content words."""
    stems = {stem(w) for w in content_words(query)}
    if not stems:
        return []
    prefixes = tuple(s for s in stems if len(s) >= 4)
    return [match.span() for match in WORD.finditer(text)
            if (token := match.group(0).lower()) in stems or token.startswith(prefixes)]


def excerpt(text: str, spans: list[tuple[int, int]], size: int = MAX_EXCERPT) -> tuple[str, list[tuple[int, int]]]:
    """A window of about `size` characters around the densest run of highlights, spans shifted to it."""
    if len(text) <= size:
        return text, spans
    start = _best_window(text, spans, size)
    end = min(len(text), start + size)
    cut_end = text.rfind(" ", start, end) if end < len(text) else end
    end = cut_end if cut_end > start else end
    body = text[start:end]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [(s + shift, e + shift) for s, e in spans if s >= start and e <= end]
    return prefix + body + suffix, inside


def _best_window(text: str, spans: list[tuple[int, int]], size: int) -> int:
    if not spans:
        return 0
    best, best_count = 0, -1
    for s, _ in spans:
        begin = max(0, s - size // 4)
        count = sum(1 for a, b in spans if a >= begin and b <= begin + size)
        if count > best_count:
            best, best_count = begin, count
    if best == 0:
        return 0
    space = text.find(" ", best)
    return space + 1 if 0 <= space < best + 40 else best


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
