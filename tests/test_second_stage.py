"""The second stage: the first stage's best sections read again with the question by the pair reader,
which also judges how likely the first section answers and chooses the sentence to underline. Pair
readers here are written for each test (a word they favour), on stand-in indexes; a trained model's
quality is measured by bench (README, "Second stage"). The stage is off unless reread_candidates is set."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from search_app.engine.ranking import RankingConfig, tuned
from search_app.engine.retrieval import NotReady, Retriever
from search_index import pair_reader
from tests.helpers import StandIn, build_folder, page_html, write_page

ON = RankingConfig(reread_candidates=20, reread_weight=0.1)


class Favours:
    """Scores `high` a passage (or sentence) holding `word`, `low` any other; the whole passage it
    was read in (the longest text) `whole`."""

    def __init__(self, word: str, high: float = 4.0, low: float = -4.0, whole: float | None = None) -> None:
        self.word, self.high, self.low, self.whole = word, high, low, whole
        self.read: list[list[str]] = []

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        self.read.append(list(passages))
        found = np.array([self.high if self.word in p else self.low for p in passages], dtype=np.float32)
        if self.whole is not None and len(passages) > 1:
            found[int(np.argmax([len(p) for p in passages]))] = self.whole
        return found


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory):
    root = tmp_path_factory.mktemp("kitchen")
    write_page(root / "pages", "bread.html", page_html("Bread", [
        ("Digestion", "Bread and digestion: many people ask how bread and digestion go together."),
        ("Baking", "Bake the loaf until the crust is brown.")]))
    write_page(root / "pages", "kefir.html", page_html("Fermented milk", [
        ("Gut health", "Kefir holds live cultures. Some people find it settles the stomach after meals.")]))
    build_folder(root / "pages", root / "index", embedder=StandIn())
    return root / "index"


def reader_favouring(monkeypatch, *args, **kwargs) -> Favours:
    found = Favours(*args, **kwargs)
    monkeypatch.setattr(pair_reader, "trained", lambda: found)
    return found


def test_the_pair_reader_reorders_the_first_stage(kitchen, monkeypatch):
    question = "bread and digestion"
    first_stage = Retriever(kitchen).search(question)
    assert first_stage.pages[0].title == "Bread" and first_stage.answers is None
    reader = reader_favouring(monkeypatch, "Kefir")
    result = Retriever(kitchen, replace(ON, reread_weight=1.0)).search(question)
    assert result.pages[0].title == "Fermented milk"
    assert [page.title for page in result.pages[1:]] == ["Bread"]
    assert all(text.startswith(("Bread > ", "Fermented milk > ")) for text in reader.read[0]), \
        "each passage is read with its page title and heading, as the models embed it"


def test_it_reads_at_most_the_candidates_best_sections_one_passage_each(kitchen, monkeypatch):
    reader = reader_favouring(monkeypatch, "Kefir")
    Retriever(kitchen, replace(ON, reread_candidates=2)).search("bread and digestion")
    assert len(reader.read[0]) == 2


@pytest.mark.parametrize("score, match", [(4.0, "good"), (-4.0, "weak")])
def test_how_likely_the_first_section_answers_decides_the_match(kitchen, monkeypatch, score, match):
    reader_favouring(monkeypatch, "Kefir", high=score, low=score)
    config = replace(ON, reread_calibration=(1.0, 0.0))
    result = Retriever(kitchen, config).search("does kefir settle the stomach")
    assert result.answers == pytest.approx(1 / (1 + np.exp(-score)), rel=1e-5)
    assert result.match == match


def test_a_sentence_scored_below_its_passage_is_never_underlined(kitchen, monkeypatch):
    question = "does kefir settle the stomach"
    reader_favouring(monkeypatch, "settles", high=2.0, low=-1.0, whole=3.0)
    excerpt = Retriever(kitchen, ON).search(question).shown_pages[0].passages[0].excerpt
    assert excerpt.answer is None
    reader_favouring(monkeypatch, "settles", high=5.0, low=-1.0, whole=3.0)
    excerpt = Retriever(kitchen, ON).search(question).shown_pages[0].passages[0].excerpt
    start, end = excerpt.answer
    assert excerpt.text[start:end] == "Some people find it settles the stomach after meals."


def test_a_question_in_a_language_it_does_not_read_keeps_the_first_stage(kitchen, monkeypatch):
    reader = reader_favouring(monkeypatch, "Kefir")
    result = Retriever(kitchen, ON).search("¿el kéfir ayuda a la digestión del estómago?")
    assert result.language == "es" and result.answers is None and reader.read == []


def test_a_second_stage_that_cannot_be_read_is_reported_not_served(kitchen, monkeypatch):
    def damaged():
        raise ValueError("model.int8.onnx: protobuf parsing failed")

    monkeypatch.setattr(pair_reader, "trained", damaged)
    with pytest.raises(NotReady, match="second stage.*protobuf parsing failed.*make train-ranker"):
        Retriever(kitchen, ON).snapshot()
    assert Retriever(kitchen).snapshot(), "off, the stage's model is never read"


@pytest.mark.model
def test_a_trained_pair_reader_reads_a_question_longer_than_its_window():
    if not (pair_reader.RANKER_DIR / pair_reader.GRAPH).is_file():
        pytest.skip("no pair reader trained on this machine (make train-ranker)")
    reader = pair_reader.PairReader()
    question = " ".join(["my mother was told the cancer has spread and we want to know what happens next"] * 40)
    scores = reader.scores(question, ["Breast cancer > Treatment\nTreatment can control the cancer.", "Short."])
    assert scores.shape == (2,) and np.isfinite(scores).all()
    assert reader.scores(question, []).shape == (0,)


def test_a_page_its_title_lifts_above_the_sections_read_is_judged_by_the_first_stage(tmp_path, monkeypatch):
    write_page(tmp_path / "pages", "sourdough.html", page_html("Sourdough bread", [
        ("Storage", "Keep the loaf wrapped in a cotton cloth in a cool cupboard, away from damp walls and warm "
                    "ovens, for up to three days.")]))
    write_page(tmp_path / "pages", "baking.html", page_html("Baking day", [
        ("Loaves", "Sourdough bread: sourdough bread rises slowly.")]))
    build_folder(tmp_path / "pages", tmp_path / "index", embedder=StandIn())
    reader = reader_favouring(monkeypatch, "rises")
    config = tuned(replace(ON, reread_candidates=1, title_weight=2.0), "en.title_floor", 0.0)
    result = Retriever(tmp_path / "index", config).search("sourdough bread")
    assert [p[0] for p in reader.read] == ["Baking day > Loaves\nSourdough bread: sourdough bread rises slowly."]
    assert result.pages[0].title == "Sourdough bread", "its title lifts the page whose section was not read"
    assert result.answers is None and result.match in ("good", "weak")
