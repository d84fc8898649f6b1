"""Training data for the second stage (training.medquad): MedQuAD's answered pairs, every evaluation
question left out, questions also asked plainly, and held-out groups whole pages apart."""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, replace

import pytest

from training import medquad
from training.__main__ import main as training_main
from training.cross_encoder import Recipe, split, write_card

DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000042" source="GARD" url="https://rarediseases.info.nih.gov/gard/42/x">
<Focus>Lava fever</Focus>
<FocusAnnotations><Synonyms><Synonym>Volcano flu</Synonym></Synonyms></FocusAnnotations>
<QAPairs>
  <QAPair pid="1"><Question qid="0000042-1" qtype="information">What is (are) Lava fever ?</Question>
    <Answer>Lava fever is a made-up illness of volcano guides.</Answer></QAPair>
  <QAPair pid="2"><Question qid="0000042-2" qtype="symptoms">What are the symptoms of Lava fever ?</Question>
    <Answer>Warm hands.</Answer></QAPair>
  <QAPair pid="3"><Question qid="0000042-3" qtype="treatment">What are the treatments for Lava fever ?</Question>
    <Answer></Answer></QAPair>
</QAPairs></Document>
"""


def test_answered_pairs_are_read_with_their_focus_and_synonyms(tmp_path):
    (tmp_path / "2_GARD_QA").mkdir()
    (tmp_path / "2_GARD_QA" / "0000042.xml").write_text(DOCUMENT, encoding="utf-8")
    pairs = list(medquad.read_pairs(tmp_path))
    assert [(site, doc, qtype) for site, doc, _, qtype, _, _ in pairs] == [("GARD", "0000042", "information"),
                                                                           ("GARD", "0000042", "symptoms")]
    assert pairs[0][5] == ["Lava fever", "Volcano flu"], "a pair without an answer is left out"


def test_every_evaluation_question_is_held_out(tmp_path):
    (tmp_path / "set.jsonl").write_text(json.dumps({"query": "What is (are) Lava fever ?", "relevant": []}) + "\n")
    (tmp_path / "unanswered.txt").write_text("can lava fever come back\n")
    held = medquad.held_out_questions([tmp_path / "set.jsonl", tmp_path / "unanswered.txt"])
    assert medquad.normalise("what is (are) lava fever?") in held
    assert medquad.normalise("Can lava fever come back?") in held


def test_questions_are_also_asked_plainly_and_the_same_seed_asks_alike():
    asked = medquad.asked("What are the symptoms of Lava fever ?", "symptoms", ["Lava fever"], random.Random(7))
    rng = random.Random(3)
    forms = {medquad.asked("What are the symptoms of Lava fever ?", "symptoms", ["Lava fever"], rng)
             for _ in range(40)}
    assert "What are the symptoms of Lava fever ?" in forms
    assert "what are the symptoms of lava fever" in forms
    assert forms & {"signs of lava fever", "how do i know if i have lava fever", "lava fever symptoms"}
    assert asked == medquad.asked("What are the symptoms of Lava fever ?", "symptoms", ["Lava fever"],
                                  random.Random(7))


def test_the_answering_section_is_the_one_whose_text_starts_like_the_answer():
    candidates = [medquad.Candidate("GARD/1", 0, "Lava fever > Summary\nA fever of volcano guides."),
                  medquad.Candidate("GARD/1", 1, "Lava fever > Symptoms\nWarm   hands and a red face.")]
    assert medquad.answering_section(candidates, "Warm hands and a red face.") == 1
    assert medquad.answering_section(candidates, "Cold feet.") is None


def test_held_out_groups_keep_every_question_of_a_page_together():
    groups = [medquad.Group(f"question {i}", ("answer", "other"), f"GARD/{i % 40}") for i in range(400)]
    training, held_out = split(groups, 0.2)
    assert held_out and training
    assert not {g.page for g in training} & {g.page for g in held_out}


def test_the_model_card_names_the_reader_the_ranker_started_from(tmp_path):
    figures = {"training_groups": 10, "held_out_groups": 2, "held_out_first_before": 0.5,
               "held_out_first_after": 1.0, "held_out_first_int8": 1.0, "seconds": 3}
    (tmp_path / "tokenizer.json").write_text("{}")
    for base, named, other in (("e5", "multilingual-e5-small", "all-MiniLM-L6-v2"),
                               ("minilm", "all-MiniLM-L6-v2", "multilingual-e5-small")):
        recipe = asdict(replace(Recipe(), base=base, layers=6))
        (tmp_path / "training.json").write_text(json.dumps({"recipe": recipe, "figures": figures}))
        write_card(tmp_path)
        card = (tmp_path / "README.md").read_text(encoding="utf-8")
        assert f"The first 6 layers of {named}" in card and other not in card
        assert hashlib.sha256(b"{}").hexdigest() in card


def test_minilm_has_six_layers_to_keep(capsys):
    with pytest.raises(SystemExit):
        training_main(["ranker", "--medquad", "m", "--pages", "p", "--held-out", "h", "--layers", "8"])
    assert "MiniLM has 6 layers" in capsys.readouterr().err
