"""Incremental updates, rollback, and hot swap under live traffic."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest

from indexer import parsing
from indexer.build import build
from indexer.sources import FolderSource, SourcesConfig
from search_app import create_app
from search_app.web.services import services
from search_index import publishing
from search_index.format import FORMAT_VERSION, StoreError
from search_index.keywords import tokens
from tests.browser.chrome import live_server
from tests.helpers import ROOT, build_folder, page_html, write_page

TOPICS = {
    "bread.html": ("Baking bread", "Knead the dough, let it rise for an hour, then bake the loaf in a hot oven."),
    "volcano.html": ("Volcanoes", "A volcano erupts when molten rock and gas escape. Lava flows down its slopes."),
    "piano.html": ("Playing the piano", "Practise scales on the piano every day to train your fingers."),
}


def topic_page(title: str, text: str, extra: str = "") -> str:
    return page_html(title, [("How it works", text)], extra=extra)


@pytest.fixture()
def site(tmp_path):
    pages = tmp_path / "pages"
    for name, (title, text) in TOPICS.items():
        write_page(pages, name, topic_page(title, text))
    index_dir = tmp_path / "index"
    first = build_folder(pages, index_dir)
    return pages, index_dir, first


def update(pages, index_dir):
    return build_folder(pages, index_dir, incremental=True)


def test_update_with_only_the_curation_changed_embeds_nothing_and_reuses_the_files(site, tmp_path):
    pages, index_dir, first = site
    bets = tmp_path / "best-bets.toml"
    bets.write_text('hide = ["/pages/bread.html"]\n', encoding="utf-8")
    report = build_folder(pages, index_dir, incremental=True, best_bets=bets)
    assert report.published and report.version != first.version
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert report.unchanged == 3 and report.embedded == 0 and report.reused == first.passages + first.pages
    old_folder, new_folder = (publishing.version_dir(index_dir, v) for v in (first.version, report.version))
    for name in ("vectors.faiss", "keyword_passages.npy", "keyword_weights.npy"):
        assert (old_folder / name).stat().st_ino == (new_folder / name).stat().st_ino, "reused, not rebuilt"
    old, new = publishing.open_version(index_dir, first.version), publishing.open_version(index_dir)
    vectors = [reader.vectors.index.reconstruct_n(0, reader.vectors.ntotal) for reader in (old, new)]
    assert (vectors[0] == vectors[1]).all() and (old.titles == new.titles).all()
    assert old.vocabulary() == new.vocabulary()


def test_update_after_editing_one_page_embeds_only_its_new_passages(site):
    pages, index_dir, first = site
    write_page(pages, "piano.html", topic_page("Playing the piano", TOPICS["piano.html"][1],
                                              "<h2 id='tune'>Tuning</h2><p>A tuner adjusts each string's tension.</p>"))
    report = update(pages, index_dir)
    assert report.changed == [str(pages / "piano.html")] and report.unchanged == 2
    assert report.embedded == 1, "only the new section's passage; the unchanged section's and title's are reused"
    assert report.reused == first.passages + first.pages
    hits = publishing.open_version(index_dir).keyword(tokens("tuner"), 3)
    assert hits


def test_update_with_other_furniture_reads_every_page_again(site):
    pages, index_dir, _ = site
    write_page(pages, "piano.html", topic_page("Playing the piano", TOPICS["piano.html"][1] + " Learn more about tuners."))
    update(pages, index_dir)
    assert publishing.open_version(index_dir).keyword(tokens("tuners"), 3)
    config = SourcesConfig([FolderSource(pages)], furniture=["Learn more about"])
    report = build(config, index_dir, device="cpu", progress=False, incremental=True, embedding_cache=None)
    assert report.published and not publishing.open_version(index_dir).keyword(tokens("tuners"), 3)
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert report.unchanged == report.read_again == 3
    assert [n.reason for n in report.notes if "furniture" in n.reason] == [
        "1 sentence left out as site furniture (the sources file's furniture: “Learn more about” ×1)"]
    again = build(config, index_dir, device="cpu", progress=False, incremental=True, embedding_cache=None)
    assert not again.published and again.unchanged == 3


def test_update_after_the_parsing_rules_changed_reads_every_page_again(site, monkeypatch):
    pages, index_dir, _ = site
    assert not update(pages, index_dir).published, "nothing changed"
    monkeypatch.setattr(parsing, "PARSE_RULES", parsing.PARSE_RULES + 1)
    report = update(pages, index_dir)
    assert report.published and report.read_again == report.unchanged == 3 and report.embedded == 0
    assert publishing.open_version(index_dir).manifest.parse_rules == parsing.PARSE_RULES
    assert not update(pages, index_dir).published


def test_update_adds_and_removes_pages(site):
    pages, index_dir, _ = site
    (pages / "bread.html").unlink()
    write_page(pages, "moon.html", topic_page("The moon", "The moon orbits the earth every 27 days."))
    report = update(pages, index_dir)
    assert report.added == [str(pages / "moon.html")]
    assert report.removed == [f"{pages}/bread.html"]
    reader = publishing.open_version(index_dir)
    assert reader.manifest.counts["pages"] == 3
    assert not reader.keyword(tokens("dough"), 1) and reader.keyword(tokens("orbits"), 1)


def test_update_from_a_version_without_title_vectors_embeds_only_the_titles(site):
    pages, index_dir, first = site
    folder = publishing.version_dir(index_dir, first.version)
    (folder / "titles.npy").unlink()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("file_sizes")
    manifest.pop("file_sha256")
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": 2}), encoding="utf-8")
    with pytest.raises(StoreError, match="index format 2.*indexer update"):
        publishing.open_version(index_dir)
    report = update(pages, index_dir)
    assert report.embedded == first.pages and report.reused == first.passages
    reader = publishing.open_version(index_dir)
    assert reader.manifest.format == FORMAT_VERSION and len(reader.titles) == first.pages


def test_page_that_breaks_keeps_its_indexed_copy(site):
    pages, index_dir, _ = site
    write_page(pages, "volcano.html", "<html><body><main><p>no title any more</p></main></body></html>")
    report = update(pages, index_dir)
    [skipped] = report.skipped
    assert skipped.path.endswith("volcano.html") and "kept the indexed copy" in skipped.reason
    assert publishing.open_version(index_dir).keyword(tokens("lava"), 1)


@pytest.mark.slow
def test_rollback_republishes_the_previous_version(site):
    pages, index_dir, first = site
    write_page(pages, "moon.html", topic_page("The moon", "The moon orbits the earth every 27 days."))
    second = update(pages, index_dir)
    result = subprocess.run([sys.executable, "-m", "indexer", "rollback", "--index-dir", str(index_dir)],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    assert first.version in result.stdout
    assert publishing.published_version(index_dir) == first.version
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 3
    assert publishing.version_dir(index_dir, second.version).is_dir()
    with pytest.raises(StoreError, match="no earlier version"):
        publishing.rollback(index_dir)


@pytest.mark.slow
def test_update_killed_part_way_leaves_index_intact(site):
    pages, index_dir, first = site
    for i in range(60):
        write_page(pages, f"extra-{i}.html", topic_page(f"Extra {i}", f"Extra page number {i} about topic {i}. " * 20))
    process = subprocess.Popen([sys.executable, "-m", "indexer", "update", "--source", str(pages), "--index-dir",
                                str(index_dir), "--threads", "1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(4)
    assert process.poll() is None, "update still running when killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert publishing.published_version(index_dir) == first.version
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 3
    report = update(pages, index_dir)
    assert len(report.added) == 60 and publishing.open_version(index_dir).manifest.counts["pages"] == 63


@pytest.mark.slow
def test_live_app_follows_three_updates_without_a_failed_request(site):
    pages, index_dir, first = site
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0})
    services(app).retriever.refresh_seconds = 0.2
    failures: list[str] = []
    versions_seen: set[str] = set()
    stop = threading.Event()
    words = ["saxophone", "glacier", "orchard"]

    def hammer(base: str) -> None:
        while not stop.is_set():
            url = base + "/api/search?" + urllib.parse.urlencode({"q": "how does a volcano erupt"})
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    versions_seen.add(response.headers["X-Index-Version"])
                    if response.status != 200:
                        failures.append(str(response.status))
            except Exception as exc:  # noqa: BLE001 - every failure counts
                failures.append(repr(exc))

    with live_server(app) as base:
        threads = [threading.Thread(target=hammer, args=(base,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            for word in words:
                write_page(pages, f"{word}.html", topic_page(word.title(), f"All about the {word} and its {word} story."))
                report = update(pages, index_dir)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    with urllib.request.urlopen(base + "/api/search?q=" + word) as response:
                        body = response.read().decode()
                        if response.headers["X-Index-Version"] == report.version and word.title() in body:
                            break
                    time.sleep(0.1)
                else:
                    pytest.fail(f"the app never answered from version {report.version}")
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert failures == []
    assert len(versions_seen) >= 3 and first.version in versions_seen
