"""Spelling correction against the index's vocabulary."""
from __future__ import annotations

from bs4 import BeautifulSoup

from search_app.engine.spelling import Speller, english_words

VOCABULARY = [("metastatic", 40), ("breast", 120), ("cancer", 300), ("tamoxifen", 12), ("chemotherapy", 30),
              ("her2", 9), ("bones", 15), ("lymphedema", 4), ("rarely", 1), ("treatment", 80), ("treated", 25),
              ("care", 30), ("some", 50)]


def speller() -> Speller:
    """A speller that knows no English words beyond its vocabulary, to test the corrections themselves."""
    return Speller(VOCABULARY, english={})


def test_common_misspellings_corrected():
    s = speller()
    assert s.correct("metastic brest cancer") == "metastatic breast cancer"
    assert s.correct("side effects of tamoxifin") == "side effects of tamoxifen"
    assert s.correct("chemoterapy and my bones") == "chemotherapy and my bones"


def test_english_words_are_never_changed():
    """On a small corpus "cure" is one edit from "care" and "come" from "some": English words are known."""
    s = Speller(VOCABULARY)
    assert {"cure", "come", "back", "alive", "guidelines"} <= english_words()
    assert s.correct("is there a cure for stage 4") is None
    assert s.correct("can it come back years later") is None
    assert s.correct("metastic breast cancer tamoxifin") == "metastatic breast cancer tamoxifen", \
        "words that are neither in the corpus nor English are still corrected"


def test_an_english_word_the_corpus_lacks_is_corrected_to_the_corpus_s_own_word():
    """"brest" is an English word (a city) far rarer than "breast", a word of this corpus's own."""
    s = Speller(VOCABULARY + [("big", 2), ("lymph", 20), ("wigs", 3)])
    assert s.correct("brest cancer in men") == "breast cancer in men"
    assert s.correct("wat is tripple negitive brest cancer").endswith("breast cancer")
    assert s.correct("a big lump") is None, "a corpus word is never changed"
    assert s.correct("where can i buy a wig") is None, "'big' is an everyday word, not the corpus's own"
    assert s.correct("nymph") is None, "'lymph' is not far more common in English than 'nymph'"


def test_vocabulary_and_short_words_left_alone():
    s = speller()
    assert s.correct("metastatic breast cancer") is None
    assert s.correct("her2 treated") is None, "corpus words, numbers inside words"
    assert s.correct("what is the use") is None, "stop words and short words"
    assert s.correct("stage 4 1234") is None


def test_rare_corpus_words_are_known_but_never_suggested():
    s = speller()
    assert s.correct("rarely") is None
    assert s.correct("rarelly") is None, "a word seen once is no suggestion"


def test_case_and_punctuation_kept():
    assert speller().correct("Brest cancer, metastic?") == "Breast cancer, metastatic?"


def test_api_reports_correction_and_honours_switch(client):
    body = client.get("/api/search", query_string={"q": "can metastic brest cancer be cured"}).get_json()
    assert body["corrected_query"] == "can metastatic breast cancer be cured"
    assert body["results"][0]["passages"][0]["section"] == "Treatment for metastatic breast cancer"
    exact = client.get("/api/search", query_string={"q": "can metastic brest cancer be cured", "correct": "false"})
    assert exact.get_json()["corrected_query"] is None
    assert client.get("/api/search", query_string={"q": "cured", "correct": "maybe"}).status_code == 400
    assert client.get("/api/search", query_string={"q": "metastatic breast cancer"}).get_json()["corrected_query"] is None


def test_page_offers_the_original_words(client):
    response = client.get("/", query_string={"q": "metastic breast cancer treatmint"})
    soup = BeautifulSoup(response.data, "html.parser")
    notice = soup.select_one("p.corrected")
    assert "Showing results for" in notice.get_text() and "metastatic breast cancer treatment" in notice.get_text()
    original = notice.find_all("a")[-1]
    assert original.get_text() == "metastic breast cancer treatmint"
    follow = client.get(original["href"])
    assert b"Showing results for" not in follow.data
    assert b'value="metastic breast cancer treatmint"' in follow.data
