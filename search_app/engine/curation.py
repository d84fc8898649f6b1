"""The editors' curation at search time: which best bet a question fires, and which passages are hidden."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from search_index.best_bets import BestBet, phrasing_key
from search_index.format import Owner, PassageRecord
from search_index.targets import ResolvedCuration

# "one" and "i" are left out: "no one", "can i".
NUMBER_WORDS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
                "nine": "9", "ten": "10", "ii": "2", "iii": "3", "iv": "4"}


def numbers(key: str) -> frozenset[str]:
    """The numbers a question names ("stage 2", "stage two", "stage ii"): a best bet for stage 4 must
    not fire for a question about stage 2, however close the two sentences are."""
    return frozenset(NUMBER_WORDS.get(w, w) for w in key.split() if w.isdigit() or w in NUMBER_WORDS)


@dataclass(frozen=True)
class Recommendation:
    """A fired best bet: its name (first phrasing) and the passages it shows, in the editors' order."""

    bet: str
    passages: list[PassageRecord]


class Curator:
    """Best bets and hidden pages of one index version."""

    def __init__(self, resolved: ResolvedCuration, synonyms: Sequence[Sequence[str]], min_cosine: float) -> None:
        self.synonyms = synonyms
        self.min_cosine = min_cosine
        self.curation = resolved.curation
        self.bets: list[BestBet] = list(resolved.curation.bets)
        self.keys: dict[str, int] = {}
        self.rows: list[int] = []
        self.row_numbers: list[frozenset[str]] = []
        for index, bet in enumerate(self.bets):
            for phrasing in bet.phrasings:
                key = phrasing_key(phrasing, synonyms)
                self.keys.setdefault(key, index)
                self.rows.append(index)
                self.row_numbers.append(numbers(key))
        self.vectors = resolved.bet_vectors
        self.hidden_pages = resolved.hidden_pages
        self.hidden_sections = resolved.hidden_sections
        self.shown = resolved.shown

    def match(self, query: str, vector: np.ndarray) -> int | None:
        """The best bet a question fires: one of its phrasings said the same way (after synonyms), or
        one whose vector is at least `min_cosine` from the question's and that names the same numbers."""
        if not self.bets:
            return None
        key = phrasing_key(query, self.synonyms)
        if key in self.keys:
            return self.keys[key]
        cosines = self.vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)
        asked = numbers(key)
        for row in np.argsort(-cosines):
            if cosines[row] < self.min_cosine:
                break
            if self.row_numbers[row] == asked:
                return self.rows[row]
        return None

    def recommend(self, query: str, vector: np.ndarray, site: str | None = None) -> Recommendation | None:
        index = self.match(query, vector)
        if index is None:
            return None
        passages = [p for p in self.shown[index] if site is None or p.site == site]
        return Recommendation(self.bets[index].name, passages) if passages else None

    def visible(self, owners: dict[int, Owner]) -> dict[int, Owner]:
        """The passages of pages and sections that are not hidden."""
        if not self.hidden_pages and not self.hidden_sections:
            return owners
        return {passage: owner for passage, owner in owners.items()
                if owner.page_id not in self.hidden_pages and owner.section_id not in self.hidden_sections}
