"""Suggestions as you type: completions drawn from the corpus itself (page titles, titles with their
section headings, the pages' most used phrases, the synonym list's words) and the editors' best-bet
phrasings as questions, found by word prefix, misspellings tolerated.

Nothing a person typed is ever suggested to another: the suggestions come from the pages alone.
"""
from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from search_app.engine.spelling import Speller
from search_index.text import STOP_WORDS, words

MAX_SUGGESTIONS = 8
MIN_TYPED = 2
MAX_LENGTH = 80
# A heading used by this many pages or more ("Treatment", "Signs and symptoms") says little on its
# own: it is suggested after its page's title ("breast cancer treatment").
GENERIC_PAGES = 3
PART = re.compile(r"\s*\(part \d+\)\s*$", re.IGNORECASE)
GENERIC_SKIPPED = {"overview", "introduction", "summary", "other information", "things to consider"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


# Editors' best-bet phrasings are questions someone reviewed: they rank before the pages' own topics.
QUESTION_WEIGHT = 5
# A phrase of the pages is suggested only when it reads as one: no word twice ("lymph lymph"), no
# number word ("lymphoma five"), and no stop word inside it but these connectors ("signs of cancer",
# not "mastectomy the removal" nor "cancer this decreases").
CONNECTORS = frozenset("of and or for to in with on from after".split())
NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred thousand first second third""".split())


def reads_as_phrase(phrase: str) -> bool:
    found = phrase.split()
    return (len(set(found)) == len(found) and not NUMBER_WORDS & set(found)
            and all(word in CONNECTORS or word not in STOP_WORDS for word in found))


def topics(pages: Iterable[tuple[str, Sequence[str]]], synonyms: Sequence[Sequence[str]],
           phrases: Iterable[tuple[str, int]] = (), questions: Iterable[str] = ()) -> Counter[str]:
    """What may be suggested, with a weight each: titles, specific headings, generic headings after
    their page's title, synonyms, the pages' most used phrases, and the best bets' phrasings."""
    pages = [(title, [PART.sub("", h) for h in headings if h]) for title, headings in pages]
    used_by = Counter(h.lower() for _, headings in pages for h in set(headings))
    found: Counter[str] = Counter()
    for title, headings in pages:
        title_text = " ".join(words(title))
        found[title_text] += 2
        for heading in set(headings):
            key = heading.lower()
            if key in GENERIC_SKIPPED:
                continue
            text = " ".join(words(heading))
            found[f"{title_text} {text}" if used_by[key] >= GENERIC_PAGES else text] += 1
    for group in synonyms:
        for term in group:
            found[term] += 1
    for phrase, _ in phrases:
        if reads_as_phrase(phrase):
            found[phrase] += 1
    for question in questions:
        found[" ".join(words(question))] += QUESTION_WEIGHT
    return Counter({text: n for text, n in found.items() if text and len(text) <= MAX_LENGTH})


class Suggester:
    """Completions of a typed prefix among a version's topics. Compact, as each worker holds one: the
    topics' texts, and for each distinct word (sorted) the topics holding it, in one array."""

    def __init__(self, weighted: Counter[str], speller: Speller | None = None) -> None:
        self.texts = list(weighted)
        self.weights = [weighted[text] for text in self.texts]
        self.speller = speller
        holding: dict[str, list[int]] = {}
        for number, text in enumerate(self.texts):
            for word in set(text.split()):
                holding.setdefault(word, []).append(number)
        self.vocabulary = sorted(holding)
        self.offsets = np.zeros(len(self.vocabulary) + 1, dtype=np.int64)
        np.cumsum([len(holding[word]) for word in self.vocabulary], out=self.offsets[1:])
        self.topics = np.fromiter(itertools.chain.from_iterable(holding[word] for word in self.vocabulary),
                                  dtype=np.int32, count=int(self.offsets[-1]))

    def _postings(self, prefix: str) -> tuple[int, int]:
        """Where in `topics` the topics of the words starting with `prefix` are."""
        start = bisect.bisect_left(self.vocabulary, prefix)
        end = bisect.bisect_left(self.vocabulary, prefix + "\uffff")
        return int(self.offsets[start]), int(self.offsets[end])

    def _starting(self, prefix: str) -> set[int]:
        """Topics with a word starting with `prefix`."""
        start, end = self._postings(prefix)
        return set(self.topics[start:end].tolist())

    def _matching(self, typed: list[str]) -> set[int]:
        """Topics holding a word starting with each typed word."""
        found: set[int] | None = None
        for word in sorted(typed, key=len, reverse=True):
            holding = self._starting(word)
            found = holding if found is None else found & holding
            if not found:
                return set()
        return found or set()

    def _respelled(self, typed: list[str]) -> list[str]:
        """The typed words with misspellings corrected: whole words by the speller; then any word that
        starts no topic's word ("brest", or the last one still being typed) by the prefix one edit
        away (first letter kept) that starts words of the most topics."""
        fixed = [(self.speller.suggest(w) if self.speller else None) or w for w in typed[:-1]] + typed[-1:]
        return [self._nearest_prefix(word) for word in fixed]

    def _nearest_prefix(self, word: str) -> str:
        if len(word) < 4 or self._starting(word):
            return word
        best, most = word, 0
        for variant in edits(word):
            if variant[:1] != word[:1]:
                continue
            start, end = self._postings(variant)
            if end - start > most:
                best, most = variant, end - start
        return best

    def suggest(self, typed_text: str, limit: int = MAX_SUGGESTIONS, respell: bool = True) -> list[str]:
        """Up to `limit` topics completing what was typed, best first: those that start with it, then
        those with a word that starts with it, more-used and shorter first; when none does and
        `respell`, those completing it with its misspellings corrected."""
        typed = words(typed_text)
        if len("".join(typed)) < MIN_TYPED:
            return []
        found = self._matching(typed)
        if not found and respell:
            typed = self._respelled(typed)
            found = self._matching(typed)
        phrase = " ".join(typed)

        def rank(number: int) -> tuple:
            text = self.texts[number]
            return (not text.startswith(phrase), f" {phrase}" not in f" {text}", -self.weights[number], len(text), text)

        return [self.texts[n] for n in sorted(found, key=rank)[:limit]]


def edits(word: str) -> list[str]:
    """Every string one edit (delete, swap, replace, insert) from a word, closest kinds first."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS if c != b[0]]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return list(dict.fromkeys(swaps + deletes + replaces + inserts))
