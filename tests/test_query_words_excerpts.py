"""Query words, highlights, excerpts and the question's focus."""
from __future__ import annotations

from search_app.excerpts import excerpt, highlights, segments
from search_app.query_words import content_words, question_focus
from search_app.ranking import best_of


def test_content_words_drop_stop_words_and_repeats():
    assert content_words("Can stage 4 breast cancer be cured? Can it?") == ["stage", "4", "breast", "cancer", "cured"]


def test_highlights_mark_query_words_and_their_forms():
    text = "Cancer that has spread is treated; treatments vary. Cure is rare."
    marked = [text[s:e] for s, e in highlights(text, "how is spreading cancer treated")]
    assert marked == ["Cancer", "spread", "treated", "treatments"]
    assert highlights(text, "the and of") == []


def test_excerpt_centres_on_highlights_and_shifts_spans():
    text = "Intro words. " * 40 + "Here the cure is discussed at length. " + "Outro words. " * 40
    spans = highlights(text, "cure")
    shown, moved = excerpt(text, spans, size=120)
    assert shown.startswith("… ") and shown.endswith(" …") and len(shown) <= 130
    assert [shown[s:e] for s, e in moved] == ["cure"]


def test_segments_cover_the_text():
    assert segments("a cure b", [(2, 6)]) == [("a ", False), ("cure", True), (" b", False)]


def test_question_focus_is_the_last_sentence_of_several():
    long = "My mother was diagnosed last year. She had surgery. Can the cancer come back in her bones?"
    assert question_focus(long) == "Can the cancer come back in her bones?"
    assert question_focus("Can stage 4 be cured?") is None
    assert question_focus("Hi. Can stage 4 be cured? Thanks.") is None, "fragments of under three words are ignored"


def test_best_of_keeps_each_ids_best_score():
    assert best_of([(1, 0.5), (2, 0.4)], [(2, 0.9), (3, 0.1)]) == [(2, 0.9), (1, 0.5), (3, 0.1)]
