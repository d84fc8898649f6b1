"""In-memory keyword search: the same BM25 scores as SQLite FTS5, phrases, every-word queries."""
from __future__ import annotations

import sqlite3

import pytest

from search_index import keywords

ROWS = [
    (1, ("Breast cancer", "Treatment", "Chemotherapy and radiation therapy treat breast cancer.")),
    (2, ("Breast cancer", "Stages", "Stage IV breast cancer has spread to the bones, lungs or liver.")),
    (3, ("Bone health", "Calcium", "Calcium and vitamin D keep bones strong; running helps too.")),
    (4, ("Café menus", "Crème brûlée", "Desserts of the café: crème brûlée, tarts and cakes.")),
    (5, ("Metastatic disease", "", "Cancers that spread are metastatic: stage iv, stage IV and again stage iv.")),
]


def fts5(query: str) -> list[tuple[int, float]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, heading, text, tokenize='porter unicode61')")
    db.executemany("INSERT INTO t (rowid, title, heading, text) VALUES (?, ?, ?, ?)",
                   [(i, *columns) for i, columns in ROWS])
    rows = db.execute("SELECT rowid, -bm25(t, 2.0, 2.0, 1.0) FROM t WHERE t MATCH ? ORDER BY 2 DESC", (query,))
    return [(i, s) for i, s in rows]


@pytest.mark.parametrize("words", [["cancer"], ["bones", "spread"], ["running"], ["cafe", "creme"], ["liver", "x"]])
def test_scores_are_fts5_bm25_with_column_weights(words):
    postings = keywords.build(ROWS)
    terms = [t for w in words for t in keywords.tokens(w)]
    ours = keywords.search(postings.spans, postings.passage_ids, postings.weights, terms, 10)
    theirs = fts5(" OR ".join(f'"{w}"' for w in words))
    assert [i for i, _ in ours] == [i for i, _ in theirs]
    assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-5)


def test_tokens_are_stemmed_lower_case_without_accents():
    assert keywords.tokens("Running CAFÉS, Crème-brûlée!") == ["run", "cafe", "creme", "brule"]


def test_a_synonym_phrase_counts_where_its_words_stand_together():
    postings = keywords.build(ROWS, phrases=["stage iv", "vitamin d", "single"])
    term = keywords.phrase_term("stage iv")
    assert term in postings.spans and keywords.phrase_term("single") not in postings.spans
    start, end = postings.spans[term]
    assert sorted(postings.passage_ids[start:end].tolist()) == [2, 5]
    ours = keywords.search(postings.spans, postings.passage_ids, postings.weights, [term], 10)
    assert [i for i, _ in ours] == [i for i, _ in fts5('"stage iv"')]


def test_every_word_or_nothing():
    postings = keywords.build(ROWS)
    search = keywords.search
    both = search(postings.spans, postings.passage_ids, postings.weights, ["cancer", "bone"], 10, every=True)
    assert [i for i, _ in both] == [2]
    assert search(postings.spans, postings.passage_ids, postings.weights, ["cancer", "unicorn"], 10, every=True) == []
    assert len(search(postings.spans, postings.passage_ids, postings.weights, ["cancer"], 1)) == 1
