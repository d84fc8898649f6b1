"""An unlucky operator: an emptied share, a damaged or missing version, a missing encoder. Nothing is
lost, and the service answers or says honestly that it cannot."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from indexer.build import build
from indexer.crawling import CrawlError
from indexer.sources import FolderSource, SourcesConfig, load_sources_file
from search_app import create_app
from search_app.engine import word_forms
from search_app.web.services import services
from search_index import publishing
from tests.helpers import build_folder, page_html, write_page

TOPICS = {"volcano.html": ("Volcanoes", "Lava flows from a volcano."),
          "glacier.html": ("Glaciers", "Glaciers are rivers of ice."),
          "desert.html": ("Deserts", "Deserts get little rain.")}


def write_topics(pages):
    for name, (title, text) in TOPICS.items():
        write_page(pages, name, page_html(title, [("About", text)]))


def update(pages, index_dir, allow_shrink: bool = False):
    config = SourcesConfig([FolderSource(pages)], allow_shrink=allow_shrink)
    return build(config, index_dir, device="cpu", progress=False, incremental=True)


def served(index_dir):
    return create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0}).test_client()


def test_an_emptied_folder_keeps_its_pages_on_every_update(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_topics(pages)
    build_folder(pages, index_dir)
    for page in pages.glob("*.html"):
        page.unlink()
    for _ in range(4):
        report = update(pages, index_dir)
        assert report.pages == 3 and not report.removed
        assert "lists 0 pages where the index has 3" in report.skipped[0].reason
    assert served(index_dir).get("/api/search?q=lava").status_code == 200


def test_a_folder_that_loses_more_than_half_keeps_them_and_a_full_build_refuses(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_topics(pages)
    first = build_folder(pages, index_dir)
    (pages / "volcano.html").unlink()
    (pages / "glacier.html").unlink()
    assert update(pages, index_dir).pages == 3
    with pytest.raises(CrawlError, match="lists 1 pages where the index has 3"):
        build_folder(pages, index_dir)
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 3
    assert first.version in publishing.versions(index_dir)


def test_allowed_shrinking_to_nothing_is_not_ready_and_can_always_be_rolled_back(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_topics(pages)
    full = build_folder(pages, index_dir)
    for page in pages.glob("*.html"):
        page.unlink()
    for _ in range(4):
        assert update(pages, index_dir, allow_shrink=True).pages == 0
    assert full.version in publishing.versions(index_dir), "pruning kept the newest version with pages"
    client = served(index_dir)
    for path in ("/api/search?q=lava", "/readyz"):
        response = client.get(path)
        assert response.status_code == 503 and "holds no pages" in response.get_json()["reason"]
    while publishing.open_version(index_dir).manifest.counts["pages"] == 0:
        publishing.rollback(index_dir)
    assert publishing.published_version(index_dir) == full.version


@pytest.fixture()
def two_versions(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_topics(pages)
    first = build_folder(pages, index_dir)
    write_page(pages, "forest.html", page_html("Forests", [("Trees", "Forests are full of trees.")]))
    second = build_folder(pages, index_dir)
    return index_dir, first.version, second.version


def damage_sqlite(folder):
    path = folder / "index.sqlite"
    data = bytearray(path.read_bytes())
    data[100:4196] = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def truncate_sqlite(folder):
    path = folder / "index.sqlite"
    path.write_bytes(path.read_bytes()[:8192])


def damage_vectors_in_place(folder):
    path = folder / "vectors.faiss"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2  # inside the vectors: the file still reads, with other numbers
    data[middle: middle + 1024] = np.random.default_rng(7).integers(0, 256, 1024, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def empty_weights(folder):
    (folder / "keyword_weights.npy").write_bytes(b"")


def remove_sqlite(folder):
    (folder / "index.sqlite").unlink()


def following(index_dir, version):
    """A client of an app serving `version` that looks at `current` before every request."""
    (index_dir / "current").write_text(version)
    app = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0})
    services(app).retriever.refresh_seconds = 0
    return app.test_client()


@pytest.mark.parametrize("damage", [damage_sqlite, truncate_sqlite, empty_weights, remove_sqlite,
                                    damage_vectors_in_place])
def test_a_newer_version_that_cannot_be_read_keeps_the_served_one(two_versions, damage):
    index_dir, first, second = two_versions
    client = following(index_dir, first)
    damage(publishing.version_dir(index_dir, second))
    (index_dir / "current").write_text(second)
    for _ in range(3):
        response = client.get("/api/search?q=lava")
        assert response.status_code == 200 and response.headers["X-Index-Version"] == first
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["version"] == first
    assert second in ready.get_json()["problem"]


def test_current_naming_a_folder_not_there_yet_keeps_the_served_one_and_a_fresh_worker_serves(two_versions):
    index_dir, first, second = two_versions
    client = following(index_dir, second)
    (index_dir / "current").write_text("20991231T000000.000000Z-abcdef")
    response = client.get("/api/search?q=lava")
    assert response.status_code == 200 and response.headers["X-Index-Version"] == second
    ready = served(index_dir).get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["version"] == second
    assert "20991231T000000.000000Z-abcdef cannot be served" in ready.get_json()["problem"]


def test_readiness_forgets_a_refused_version_once_current_is_good_again(two_versions):
    index_dir, first, second = two_versions
    client = following(index_dir, first)
    remove_sqlite(publishing.version_dir(index_dir, second))
    (index_dir / "current").write_text(second)
    assert "problem" in client.get("/readyz").get_json()
    (index_dir / "current").write_text(first)
    assert client.get("/readyz").get_json() == {"status": "ready", "version": first}


def test_without_a_usable_question_encoder_the_worker_is_not_ready(corpus_index, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    cache = tmp_path / "models"
    cache.mkdir()
    client = create_app({"INDEX_DIR": str(corpus_index), "MODEL_CACHE": str(cache),
                         "RATE_LIMIT_PER_MINUTE": 0}).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "questions cannot be encoded" in ready.get_json()["reason"]
    assert "python -m indexer export-onnx" in ready.get_json()["reason"]
    assert client.get("/api/search?q=chemo").status_code == 503
    assert client.get("/?q=chemo").status_code == 503


@pytest.fixture()
def word_forms_unreadable(monkeypatch):
    """LemmInflect as a damaged install leaves it: it cannot be imported. The word-form tables are read
    again by the next test."""
    monkeypatch.setitem(sys.modules, "lemminflect", None)
    caches = (word_forms._tables, word_forms.forms, word_forms.adverb_only)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_without_word_forms_the_search_answers_and_readiness_says_what_it_lacks(tmp_path, word_forms_unreadable):
    """Each word is then its own only form: "went" is a word the pages lack where they only say "go"."""
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_page(pages, "lava.html", page_html("Lava", [("Where lava goes", "Lava can go down the hill.")]))
    build_folder(pages, index_dir)
    client = served(index_dir)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert "word forms cannot be read (ModuleNotFoundError" in ready.get_json()["degraded"]
    assert "make setup" in ready.get_json()["degraded"]
    went = client.get("/api/search", query_string={"q": "the lava went down the hill"})
    assert went.status_code == 200 and went.get_json()["missing"] == ["went"]


def test_published_files_are_read_only(two_versions):
    index_dir, _, second = two_versions
    for path in publishing.version_dir(index_dir, second).iterdir():
        assert path.stat().st_mode & 0o222 == 0, path.name


@pytest.mark.slow
def test_a_worker_killed_by_a_truncated_version_comes_back_on_the_previous_one(two_versions):
    """Truncating a mapped file kills the worker that reads it (SIGBUS); its replacement serves the
    newest version that still opens."""
    import time
    import urllib.request

    from bench.servers import gunicorn

    index_dir, first, second = two_versions
    with gunicorn(index_dir, {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0"}) as server:
        with urllib.request.urlopen(server.base + "/api/search?q=lava") as response:
            assert response.headers["X-Index-Version"] == second
        vectors = publishing.version_dir(index_dir, second) / "vectors.faiss"
        vectors.chmod(0o644)
        with open(vectors, "r+b") as handle:
            handle.truncate(64)
        deadline, answered = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(server.base + "/api/search?q=trees", timeout=5) as response:
                    if response.headers["X-Index-Version"] == first:
                        answered = response.status
                        break
            except OSError:
                pass
            time.sleep(0.5)
        assert answered == 200
        with urllib.request.urlopen(server.base + "/readyz") as response:
            assert second in response.read().decode()


def sources_file(tmp_path, *folders: str) -> str:
    path = tmp_path / "sources.toml"
    path.write_text("".join(f'[[folder]]\npath = "{folder}"\n\n' for folder in folders), encoding="utf-8")
    return str(path)


def indexer_main(*args: str) -> int:
    from indexer.__main__ import main

    return main([*args, "--no-embedding-cache"])


def test_a_source_dropped_from_the_sources_file_keeps_its_pages_until_allowed(tmp_path, capsys):
    write_topics(tmp_path / "nature")
    write_page(tmp_path / "kitchen", "bread.html", page_html("Bread", [("Baking", "Knead the dough for ten minutes.")]))
    index_dir = str(tmp_path / "index")
    assert indexer_main("build", "--sources", sources_file(tmp_path, "nature", "kitchen"), "--index-dir", index_dir) == 0
    only_kitchen = sources_file(tmp_path, "kitchen")
    assert indexer_main("update", "--sources", only_kitchen, "--index-dir", index_dir) == 1
    out, err = capsys.readouterr()
    assert "no longer a source; kept its 3 indexed pages" in out and "pages removed: 0" in out
    assert "1 sources failed" in err and "nature" in err
    assert served(index_dir).get("/api/search?q=lava").get_json()["results"]
    with pytest.raises(CrawlError, match="no longer a source; nothing was published"):
        build(load_sources_file(tmp_path / "sources.toml"), tmp_path / "index", device="cpu", progress=False,
              embedding_cache=None)
    assert indexer_main("update", "--sources", only_kitchen, "--index-dir", index_dir, "--allow-shrink") == 0
    assert "pages removed: 3" in capsys.readouterr().out
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 1


def test_an_update_that_changes_nothing_publishes_nothing(tmp_path, capsys):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_topics(pages)
    first = build_folder(pages, index_dir)
    for _ in range(3):
        report = update(pages, index_dir)
        assert not report.published and report.version == first.version and report.pages == 3
    assert publishing.versions(index_dir) == [first.version]
    assert indexer_main("update", "--source", str(pages), "--index-dir", str(index_dir)) == 0
    assert f"nothing changed: version {first.version} stays published" in capsys.readouterr().out
    bets = tmp_path / "best-bets.toml"
    bets.write_text('hide = ["/pages/desert.html"]\n', encoding="utf-8")
    hidden = build_folder(pages, index_dir, incremental=True, best_bets=bets)
    assert hidden.published and hidden.version != first.version, "a change of the best bets is published"


def test_a_faulty_source_fails_the_command_after_publishing_what_it_could(tmp_path, capsys):
    write_topics(tmp_path / "nature")
    write_page(tmp_path / "kitchen", "bread.html", page_html("Bread", [("Baking", "Knead the dough for ten minutes.")]))
    both, index_dir = sources_file(tmp_path, "nature", "kitchen"), str(tmp_path / "index")
    assert indexer_main("build", "--sources", both, "--index-dir", index_dir) == 0
    for page in (tmp_path / "nature").glob("*.html"):
        page.unlink()
    write_page(tmp_path / "kitchen", "soup.html", page_html("Soup", [("Stock", "Simmer the bones for hours.")]))
    assert indexer_main("update", "--sources", both, "--index-dir", index_dir) == 1
    out, err = capsys.readouterr()
    assert "published version" in out and "pages added: 1" in out and "1 sources failed" in err
    assert publishing.open_version(index_dir).manifest.counts["pages"] == 5


@pytest.mark.parametrize(("text", "problem"), [
    ('[[folders]]\npath = "pages"\n', "unknown key 'folders' in the file"),
    ('alow_hosts = ["www.cancer.gov"]\n', "unknown key 'alow_hosts'"),
    ('allow_hosts = "www.cancer.gov"\n', "allow_hosts must be a list"),
    ('path = 5\n', "unknown key 'path'"),
    ('[folder]\npath = "pages"\n', r"folder must be a list \(\[\[folder\]\]\)"),
    ('[[folder]]\npath = 5\n', "folder #1.path must be text, not int 5"),
    ('[[folder]]\npath = "pages"\nname = 7\n', "folder #1.name must be text"),
    ('[[folder]]\nname = "Site"\n', "folder #1 has no path"),
    ('[[folder]]\npath = "pages"\nsites = { a = 1 }\n', "folder #1.sites.a must be text"),
    ('[crawl]\ntimeout = "10"\n', "crawl.timeout must be a number"),
    ('[crawl]\nretries = true\n', "crawl.retries must be a whole number"),
    ('furniture = "Learn more about"\n', "furniture must be a list"),
    ('furniture = ["Learn more about", "To "]\n', "furniture 'To' is too short"),
    ('[ranking.en]\nkeyword_wieght = 0\n', "unknown key 'keyword_wieght' in ranking.en"),
    ('[ranking.fr]\nkeyword_weight = 0\n', "unknown key 'fr' in ranking"),
    ('[ranking.en]\nkeyword_weight = "0"\n', "ranking.en.keyword_weight must be a number"),
    ('[ranking.en]\nkeyword_weight = 1.5\n', "ranking.en.keyword_weight must be from 0 to 1, not 1.5"),
    ('[ranking.es]\nsecond_reader_weight = nan\n', "ranking.es.second_reader_weight must be from 0 to 1"),
])
def test_a_sources_file_of_the_wrong_shape_is_refused_naming_the_key(tmp_path, text, problem):
    from search_index.errors import InputError

    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=problem):
        load_sources_file(path)
