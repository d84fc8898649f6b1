"""Keyword search in memory: BM25 weights of every (term, passage) computed at build time, so that a
question costs a few array lookups instead of an SQLite FTS5 query.

The scores are FTS5's bm25() with column weights title 2, heading 2, text 1 (k1 = 1.2, b = 0.75): a
term's frequency is its weighted count over the three columns, a passage's length its unweighted
token count. Tokens are FTS5's `porter unicode61`: runs of letters and digits, lower-cased, accents
removed, Porter-stemmed. A multi-word synonym ("stage iv") is a phrase: its own term, counted where
its words stand next to each other.
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import Stemmer

from search_index.documents import Passage

K1 = 1.2
B = 0.75
# Title and heading words say more about what a passage is about than the same words in its text.
COLUMN_WEIGHTS = (2.0, 2.0, 1.0)
TOKEN = re.compile(r"[^\W_]+")
# A question's term counts its 20,000 best passages, however many hold it: on the benchmark no term
# the app searches is held by more (the app leaves out words in over a fifth of 55,381 passages), and
# on a million passages it keeps a question's keyword search to a few milliseconds.
MAX_POSTINGS = 20_000
STEMMED_LENGTHS = (3, 64)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("porter")


def tokens(text: str) -> list[str]:
    """Lower-cased, accent-free, stemmed tokens, as FTS5's porter unicode61 tokenizer makes them (it
    leaves tokens of under 3 or over 64 characters unstemmed)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    stem = _stemmer().stemWord
    return [stem(t) if STEMMED_LENGTHS[0] <= len(t) <= STEMMED_LENGTHS[1] else t for t in TOKEN.findall(plain)]


def phrase_term(phrase: str) -> str:
    """The term under which a multi-word phrase is counted (its stemmed words joined by spaces)."""
    return " ".join(tokens(phrase))


@dataclass(frozen=True)
class Postings:
    """Per term, the passages that hold it and its BM25 weight in each: term -> [start, end) of the arrays."""

    spans: dict[str, tuple[int, int]]
    passage_ids: np.ndarray
    weights: np.ndarray


def build_for(titles: Sequence[str], passages: Sequence[Passage], synonym_groups: Iterable[Sequence[str]]) -> Postings:
    """The postings of these passages (ids from 1, in order): each passage's page title, headings and text,
    with the synonym list's phrases as terms of their own. `titles`: each page's title by page index."""
    rows = ((i, (titles[p.page_index], " ".join(p.heading_path), p.text)) for i, p in enumerate(passages, 1))
    return build(rows, phrases=phrases(synonym_groups))


def phrases(synonym_groups: Iterable[Sequence[str]]) -> list[str]:
    """Every term of the synonym list's groups, flattened."""
    return [term for group in synonym_groups for term in group]


def build(rows: Iterable[tuple[int, Sequence[str]]], phrases: Iterable[str] = ()) -> Postings:
    """Postings of passages given as (passage id, (title, heading, text))."""
    starts: dict[str, list[tuple[str, ...]]] = {}
    for term in {phrase_term(p) for p in phrases}:
        if " " in term:
            starts.setdefault(term.split(" ", 1)[0], []).append(tuple(term.split(" ")))
    term_ids: dict[str, int] = {}
    entries_term, entries_passage, entries_tf = array("i"), array("i"), array("f")
    lengths: dict[int, int] = {}
    for passage_id, columns in rows:
        frequencies: Counter = Counter()
        length = 0
        for weight, column in zip(COLUMN_WEIGHTS, columns, strict=True):
            found = tokens(column)
            length += len(found)
            for term, n in (Counter(found) + _phrase_counts(found, starts)).items():
                frequencies[term] += weight * n
        lengths[passage_id] = length
        for term, tf in frequencies.items():
            entries_term.append(term_ids.setdefault(term, len(term_ids)))
            entries_passage.append(passage_id)
            entries_tf.append(tf)
    return _weigh(term_ids, np.frombuffer(entries_term, dtype=np.int32), np.frombuffer(entries_passage, dtype=np.int32),
                  np.frombuffer(entries_tf, dtype=np.float32), lengths)


def _phrase_counts(found: list[str], starts: dict[str, list[tuple[str, ...]]]) -> Counter:
    """How often each phrase stands in the tokens (`starts`: the phrases by their first word)."""
    counts: Counter = Counter()
    for i, word in enumerate(found):
        for phrase in starts.get(word, ()):
            if tuple(found[i:i + len(phrase)]) == phrase:
                counts[" ".join(phrase)] += 1
    return counts


def _weigh(term_ids: dict[str, int], terms: np.ndarray, passages: np.ndarray, tfs: np.ndarray,
           lengths: dict[int, int]) -> Postings:
    """BM25 weight of every (term, passage), grouped by term (passages in id order within a term)."""
    total = len(lengths)
    if not total:
        return Postings({}, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
    length_of = np.zeros(max(lengths) + 1, dtype=np.float64)
    length_of[list(lengths)] = list(lengths.values())
    average = float(np.mean(list(lengths.values())))
    order = np.lexsort((passages, terms))
    terms, passages, tfs = terms[order], passages[order], tfs[order].astype(np.float64)
    bounds = np.searchsorted(terms, np.arange(len(term_ids) + 1))
    df = np.diff(bounds)
    idf = np.maximum(np.log((total - df + 0.5) / (df + 0.5)), 1e-6)
    norm = K1 * (1 - B + B * length_of[passages] / average)
    weights = np.repeat(idf, df) * tfs * (K1 + 1) / (tfs + norm)
    by_weight = np.lexsort((passages, -weights, terms))
    passages, weights = passages[by_weight], weights[by_weight]
    names = {index: term for term, index in term_ids.items()}
    spans = {names[i]: (int(bounds[i]), int(bounds[i + 1])) for i in range(len(term_ids))}
    return Postings(spans, passages.astype(np.int32), weights.astype(np.float32))


def search(spans: dict[str, tuple[int, int]], passage_ids: np.ndarray, weights: np.ndarray,
           terms: Sequence[str], k: int, every: bool = False) -> list[tuple[int, float]]:
    """The k best passages for the terms (any of them, or with `every`, all), by summed BM25 weight; a
    term given twice counts twice, as a phrase repeated in an FTS5 query does. A term's postings are
    stored best weight first, and only its MAX_POSTINGS best count when ranking (all, for `every`)."""
    if every:
        unique, sums = _holding_every(spans, passage_ids, weights, list(dict.fromkeys(terms)))
    else:
        found = [(s, min(e, s + MAX_POSTINGS)) for s, e in (spans[t] for t in terms if t in spans)]
        if not found:
            return []
        unique, sums = _summed(np.concatenate([passage_ids[s:e] for s, e in found]),
                               np.concatenate([weights[s:e] for s, e in found]))
    if len(unique) > k:
        best = np.argpartition(-sums, k - 1)[:k]
        unique, sums = unique[best], sums[best]
    order = np.lexsort((unique, -sums))
    return [(int(unique[i]), float(sums[i])) for i in order]


def _summed(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct passage id and the sum of its weights. Many postings (a long question on a large
    index) are summed into a table by passage id, linear in their number; few are sorted instead."""
    size = int(ids.max()) + 1
    if len(ids) * 16 < size:
        unique, where = np.unique(ids, return_inverse=True)
        return unique, np.bincount(where, weights=weights)
    unique = np.flatnonzero(np.bincount(ids, minlength=size))
    return unique, np.bincount(ids, weights=weights, minlength=size)[unique]


def _holding_every(spans: dict[str, tuple[int, int]], passage_ids: np.ndarray, weights: np.ndarray,
                   terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The passages holding every term, and their summed weights: the shortest postings list is
    narrowed by each longer one through a table by passage id (linear, however long the lists)."""
    if not terms or any(t not in spans for t in terms):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    found = sorted((spans[t] for t in terms), key=lambda span: span[1] - span[0])
    size = max(int(passage_ids[s:e].max(initial=0)) for s, e in found) + 1
    held = np.asarray(passage_ids[found[0][0]:found[0][1]], dtype=np.int64)
    sums = np.asarray(weights[found[0][0]:found[0][1]], dtype=np.float64)
    for s, e in found[1:]:
        if not len(held):
            break
        table = np.zeros(size)
        table[passage_ids[s:e]] = weights[s:e]
        present = np.zeros(size, dtype=bool)
        present[passage_ids[s:e]] = True
        keep = present[held]
        held, sums = held[keep], sums[keep] + table[held[keep]]
    return held, sums
