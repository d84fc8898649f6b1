"""Query spelling correction: unknown words become frequent words of the index's vocabulary (SymSpell).

A word is known, and never changed, when the corpus or its synonym list has it, or when it is an
English word: SymSpell's packaged English frequency list (82,765 words from Google Books n-grams),
so that on a small site everyday words ("cure", "come") are never taken for misspellings.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from symspellpy import SymSpell, Verbosity

from search_index.text import STOP_WORDS, WORD

# A word seen once in the corpus may itself be a typo: it is known, but never offered as a correction.
MIN_SUGGESTION_COUNT = 2
# Words under four letters are too often a different word one edit away ("cat" / "car").
MIN_WORD_LENGTH = 4
# Words of six letters or more may be two edits away; shorter ones only one.
LONG_WORD = 6
# SymSpell indexes each word by its first seven letters (its default): a small dictionary that still
# finds every correction within two edits.
PREFIX_LENGTH = 7
ENGLISH_WORDS = "frequency_dictionary_en_82_765.txt"


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The English words the speller never changes, read once per process.

    All of the list: keeping only its frequent words (count >= 1,000,000) would let "brest" (a city,
    and a common misspelling) be corrected, but measured no better on misspelled questions (MedQuAD
    typos MRR@10 0.742 against 0.740) and worse on real ones (liveqa-dev nDCG@10 0.510 against 0.516)."""
    text = files("symspellpy").joinpath(ENGLISH_WORDS).read_text(encoding="utf-8")
    return frozenset(line.partition(" ")[0] for line in text.splitlines() if line.strip())


class Speller:
    """Corrects only words it does not know, to frequent corpus words one or two edits away."""

    def __init__(self, vocabulary: Iterable[tuple[str, int]], english: frozenset[str] | None = None) -> None:
        self.known: set[str] = set(STOP_WORDS) | (english_words() if english is None else english)
        self.symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=PREFIX_LENGTH)
        for word, count in vocabulary:
            self.known.add(word)
            if count >= MIN_SUGGESTION_COUNT and word.isalpha():
                self.symspell.create_dictionary_entry(word, count)

    def suggest(self, word: str) -> str | None:
        """The best correction of one lower-case word, or None to leave it as it is."""
        if word in self.known or len(word) < MIN_WORD_LENGTH or not word.isalpha():
            return None
        distance = 2 if len(word) >= LONG_WORD else 1
        found = self.symspell.lookup(word, Verbosity.TOP, max_edit_distance=distance)
        return found[0].term if found else None

    def correct(self, query: str) -> str | None:
        """The query with its unknown words corrected, or None when nothing changed."""
        parts, at, changed = [], 0, False
        for match in WORD.finditer(query):
            token = match.group(0)
            better = self.suggest(token.lower())
            if better:
                parts.append(query[at:match.start()])
                parts.append(better.capitalize() if token[:1].isupper() else better)
                at, changed = match.end(), True
        if not changed:
            return None
        return "".join(parts) + query[at:]
