"""The evaluator's metrics, on hand-made rankings and on a tiny hand-made index."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from bench.evaluate import Judged, evaluate, load_queries, ndcg, recall, reciprocal_rank
from search_app.engine.retrieval import Retriever
from tests.helpers import ROOT, StandIn, build_folder, page_html, write_page

A, B, C, D = ("u1", "s1"), ("u1", "s2"), ("u2", "s1"), ("u3", "s1")


def test_ndcg_by_hand():
    grades = {A: 3, C: 1}
    assert ndcg([A, C], grades) == pytest.approx(1.0)
    expected = (1 / math.log2(2) + 3 / math.log2(3)) / (3 / math.log2(2) + 1 / math.log2(3))
    assert ndcg([C, A], grades) == pytest.approx(expected)
    assert ndcg([B, D], grades) == 0.0
    assert ndcg([B] * 10 + [A], grades) == 0.0, "only the top 10 count"


def test_recall_and_reciprocal_rank_by_hand():
    grades = {A: 1, C: 2, D: 3}
    assert recall([B, C, A], set(grades), 10) == pytest.approx(2 / 3)
    assert reciprocal_rank([B, A, C], grades) == pytest.approx(1 / 3), "grade 1 is related, not an answer"
    assert reciprocal_rank([B, B, B], grades) == 0.0


PAGES = {
    "bread.html": ("Baking bread", "Knead the dough, let it rise for an hour, then bake the loaf in a hot oven."),
    "volcano.html": ("Volcanoes", "A volcano erupts when molten rock and gas escape; lava flows down its slopes."),
    "piano.html": ("Playing the piano", "Practise scales on the piano keys every day to train your fingers."),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    for name, (title, text) in PAGES.items():
        write_page(root / "pages", name, page_html(title, [("How", text)], canonical=f"https://t.example/{name}"))
    build_folder(root / "pages", root / "index", allow_hosts=frozenset({"t.example"}), embedder=StandIn())
    queries = [
        {"query": "how long should dough rise before baking a loaf", "relevant": [
            {"url": "https://t.example/bread.html", "section": "How", "grade": 3}]},
        {"query": "what happens when a volcano erupts", "relevant": [
            {"url": "https://t.example/volcano.html", "section": "How", "grade": 2},
            {"url": "https://t.example/missing.html", "section": "Gone", "grade": 1}]},
    ]
    qfile = root / "queries.jsonl"
    qfile.write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    return root, qfile


def test_evaluate_on_a_tiny_index(tiny):
    root, qfile = tiny
    retriever = Retriever(root / "index")
    summary = evaluate(retriever, load_queries(qfile), "dense")
    # Query 1: its only section first -> nDCG 1, recall 1, RR 1, success 1, page recall 1.
    # Query 2: volcano first (gain 2) of ideal [2, 1] -> nDCG 2 / (2 + 1/log2(3)); half the graded sections found;
    #          RR 1; success 1; one of its two pages found.
    ndcg2 = 2 / (2 + 1 / math.log2(3))
    assert summary["n"] == 2
    assert summary["ndcg10"] == pytest.approx((1 + ndcg2) / 2, abs=1e-4)
    assert summary["recall10"] == pytest.approx((1 + 0.5) / 2)
    assert summary["mrr10"] == 1.0 and summary["success1"] == 1.0
    assert summary["page_recall5"] == pytest.approx((1 + 0.5) / 2)


@pytest.mark.slow
def test_evaluate_cli_json(tiny, tmp_path):
    root, qfile = tiny
    build_folder(root / "pages", tmp_path / "index", allow_hosts=frozenset({"t.example"}))  # the real models
    result = subprocess.run([sys.executable, "-m", "bench.evaluate", "--index-dir", str(tmp_path / "index"),
                             "--queries", str(qfile), "--mode", "dense", "--json"],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    body = json.loads(result.stdout)
    assert set(body) == {"n", "ndcg10", "recall10", "mrr10", "success1", "page_recall5", "refused", "wrongly_corrected"}
    assert body["n"] == 2 and body["mrr10"] == 1.0


def test_load_queries_head(tiny):
    _, qfile = tiny
    assert [q.query for q in load_queries(qfile, head=1)] == ["how long should dough rise before baking a loaf"]
    assert isinstance(load_queries(qfile)[1], Judged)


def test_a_learned_combination_finds_the_signal_that_ranks_the_judged_sections():
    from bench.combination import Candidate, fit, measure, order

    rng = np.random.default_rng(7)

    def question(i: int) -> tuple[Judged, list[Candidate]]:
        rows = [Candidate(f"https://t.example/{i}/{k}", "How", k, int(k == 3),
                          {"base": float(rng.normal()), "coverage": float(k == 3) + 0.1 * float(rng.normal())})
                for k in range(8)]
        return Judged(f"q{i}", {(f"https://t.example/{i}/3", "How"): 3}), rows

    questions = [question(i) for i in range(20)]
    weights, mean, deviation = fit([rows for _, rows in questions[::2]], ("base", "coverage"))
    assert weights[1] > 5 * abs(weights[0]), "the signal that marks the judged section weighs most"
    learned = measure(questions[1::2], lambda rows: (np.array([[r.signals["base"], r.signals["coverage"]]
                                                               for r in rows]) - mean) / deviation @ weights, 5)
    default = measure(questions[1::2], lambda rows: np.array([r.signals["base"] for r in rows]), 5)
    assert learned == {"ndcg10": 1.0, "success1": 1.0} and default["success1"] < 0.5
    rows = questions[0][1][:3]
    assert order(rows, np.array([0.1, 0.9, 0.5]), 5) == [(r.url, "How") for r in (rows[1], rows[2], rows[0])]


def test_the_learned_combination_tool_on_a_tiny_index(tiny, capsys):
    from bench.combination import main

    root, qfile = tiny
    assert main(["--set", str(root / "index"), str(qfile), "--features", "base", "minilm", "coverage",
                 "section_minilm", "section_e5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| tested on | set | n |") and len(table) == 4
    assert [line.split(" | ")[:3] for line in table[2:]] == [["| A", "queries", "1"], ["| B", "queries", "1"]]


def test_a_section_vector_is_the_unit_mean_of_its_passages(tmp_path):
    from search_index import publishing

    long = " ".join(f"Sentence {i} says something different about bread and ovens." for i in range(40))
    write_page(tmp_path / "pages", "a.html", page_html("Bread", [("Long", long), ("Short", "Knead the dough.")]))
    build_folder(tmp_path / "pages", tmp_path / "index", embedder=StandIn())
    reader = publishing.open_version(tmp_path / "index")
    section_of = reader._owners[0]
    sizes = []
    for section in sorted(set(section_of[1:].tolist())):
        members = np.flatnonzero(section_of == section)
        sizes.append(len(members))
        mean = reader.model_vectors["minilm"].reconstruct_batch(members).mean(axis=0)
        assert np.allclose(reader.section_vectors([section], "minilm")[0], mean / np.linalg.norm(mean), atol=1e-6)
    assert max(sizes) > 1 and min(sizes) == 1


def test_the_pool_lists_each_ungraded_first_section_once(tiny, tmp_path, capsys):
    from bench.pool import main

    root, _ = tiny
    queries = tmp_path / "pool.jsonl"
    queries.write_text("\n".join(json.dumps(q) for q in [
        {"query": "knead the dough and bake the loaf", "relevant": [
            {"url": "https://t.example/bread.html", "section": "How", "grade": 3}]},
        {"query": "lava flows down the volcano slopes", "relevant": [
            {"url": "https://t.example/piano.html", "section": "How", "grade": 1}]}]) + "\n")
    assert main(["--index-dir", str(root / "index"), "--queries", str(queries), "--modes", "keyword", "hybrid"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["set"], row["query"], row["url"], row["section"], row["mode"]) for row in rows] == [
        ("pool", "lava flows down the volcano slopes", "https://t.example/volcano.html", "How", "keyword")]
    assert "lava flows down its slopes" in rows[0]["text"]


def test_sections_read_and_found_not_to_answer_are_not_pooled_again_nor_counted(tiny, tmp_path, capsys):
    from bench.pool import main

    root, _ = tiny
    queries = tmp_path / "read.jsonl"
    queries.write_text(json.dumps({"query": "lava flows down the volcano slopes", "relevant": [
        {"url": "https://t.example/piano.html", "section": "How", "grade": 1}], "not_relevant": [
        {"url": "https://t.example/volcano.html", "section": "How"}]}) + "\n")
    assert main(["--index-dir", str(root / "index"), "--queries", str(queries), "--modes", "keyword", "hybrid"]) == 0
    assert capsys.readouterr().out == ""
    judged = load_queries(queries)
    assert judged[0].grades == {("https://t.example/piano.html", "How"): 1}
    assert evaluate(Retriever(root / "index"), judged, "keyword")["success1"] == 0.0


def test_the_levers_tool_measures_the_mode_it_is_given(tiny, tmp_path, capsys):
    from bench.levers import main

    root, _ = tiny
    qfile = tmp_path / "piano.jsonl"
    qfile.write_text(json.dumps({"query": "bread", "relevant": [
        {"url": "https://t.example/piano.html", "section": "How", "grade": 3}]}) + "\n")
    ndcg = {}
    for mode in ("default", "keyword"):
        assert main(["--index-dir", str(root / "index"), "--queries", str(qfile), "--lever", "en.keyword_weight",
                     "0.2", "--mode", mode]) == 0
        row = capsys.readouterr().out.splitlines()[-1].split(" | ")
        ndcg[mode] = float(row[4])
    assert ndcg["default"] > 0 and ndcg["keyword"] == 0, "BM25 alone never finds the page without the word"
