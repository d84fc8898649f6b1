"""Query spelling correction: unknown words become frequent words of the index's vocabulary (SymSpell).

A word is known, and never changed, when the corpus or its synonym list has it, or when it is an
English word: SymSpell's packaged English frequency list (82,765 words from Google Books n-grams),
so that on a small site everyday words ("cure", "come") are never taken for misspellings. Except: an
English word the corpus lacks, one edit from a word that is the corpus's own and far more common in
English too, is taken for that word misspelled ("brest", a city, on a breast cancer site).
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
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
# An English word the corpus lacks becomes a corpus word one edit away when that word is at least
# KEY_SHARE times more frequent in the corpus than in English (the corpus's own: on the default corpus
# "breast" 432, "cancer" 329, "trials" 105, but "tests" 29, "body" 20, so "testis" and "bony" stay; on
# the benchmark's 6,146 pages no word reaches it) and at least RARER times more frequent in English
# than the word typed ("breast" 40,334,099 against "brest" 532,054; "lymph" against "nymph" 2.6).
KEY_SHARE = 100
RARER = 50


@lru_cache(maxsize=1)
def english_counts() -> dict[str, int]:
    """The English words the speller knows, with their counts in the list, read once per process.

    All of the list: keeping only its frequent words (count >= 1,000,000) measured no better on
    misspelled questions (MedQuAD typos MRR@10 0.742 against 0.740) and worse on real ones (liveqa-dev
    nDCG@10 0.510 against 0.516)."""
    text = files("symspellpy").joinpath(ENGLISH_WORDS).read_text(encoding="utf-8")
    counts = {}
    for line in text.splitlines():
        word, _, count = line.partition(" ")
        if word:
            counts[word] = int(count)
    return counts


def english_words() -> frozenset[str]:
    return frozenset(english_counts())


class Speller:
    """Corrects only words it does not know (or English words misspelled from the corpus's own), to
    frequent corpus words one or two edits away."""

    def __init__(self, vocabulary: Iterable[tuple[str, int]], english: Mapping[str, int] | None = None) -> None:
        self.english = english_counts() if english is None else english
        self.english_total = sum(self.english.values()) or 1
        self.known: set[str] = set(STOP_WORDS) | set(self.english)
        self.corpus: dict[str, int] = {}
        self.symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=PREFIX_LENGTH)
        for word, count in vocabulary:
            self.known.add(word)
            self.corpus[word] = count
            if count >= MIN_SUGGESTION_COUNT and word.isalpha():
                self.symspell.create_dictionary_entry(word, count)
        self.corpus_total = sum(self.corpus.values()) or 1

    def knowing(self, terms: Iterable[str]) -> Speller:
        """This speller, also knowing the words of these terms (the editors' synonyms)."""
        other = copy.copy(self)
        other.known = self.known | {word for term in terms for word in term.split()}
        return other

    def suggest(self, word: str) -> str | None:
        """The best correction of one lower-case word, or None to leave it as it is."""
        if len(word) < MIN_WORD_LENGTH or not word.isalpha():
            return None
        if word in self.known:
            return self.misspelled_own_word(word)
        distance = 2 if len(word) >= LONG_WORD else 1
        found = self.symspell.lookup(word, Verbosity.TOP, max_edit_distance=distance)
        return found[0].term if found else None

    def misspelled_own_word(self, word: str) -> str | None:
        """The corpus's own word that an English word the corpus lacks is one edit from, when that
        word is far more common (KEY_SHARE, RARER)."""
        if word in self.corpus or word in STOP_WORDS or word not in self.english:
            return None
        for found in self.symspell.lookup(word, Verbosity.CLOSEST, max_edit_distance=1):
            term = found.term
            in_english = self.english.get(term, 0)
            own = self.corpus.get(term, 0) / self.corpus_total >= KEY_SHARE * in_english / self.english_total
            if own and in_english >= RARER * self.english[word]:
                return term
        return None

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
