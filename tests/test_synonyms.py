"""The maintainers' synonym list: parsing, expansion, and its use in keyword search."""
from __future__ import annotations

from search_app.engine.snapshot import keyword_terms
from search_app.web.services import services
from search_index import publishing
from search_index.synonyms import expansions, parse_synonyms

LIST = """# comment
stage 4, Stage IV, metastatic
chemo,chemotherapy
lonely
"""


def test_parse_groups_lowercase_and_skip_comments_and_singletons():
    assert parse_synonyms(LIST) == [("stage 4", "stage iv", "metastatic"), ("chemo", "chemotherapy")]


def test_expansions_match_whole_words_and_phrases():
    groups = parse_synonyms(LIST)
    assert expansions("Can stage 4 be cured?", groups) == ["stage iv", "metastatic"]
    assert expansions("side effects of chemo", groups) == ["chemotherapy"]
    assert expansions("stage 45 trial", groups) == []
    assert expansions("chemotherapy", groups) == ["chemo"]


def test_keyword_terms_are_stemmed_words_and_phrases():
    assert keyword_terms("chemo side effects", also=["stage iv"]) == ["chemo", "side", "effect", "stage iv"]
    assert keyword_terms("the cancer spread", common=frozenset({"cancer"})) == ["spread"]
    assert keyword_terms("cancer", common=frozenset({"cancer"})) == ["cancer"], "never left with nothing"


def test_index_stores_the_list_and_its_words(corpus_index):
    reader = publishing.open_version(corpus_index)
    groups = reader.manifest.synonyms
    assert ["chemo", "chemotherapy"] in groups
    assert ("chemo", 2) in reader.vocabulary() or dict(reader.vocabulary())["chemo"] >= 2


def test_lay_word_finds_the_pages_word(app):
    snapshot = services(app).retriever.snapshot()
    terms = keyword_terms("chemo", expansions("chemo", snapshot.synonyms), snapshot.common)
    records = snapshot.reader.passages([passage_id for passage_id, _ in snapshot.reader.keyword(terms, 5)])
    assert any("Chemotherapy" in r.text for r in records.values())
    assert snapshot.speller.correct("chemo side effects") is None, "synonym words are never corrected"


def test_a_synonym_list_past_its_limits_is_refused_with_one_line(tmp_path):
    import pytest

    from search_index import synonyms
    from search_index.errors import InputError

    huge = tmp_path / "synonyms.txt"
    huge.write_text(", ".join(f"term{n}" for n in range(1_100_000)), encoding="utf-8")
    with pytest.raises(InputError, match=r"has [0-9]+ bytes \(at most 262144\)"):
        synonyms.load_synonyms(huge)
    with pytest.raises(InputError, match="line 2: 21 terms in one group"):
        parse_synonyms("chemo, chemotherapy\n" + ", ".join(f"word{n}" for n in range(21)))
    with pytest.raises(InputError, match="line 1: the term 'a b c d e f g' has more than 6 words"):
        parse_synonyms("a b c d e f g, other")
    with pytest.raises(InputError, match="more than 2000 groups"):
        parse_synonyms("\n".join(f"first{n}, second{n}" for n in range(2_001)))


def test_a_keyword_search_of_more_terms_than_sqlite_binds_at_once_still_answers(corpus_index):
    from search_index.keywords import tokens

    reader = publishing.open_version(corpus_index)
    terms = [f"filler{n}" for n in range(40_000)] + tokens("mastectomy")
    assert reader.keyword(terms, 3) == reader.keyword(tokens("mastectomy"), 3) != []
