"""A learned combination of the first stage's signals, measured on halves: fitted on one half of the
judged questions, tested on the other.

    python -m bench.combination --set INDEX_DIR FILE.jsonl [FILE.jsonl ...] [--set INDEX_DIR FILE ...]
        [--pair-reader DIR] [--features NAME ...]

Each judged question read in the corpus's language gives its best sections (at most 40, by the
default score), each with the signals the search already computes for its best passage: `base` (the
default score with its page's title bonus: what the app ranks by), `minilm` (MiniLM's cosine, the
best over the question's phrasings), `e5` (e5's cosine, standardised over the passages), `bm25` (the
keyword score scaled to the best hit), `title_e5` (e5's cosine of the page title), `coverage` (the
share of the question's content words in the passage, its title and heading), `section_minilm` and
`section_e5` (each model's cosine with the mean of the section's passage vectors: the section as a
whole) and, with --pair-reader, `pair` (the trained pair reader's score of question and passage). A weighting of the
chosen signals is fitted by pairwise logistic regression (two sections of one question judged apart)
on the even-numbered questions of every set and tested on the odd-numbered ones (half B), then the
other way round (half A). For each set and half it prints nDCG@10 and Success@1 of the default order
of those sections and of the learned one, and the weights (on signals standardised over the
questions they were fitted on).
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.evaluate import Judged, load_queries, ndcg
from search_app.engine import pipeline, ranking, rereading
from search_app.engine.profiles import for_site, spoken
from search_app.engine.ranking import RankingConfig
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_app.engine.strategies import strategy_for
from search_index.format import Owner, set_search_threads
from search_index.pair_reader import PairReader
from search_index.text import STOP_WORDS, in_context, words

SECTIONS = 40
SIGNALS = ("base", "minilm", "e5", "bm25", "title_e5", "coverage", "section_minilm", "section_e5", "pair")


@dataclass(frozen=True)
class Candidate:
    """One section of a question's candidates: where it is, its judged grade and its signals."""

    url: str
    section: str
    page: int
    grade: int
    signals: dict[str, float]


def candidates(retriever: Retriever, judged: Judged, pair_reader: PairReader | None) -> list[Candidate]:
    """The question's best sections with their signals; none for a question read in another language."""
    snapshot, config = retriever.snapshot(), retriever.config
    options = SearchOptions()
    spoken_in = spoken(judged.query, options.interface, config.profiles)
    if spoken_in is not config.profiles[0]:
        return []
    profile = for_site(spoken_in, snapshot.ranking, config.pinned)
    strategy = strategy_for("default", profile)
    question = pipeline.understand(judged.query, profile, options, snapshot)
    reader = pipeline.Reader(snapshot, retriever.encoders, config.dense_candidates)
    reading = reader.read(profile.reader, question.phrasings)
    found = pipeline.first_stage(snapshot, reader, question, reading, profile, strategy, config, None)
    bonus = pipeline.page_bonus(snapshot, found.owners, reading, found.other, strategy, profile, config) or {}
    chosen = rereading.candidates(found.owners, found.scores, SECTIONS)
    if not chosen:
        return []
    other = found.other()
    reader_cosines = np.max([snapshot.reader.cosines(chosen, vector, reading.model) for vector in reading.vectors],
                            axis=0)
    mean, deviation = snapshot.spread(other.vectors[0], other.model)
    other_cosines = (snapshot.reader.cosines(chosen, other.vectors[0], other.model) - mean) / deviation
    pages = [found.owners[p].page_id for p in chosen]
    titles = dict(zip(pages, snapshot.reader.title_vectors(pages, other.model) @ other.vectors[0], strict=True))
    top = max((score for _, score in found.keyword), default=0.0)
    keyword = {p: score / top for p, score in found.keyword} if top else {}
    sections = [found.owners[p].section_id for p in chosen]
    whole = {model: snapshot.reader.section_vectors(sections, model) @ vector
             for model, vector in ((reading.model, reading.vectors[0]), (other.model, other.vectors[0]))}
    records = snapshot.reader.passages(chosen)
    paired = (pair_reader.scores(question.text, [in_context(records[p].title, records[p].heading_path,
                                                            records[p].text) for p in chosen])
              if pair_reader else np.zeros(len(chosen)))
    asked = [w for w in words(question.text) if w not in STOP_WORDS]
    rows = []
    for i, passage_id in enumerate(chosen):
        record = records[passage_id]
        held = set(words(" ".join((record.title, record.section, record.text))))
        url = record.original_url or record.url
        signals = {"base": found.scores[passage_id] + bonus.get(pages[i], 0.0), "minilm": float(reader_cosines[i]),
                   "e5": float(other_cosines[i]), "bm25": keyword.get(passage_id, 0.0),
                   "title_e5": float(titles[pages[i]]),
                   "coverage": sum(w in held for w in asked) / len(asked) if asked else 0.0,
                   "section_minilm": float(whole[reading.model][i]), "section_e5": float(whole[other.model][i]),
                   "pair": float(paired[i])}
        rows.append(Candidate(url, record.section, pages[i], judged.grades.get((url, record.section), 0), signals))
    return rows


def order(rows: list[Candidate], scores: np.ndarray, sections_per_page: int) -> list[tuple[str, str]]:
    """(url, section) as results show them (search_app.engine.ranking.group: pages by their best section,
    each with its best sections); each row is a section, standing in as its own passage."""
    owners = {i: Owner(i, row.page) for i, row in enumerate(rows)}
    ranked = ranking.group(owners, dict(enumerate(scores.tolist())), None, sections_per_page)
    return list(dict.fromkeys((rows[i].url, rows[i].section) for page in ranked for _, i, _ in page.sections))


def matrix(rows: list[Candidate], names: tuple[str, ...]) -> np.ndarray:
    return np.array([[row.signals[name] for name in names] for row in rows])


def fit(questions: list[list[Candidate]], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights (and the signals' means and deviations) by pairwise logistic regression."""
    from sklearn.linear_model import LogisticRegression

    every = np.vstack([matrix(rows, names) for rows in questions])
    mean, deviation = every.mean(axis=0), every.std(axis=0) + 1e-9
    differences = []
    for rows in questions:
        x = (matrix(rows, names) - mean) / deviation
        for i, j in itertools.combinations(range(len(rows)), 2):
            if rows[i].grade != rows[j].grade:
                differences.append(x[i] - x[j] if rows[i].grade > rows[j].grade else x[j] - x[i])
    if not differences:
        raise SystemExit("no two sections of one question are judged apart: nothing to fit")
    x = np.vstack([np.array(differences), -np.array(differences)])
    y = np.concatenate([np.ones(len(differences)), np.zeros(len(differences))])
    model = LogisticRegression(C=0.1, fit_intercept=False, max_iter=2000).fit(x, y)
    return model.coef_[0], mean, deviation


def measure(questions: list[tuple[Judged, list[Candidate]]], scorer, sections_per_page: int) -> dict[str, float]:
    ndcgs, firsts = [], []
    for judged, rows in questions:
        shown = order(rows, scorer(rows), sections_per_page) if rows else []
        ndcgs.append(ndcg(shown, judged.grades))
        firsts.append(1.0 if shown and judged.grades.get(shown[0], 0) > 0 else 0.0)
    return {"ndcg10": round(statistics.fmean(ndcgs), 4), "success1": round(statistics.fmean(firsts), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.combination", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="sets", nargs="+", action="append", required=True,
                        metavar=("INDEX_DIR", "FILE"), help="an index and judged question files of it (repeatable)")
    parser.add_argument("--pair-reader", type=Path, help="a trained pair reader's folder: adds the `pair` signal")
    parser.add_argument("--features", nargs="+", choices=SIGNALS,
                        default=["base", "minilm", "e5", "bm25", "title_e5", "coverage"])
    args = parser.parse_args(argv)
    if "pair" in args.features and not args.pair_reader:
        parser.error("the pair signal needs --pair-reader")
    set_search_threads(1)
    pair_reader = PairReader(args.pair_reader) if args.pair_reader else None
    names = tuple(args.features)
    config = RankingConfig()
    sets: dict[str, list[tuple[Judged, list[Candidate]]]] = {}
    for index_dir, *files in args.sets:
        retriever = Retriever(Path(index_dir), config)
        for file in files:
            judged = load_queries(Path(file))
            sets[Path(file).stem] = [(j, candidates(retriever, j, pair_reader)) for j in judged]
    halves = {"A": [q for qs in sets.values() for q in qs[0::2]], "B": [q for qs in sets.values() for q in qs[1::2]]}
    print("| tested on | set | n | nDCG@10 default | nDCG@10 learned | Success@1 default | Success@1 learned |")
    print("|---|---|---|---|---|---|---|")
    for test, train in (("A", "B"), ("B", "A")):
        weights, mean, deviation = fit([rows for _, rows in halves[train] if rows], names)
        learned = lambda rows: ((matrix(rows, names) - mean) / deviation) @ weights  # noqa: E731
        default = lambda rows: matrix(rows, ("base",))[:, 0]  # noqa: E731
        for set_name, questions in sets.items():
            part = questions[0::2] if test == "A" else questions[1::2]
            before = measure(part, default, config.sections_per_page)
            after = measure(part, learned, config.sections_per_page)
            print(f"| {test} | {set_name} | {len(part)} | {before['ndcg10']} | {after['ndcg10']} | "
                  f"{before['success1']} | {after['success1']} |", flush=True)
        print(f"weights fitted on half {train}: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(names, weights)),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
