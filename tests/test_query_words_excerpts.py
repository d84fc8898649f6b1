"""Query words, highlights, excerpts and the question's focus."""
from __future__ import annotations

import numpy as np

from search_app.engine.excerpts import excerpt, highlights, segments
from search_app.engine.query_words import content_words, question_focus
from search_app.engine.ranking import best_of
from search_app.engine.retrieval import Retriever
from search_index.text import sentence_spans
from tests.helpers import StandIn, build_folder, page_html, write_page


def test_content_words_drop_stop_words_and_repeats():
    assert content_words("Can stage 4 breast cancer be cured? Can it?") == ["stage", "4", "breast", "cancer", "cured"]


def test_highlights_mark_query_words_and_their_forms():
    text = "Cancer that has spread is treated; treatments vary. Cure is rare."
    marked = [text[s:e] for s, e in highlights(text, "how is spreading cancer treated")]
    assert marked == ["Cancer", "spread", "treated", "treatments"]
    assert highlights(text, "the and of") == []


def test_excerpt_is_whole_sentences_around_the_most_highlighted_and_shifts_spans():
    text = "Intro words here. " * 40 + "Here the cure is discussed at length. " + "Outro words here. " * 40
    spans = highlights(text, "cure")
    shown, moved = excerpt(text, spans, size=120)
    assert shown.startswith("… ") and shown.endswith(" …") and len(shown) <= 124
    assert "Here the cure is discussed at length." in shown
    assert whole_sentences(text, shown)
    assert [shown[s:e] for s, e in moved] == ["cure"]


def whole_sentences(text: str, shown: str) -> bool:
    """Whether an excerpt of text starts at a sentence start and ends at a sentence end."""
    body = shown.removeprefix("… ").removesuffix(" …")
    spans = sentence_spans(text)
    start = text.find(body)
    return start in {s for s, _ in spans} and start + len(body) in {e for _, e in spans}


LEAD = "Breast cancer that has spread to other parts of the body is called metastatic breast cancer. "
QUALIFIED = [
    ("can stage 4 be cured", "As hard as it is to hear, metastatic breast cancer cannot be cured. "
     "Unlike breast cancer that has not spread, treatment aims to control it for as long as possible."),
    ("spread to my bones is it bone cancer", "Breast cancer that spreads to the bones is not bone cancer. "
     "It is made of breast cancer cells and is treated as breast cancer."),
    ("does it come back in the skin", "Breast cancer rarely comes back in the skin of the chest wall. "
     "When it does, it can often be treated again."),
]


def test_excerpts_keep_negations_and_qualifiers_with_their_sentence():
    for question, passage in QUALIFIED:
        text = LEAD * 4 + passage + " " + LEAD * 4
        shown, _ = excerpt(text, highlights(text, question), size=200)
        first = passage.split(". ")[0] + "."
        assert first in shown, (question, shown)
        assert whole_sentences(text, shown), shown


def test_a_sentence_longer_than_two_excerpts_is_cut_at_a_word():
    text = "Short one. " + "word " * 300 + "end. Another sentence."
    shown, _ = excerpt(text, highlights(text, "word"))
    assert len(shown) <= 2 * 320 + 4 and shown.endswith(" …") and not shown.endswith("wor …")


def test_segments_cover_the_text():
    assert segments("a cure b", [(2, 6)]) == [("a ", False), ("cure", True), (" b", False)]


def test_question_focus_is_the_last_sentence_of_several():
    long = "My mother was diagnosed last year. She had surgery. Can the cancer come back in her bones?"
    assert question_focus(long) == "Can the cancer come back in her bones?"
    assert question_focus("Can stage 4 be cured?") is None
    assert question_focus("Hi. Can stage 4 be cured? Thanks.") is None, "fragments of under three words are ignored"


def test_best_of_keeps_each_ids_best_score():
    assert best_of([(1, 0.5), (2, 0.4)], [(2, 0.9), (3, 0.1)]) == [(2, 0.9), (1, 0.5), (3, 0.1)]


def test_words_most_passages_hold_are_not_highlighted(tmp_path):
    """On a site about lava every passage holds "lava": marking it would mark every line."""
    write_page(tmp_path / "pages", "flows.html", page_html("Lava flows", [
        ("Speed", "Lava flows move slowly, and lava cools as it goes."), ("Colour", "Hot lava glows red.")]))
    write_page(tmp_path / "pages", "tubes.html", page_html("Lava tubes", [("Caves", "Tubes form under a crust."),
                                                                        ("Visits", "Some tubes can be walked.")]))
    write_page(tmp_path / "pages", "rocks.html", page_html("Lava rocks", [("Basalt", "Most lava becomes basalt.")]))
    build_folder(tmp_path / "pages", tmp_path / "index", embedder=StandIn())
    result = Retriever(tmp_path / "index").search("how fast does lava flow")
    shown = next(p for page in result.shown_pages for p in page.passages if p.section == "Speed")
    assert [shown.record.text[s:e] for s, e in shown.highlights] == ["flows"]
    alone = Retriever(tmp_path / "index").search("lava")
    assert all(p.highlights == [] for page in alone.shown_pages for p in page.passages)


def test_a_heading_or_a_list_item_is_never_marked_as_the_answer():
    from search_app.engine.answers import AnswerMarker

    shown = ("Hormone therapy\nHormone therapy removes hormones or blocks their action.\nTamoxifen\n"
             "It is taken by mouth.")
    vectors = {"Hormone therapy": [1.0, 0.0, 0.0], "Tamoxifen": [0.9, 0.1, 0.0],
               "Hormone therapy removes hormones or blocks their action.": [0.6, 0.8, 0.0],
               "It is taken by mouth.": [0.0, 0.0, 1.0]}
    marker = AnswerMarker(lambda texts: np.array([vectors[t] for t in texts], dtype=np.float32), 0.3)
    start, end = marker.mark(np.array([1.0, 0.0, 0.0]), shown)
    assert shown[start:end] == "Hormone therapy removes hormones or blocks their action."
    vectors.update({"Who gets it?": [1.0, 0.0, 0.0], "Treatment may include:": [0.95, 0.0, 0.3]})
    listed = "Who gets it?\nTreatment may include:\nTamoxifen\nIt is taken by mouth."
    start, end = marker.mark(np.array([1.0, 0.0, 0.0]), listed)
    assert listed[start:end] == "Treatment may include:", "a list's opening, with its list shown, may be marked"
    cut = "It is taken by mouth.\nWho gets it?\nTreatment may include:"
    start, end = marker.mark(np.array([0.7, 0.0, 0.7]), cut)
    assert cut[start:end] == "It is taken by mouth.", "never a question, nor a list's opening without its list"


def test_a_list_item_closest_to_the_question_is_marked_by_its_lists_opening():
    from search_app.engine.answers import AnswerMarker

    vectors = {"Recovery depends on the following:": [0.5, 0.5, 0.0], "The stage of the cancer.": [0.0, 1.0, 0.0],
               "The type of breast cancer.": [1.0, 0.0, 0.0], "Older age is the main risk factor.": [0.0, 0.0, 1.0],
               "Risk grows with age.": [0.0, 0.6, 0.8]}
    marker = AnswerMarker(lambda texts: np.array([vectors[t] for t in texts], dtype=np.float32), 0.3)
    listed = "Recovery depends on the following:\nThe stage of the cancer.\nThe type of breast cancer."
    start, end = marker.mark(np.array([1.0, 0.0, 0.0]), listed)
    assert listed[start:end] == "Recovery depends on the following:", "the item alone says something else"
    headed = "Recovery depends on the following:\nOlder age\nOlder age is the main risk factor. Risk grows with age."
    start, end = marker.mark(np.array([0.0, 0.0, 1.0]), headed)
    assert headed[start:end] == "Older age is the main risk factor.", "a paragraph under a list is no item"
    after = ("Recovery depends on the following:\nOlder age is the main risk factor. Risk grows with age.\n"
             "The type of breast cancer.")
    start, end = marker.mark(np.array([1.0, 0.0, 0.0]), after)
    assert after[start:end] == "The type of breast cancer.", "a paragraph ends the list"
