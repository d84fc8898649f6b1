"""Scale benchmark: an index of N passages made from the benchmark index, built, searched and served.

    python -m bench.scale --source-index var/medquad --n 1000000 --index-dir var/scale \\
        --queries ../shared/eval/liveqa-dev.jsonl ../shared/eval/medquad-questions.jsonl

The passages are the source index's real passages, repeated: copy c of a page gets its own URL and
a marker word ("copy c") in its title, so its text differs a little and its keyword weights are
those of a corpus N passages large. Its vectors are the real ones plus Gaussian noise (sigma 0.02 per
dimension, normalised again), so they spread like real vectors without embedding N texts; quality
figures stay with the real corpus (`make eval`). The build is timed stage by stage; then searches of
real questions (their vectors computed once, so the figures exclude the question's embedding),
English ones (MiniLM's graph) and, with --spanish-queries, Spanish ones (the second reader's), the
recall@10 and recall@50 of each graph against exact search, and the memory of `make serve`'s
two workers: RSS counts pages shared between the workers (the memory-mapped index) in each; PSS
divides them between the workers, so its sum is what the workers hold. The last line of output is
one JSON object.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

from bench.latency import percentile, profile
from bench.load import questions_in
from bench.servers import gunicorn, totals
from indexer import calibration
from indexer.embedding import ModelEmbedder
from indexer.rebuild import RebuildReader
from indexer.writer import write_version
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_index import keywords, models, publishing
from search_index.documents import Page, Passage
from search_index.format import disk_size, set_search_threads
from search_index.models import MODEL_CACHE
from search_index.query_encoder import QueryEncoder

NOISE = 0.02
SEED = 7


def copies(reader: RebuildReader, n: int) -> tuple[list[Page], list[Passage], dict[str, np.ndarray],
                                                 dict[str, np.ndarray]]:
    """N passages (and their pages, and each model's passage and title vectors) from repeated copies of
    the real ones."""
    held = reader.stored_pages()
    # A version numbers passages page by page, in order: a page's passages have consecutive rows.
    first_row = np.cumsum([0] + [len(stored.passages) for stored in held])
    rng = np.random.default_rng(SEED)
    pages: list[Page] = []
    passages: list[Passage] = []
    rows: list[int] = []
    title_rows: list[int] = []
    copy = 0
    while len(passages) < n:
        for page_id, stored in enumerate(held, start=1):
            if len(passages) >= n:
                break
            page = stored.page
            suffix = f" copy {copy}" if copy else ""
            pages.append(replace(page, url=f"{page.url}?copy={copy}", title=page.title + suffix,
                                 path=f"{page.path}#{copy}"))
            title_rows.append(page_id - 1)
            for offset, passage in enumerate(stored.passages[: n - len(passages)]):
                passages.append(replace(passage, page_index=len(pages) - 1))
                rows.append(int(first_row[page_id - 1]) + offset)
        copy += 1
    vectors, titles = {}, {}
    for key, index in reader.model_vectors.items():
        real = index.index.reconstruct_n(0, index.ntotal)
        noisy = real[rows] + (rng.normal(0.0, NOISE, (len(rows), real.shape[1])) *
                              (np.arange(len(rows)) >= len(real))[:, None]).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        vectors[key], titles[key] = noisy.astype(np.float32), np.asarray(reader.model_titles[key])[title_rows]
    return pages, passages, vectors, titles


def build(reader: RebuildReader, n: int, index_dir: Path) -> dict:
    stages: dict[str, float] = {}
    started = time.perf_counter()
    pages, passages, vectors, title_vectors = copies(reader, n)
    stages["copies"] = time.perf_counter() - started
    with publishing.build_lock(index_dir):
        synonyms = reader.manifest.synonyms
        mark = time.perf_counter()
        postings = keywords.build_for([page.title for page in pages], passages, synonyms)
        stages["keyword postings"] = time.perf_counter() - mark
        mark = time.perf_counter()
        manifest = replace(
            reader.manifest, built_at=time.strftime("%Y-%m-%dT%H:%M:%S"), sources=["scale benchmark"], skipped=[],
            off_topic_scores=calibration.off_topic_scores(vectors["minilm"], ModelEmbedder(progress=False)),
            e5_off_topic_scores=calibration.off_topic_scores(vectors["e5"], ModelEmbedder(progress=False), models.E5),
            best_bets=None, helpline="", phrases=[], changes={})
        stages["off-topic calibration"] = time.perf_counter() - mark
        with publishing.build_folder(index_dir) as (version, folder):
            mark = time.perf_counter()
            write_version(folder, version, pages, passages, vectors, title_vectors, {}, postings, manifest)
            stages["write (SQLite, vector index)"] = time.perf_counter() - mark
            mark = time.perf_counter()
            publishing.publish(index_dir, folder)
            stages["verify and publish"] = time.perf_counter() - mark
            size = disk_size(publishing.version_dir(index_dir, version))
    build_s = sum(v for k, v in stages.items() if k != "copies")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stages_s": {k: round(v, 1) for k, v in stages.items()}, "build_s": round(build_s, 1),
            "size_mb": round(size / 1e6, 1), "peak_memory_mb": round(peak)}


def search_figures(index_dir: Path, questions: list[str]) -> dict:
    """Median and p99 of a search with the question's vectors already known (a first search of each made them),
    and where it goes."""
    retriever = Retriever(index_dir)
    for question in questions:
        retriever.search(question, SearchOptions())
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.search(question, SearchOptions())
        times.append((time.perf_counter() - started) * 1000)
    return {"search_p50_ms": round(statistics.median(times), 1), "search_p99_ms": round(percentile(times, 0.99), 1),
            "search_stages_ms": profile(index_dir, questions)}


def recall(index_dir: Path, questions: list[str], model: models.Model) -> dict:
    """Recall@10 and @50 of the version's vector index for `model` against exact search, over the questions."""
    reader = publishing.open_version(index_dir)
    vectors, _ = QueryEncoder(MODEL_CACHE, model=model).encode(questions)
    found = reader.dense(vectors, 50, model.key)
    stored = reader.model_vectors[model.key]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(stored.index.reconstruct_n(0, stored.ntotal))
    _, truth = exact.search(vectors, 50)
    result = {}
    for k in (10, 50):
        shares = [len({i for i, _ in hits[:k]} & {int(t) + 1 for t in row[:k]}) / k for hits, row in zip(found, truth)]
        result[f"recall{k}"] = round(float(np.mean(shares)), 4)
    return result


def serve_memory(index_dir: Path, questions: list[str]) -> dict:
    """Resident memory of `make serve`'s two workers after answering the questions."""
    with gunicorn(index_dir, {"WORKERS": "2", "RATE_LIMIT_PER_MINUTE": "0"}) as server:
        for question in questions:
            with urllib.request.urlopen(server.base + "/api/search?" + urllib.parse.urlencode({"q": question})):
                pass
        workers = sorted(server.worker_memory(), key=lambda w: -w["rss_mb"])
    total = totals(workers)
    return {"serve_rss_mb": total["rss_mb"], "serve_pss_mb": total["pss_mb"],
            "second_worker_rss_mb": workers[-1]["rss_mb"], "first_worker_rss_mb": workers[0]["rss_mb"],
            "shared_mb": [w["shared_mb"] for w in workers], "private_mb": [w["private_mb"] for w in workers]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-index", required=True, type=Path)
    parser.add_argument("--n", required=True, type=int)
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path, nargs="+", help="English questions (MiniLM's side)")
    parser.add_argument("--spanish-queries", type=Path, nargs="*", default=[],
                        help="Spanish questions (the second reader's side)")
    parser.add_argument("--count", type=int, default=300, help="questions searched")
    args = parser.parse_args(argv)
    english, spanish = questions_in(args.queries)[: args.count], questions_in(args.spanish_queries)[: args.count]
    result = {"n": args.n}
    result |= build(publishing.open_version(args.source_index, reader=RebuildReader), args.n, args.index_dir)
    print("build", result, file=sys.stderr, flush=True)
    set_search_threads(1)
    result |= search_figures(args.index_dir, english) | recall(args.index_dir, english, models.MINILM)
    if spanish:
        result["spanish"] = search_figures(args.index_dir, spanish) | recall(args.index_dir, spanish, models.E5)
    result |= serve_memory(args.index_dir, english[:40] + spanish[:10])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
