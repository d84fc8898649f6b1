"""MedQuAD's judged question/answer pairs (github.com/abachaa/MedQuAD, CC BY 4.0) as training groups for
the second stage: each question with the passage that answers it and hard negatives from the same page,
the keyword side and MiniLM's reading, over the benchmark corpus's passages as the indexer cuts them.

Questions of every evaluation set are left out, and so are MedQuAD's answers with no text (removed
from the collection for copyright). Templated questions are also asked as a person would (lowercase,
without the template's "(are)" and "?", or in a plain phrasing of their question type, chosen by seed).
"""
from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer import embedding
from indexer.chunking import ChunkConfig, TokenCounter, chunk_page, embed_text
from indexer.embedding_cache import EmbeddingCache
from indexer.parsing import PageError, parse_page
from search_index.documents import Address
from search_index.models import MINILM

# MedQuAD's folders and the benchmark corpus's site folders they rebuild.
SITES = {"1_CancerGov_QA": "CancerGov", "2_GARD_QA": "GARD", "3_GHR_QA": "GHR",
         "4_MPlus_Health_Topics_QA": "MPlusHealthTopics", "5_NIDDK_QA": "NIDDK", "6_NINDS_QA": "NINDS",
         "7_SeniorHealth_QA": "NIHSeniorHealth", "8_NHLBI_QA_XML": "NHLBI", "9_CDC_QA": "CDC"}

# Plain phrasings of MedQuAD's question types ({} the focus), for the share of questions asked plainly.
PLAIN = {
    "information": ["what is {}", "{}", "what does {} mean", "tell me about {}"],
    "symptoms": ["signs of {}", "how do i know if i have {}", "{} symptoms"],
    "treatment": ["how is {} treated", "can {} be cured", "{} treatment options"],
    "causes": ["why do people get {}", "what causes {}"],
    "inheritance": ["does {} run in families", "can my children get {}"],
    "genetic changes": ["what gene causes {}", "is {} genetic"],
    "frequency": ["how common is {}", "how many people get {}"],
    "outlook": ["what is the life expectancy with {}", "will {} get better", "{} prognosis"],
    "exams and tests": ["how do doctors test for {}", "what tests find {}"],
    "susceptibility": ["who gets {}", "am i at risk of {}"],
    "prevention": ["how can i avoid {}", "can {} be prevented"],
    "complications": ["what problems can {} cause", "{} complications"],
    "stages": ["what are the stages of {}", "{} stages"],
    "research": ["new treatments for {}", "clinical trials for {}"],
    "considerations": ["living with {}", "what should i know about {}"],
}


@dataclass(frozen=True)
class Candidate:
    """A passage as the second stage reads it: its page and section, and its text with its context."""

    page: str
    section: int
    text: str


@dataclass(frozen=True)
class Group:
    """One training question: the passage that answers it first, then its negatives."""

    question: str
    passages: tuple[str, ...]
    page: str


def held_out_questions(paths: Iterable[Path]) -> set[str]:
    """Every question of the evaluation sets (JSON lines with "query", or one question a line)."""
    questions = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line:
                questions.add(normalise(json.loads(line)["query"] if line.startswith("{") else line))
    return questions


def normalise(question: str) -> str:
    return " ".join(re.findall(r"\w+", question.lower()))


def read_pairs(repo: Path) -> Iterator[tuple[str, str, str, str, str, list[str]]]:
    """(site, document id, question, question type, answer, focus and its synonyms) of each answered pair."""
    for folder, site in SITES.items():
        for path in sorted((repo / folder).glob("*.xml")):
            root = ElementTree.parse(path).getroot()
            focus = [(root.findtext("Focus") or "").strip()]
            focus += [s.text.strip() for s in root.iter("Synonym") if s.text and s.text.strip()]
            for pair in root.iter("QAPair"):
                question, answer = pair.find("Question"), (pair.findtext("Answer") or "").strip()
                if question is not None and question.text and answer:
                    yield (site, root.get("id", ""), question.text.strip(), question.get("qtype", ""), answer,
                           [f for f in focus if f])


def corpus_passages(pages_dir: Path) -> dict[str, list[Candidate]]:
    """Each benchmark page's passages (by "site/document id"), cut as the indexer cuts them."""
    counter, config = TokenCounter(embedding.model_dir() / "tokenizer.json"), ChunkConfig()
    passages: dict[str, list[Candidate]] = {}
    for path in sorted(pages_dir.glob("*/*.html")):
        key = f"{path.parent.name}/{path.stem}"
        try:
            page = parse_page(path.read_bytes(), key, path.parent.name, Address(own_url=f"/pages/{key}.html"))
        except PageError:
            continue
        passages[key] = [Candidate(key, p.section_index, embed_text(page.title, p))
                         for p in chunk_page(page, 0, counter, config)]
    return passages


def answering_section(candidates: list[Candidate], answer: str) -> int | None:
    """The section whose text starts like the answer (MedQuAD's answer is the section's text)."""
    start = " ".join(answer.split())[:120]
    for candidate in candidates:
        if start[:60] in " ".join(candidate.text.split()):
            return candidate.section
    return None


def asked(question: str, qtype: str, focus: list[str], rng: random.Random) -> str:
    """The question as typed: half as MedQuAD writes it, a quarter lowercased without the template's
    marks, a quarter in a plain phrasing of its type (with the focus or one of its synonyms)."""
    roll = rng.random()
    if roll < 0.5 or not focus:
        return question
    if roll < 0.75 or qtype not in PLAIN:
        return re.sub(r"\s*\?+\s*$", "", question.replace("(are) ", "").replace("(are)", "")).lower()
    return rng.choice(PLAIN[qtype]).format(rng.choice(focus).lower())


def groups(repo: Path, pages_dir: Path, held_out: set[str], cache: Path, seed: int,
           negatives: int = 3) -> list[Group]:
    """The training groups: each answered question (once, held-out ones left out) with the first
    passage of its section and `negatives` others (the same page's other sections, the keyword side's
    and MiniLM's nearest from other sections), in a seeded order."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = random.Random(seed)
    by_page = corpus_passages(pages_dir)
    flat = [c for page in sorted(by_page) for c in by_page[page]]
    rows = []
    seen: set[str] = set()
    for site, doc, question, qtype, answer, focus in read_pairs(repo):
        page = f"{site}/{doc}"
        key = normalise(question)
        if key in held_out or (page, key) in seen or page not in by_page:
            continue
        section = answering_section(by_page[page], answer)
        if section is None:
            continue
        seen.add((page, key))
        rows.append((asked(question, qtype, focus, rng), page, section))
    texts = [c.text for c in flat]
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)
    matrix = tfidf.fit_transform(texts)
    questions = tfidf.transform([q for q, _, _ in rows])
    dense = _minilm_vectors(texts, cache)
    question_vectors = embedding.embed([q for q, _, _ in rows], progress=False, queries=True)
    out = []
    for start in range(0, len(rows), 256):
        part = rows[start: start + 256]
        keyword_scores = (questions[start: start + 256] @ matrix.T).toarray()
        dense_scores = question_vectors[start: start + 256] @ dense.T
        for i, (question, page, section) in enumerate(part):
            positive = next(c for c in by_page[page] if c.section == section)
            same_page = [c for c in by_page[page] if c.section != section]
            keyword = _nearest(keyword_scores[i], flat, page, section, 5)
            near = _nearest(dense_scores[i], flat, page, section, 5)
            pool = ([rng.choice(same_page)] if same_page else []) + keyword[:1] + near[:1]
            for c in keyword[1:] + near[1:] + same_page:
                if len(pool) >= negatives:
                    break
                if c not in pool:
                    pool.append(c)
            if len(pool) == negatives:
                out.append(Group(question, (positive.text, *(c.text for c in pool)), page))
    rng.shuffle(out)
    return out


def _nearest(scores: np.ndarray, flat: list[Candidate], page: str, section: int, k: int) -> list[Candidate]:
    top = np.argpartition(-scores, 4 * k)[: 4 * k]
    order = top[np.argsort(-scores[top])]
    return [flat[j] for j in order if (flat[j].page, flat[j].section) != (page, section)][:k]


def _minilm_vectors(texts: list[str], cache: Path) -> np.ndarray:
    """MiniLM's passage vectors from the machine's embedding cache (a benchmark build fills it), or
    computed now."""
    store = EmbeddingCache(cache)
    try:
        vectors, _ = store.vectors(embedding.files_sha256(MINILM), texts, 384,
                                   lambda part: embedding.embed(part, progress=False))
    finally:
        store.close()
    return vectors
