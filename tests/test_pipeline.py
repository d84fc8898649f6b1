"""One question, one path: languages are profiles, comparison modes are strategies chosen by name, a
request answers from one snapshot, and what a result shows is finished once."""
from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from indexer.build import build
from indexer.sources import FolderSource, SourcesConfig
from search_app import create_app
from search_app.engine.answers import AnswerMarker
from search_app.engine.profiles import ENGLISH, SPANISH
from search_app.engine.ranking import RankingConfig
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_app.engine.strategies import MODES, STRATEGIES
from search_app.web.services import services
from tests.helpers import page_html, write_page

FRENCH_QUESTION = "le cancer du sein métastatique peut-il être guéri ?"


def test_a_third_language_is_a_profile_and_no_new_branch(corpus_index):
    french = replace(SPANISH, code="fr", letters="àâçéèêëîïôûùœ")
    three = Retriever(corpus_index, RankingConfig(profiles=(ENGLISH, SPANISH, french)))
    found = three.search(FRENCH_QUESTION)
    assert found.language == "fr" and found.vector.model == "e5" and found.corrected_query is None
    assert found.pages and found.pages[0].url.endswith("metastatic-breast-cancer-introduction.html")
    assert Retriever(corpus_index).search(FRENCH_QUESTION).language != "fr", "without the profile, no French"


def test_every_mode_is_a_strategy_and_a_language_without_one_reads_as_default(corpus_index):
    assert set(MODES) == set(STRATEGIES) and all(STRATEGIES[name].name == name for name in MODES)
    retriever = Retriever(corpus_index)
    question = "¿se puede curar el cáncer de mama en etapa 4?"
    default = retriever.search(question)
    for mode in MODES:
        found = retriever.search(question, SearchOptions(mode=mode))
        same = [(p.url, [s.section_id for s in p.sections]) for p in found.pages] == [
            (p.url, [s.section_id for s in p.sections]) for p in default.pages]
        assert same == (mode not in SPANISH.strategies or mode == "default"), mode
        assert found.vector.model == ("minilm" if mode == "dense" else "e5"), mode


@pytest.fixture()
def two_helplines(tmp_path):
    """An index with two versions whose helplines differ; the first one published."""
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_page(pages, "lava.html", page_html("Volcanoes", [("Lava", "Lava flows from a volcano and cools into rock.")]))
    versions = []
    for line in ("Call the first line.", "Call the second line."):
        write_page(pages, "ice.html", page_html("Glaciers", [("Ice", f"Glaciers are rivers of ice. {line}")]))
        config = SourcesConfig([FolderSource(pages)], helpline=line)
        versions.append(build(config, index_dir, device="cpu", progress=False, embedding_cache=None).version)
    (index_dir / "current").write_text(versions[0])
    return index_dir, versions


def test_a_publish_in_the_middle_of_a_request_changes_nothing_it_answers(two_helplines, monkeypatch):
    index_dir, (first, second) = two_helplines
    app = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0})
    retriever = services(app).retriever
    retriever.refresh_seconds = 0
    searched = retriever.search

    def publish_while_searching(*args, **kwargs):
        result = searched(*args, **kwargs)
        (index_dir / "current").write_text(second)
        return result

    with monkeypatch.context() as patched:
        patched.setattr(retriever, "search", publish_while_searching)
        response = app.test_client().get("/api/search?q=lava")
    body = response.get_json()
    assert (body["version"], response.headers["X-Index-Version"]) == (first, first)
    assert body["helpline"] == "Call the first line.", "the helpline of the version that answered"
    assert app.test_client().get("/api/search?q=lava").get_json()["helpline"] == "Call the second line."


def test_what_a_result_shows_is_finished_once_and_shown_alike(app, monkeypatch):
    calls = []
    mark = AnswerMarker.mark

    def counted(self, *args):
        calls.append(1)
        return mark(self, *args)

    monkeypatch.setattr(AnswerMarker, "mark", counted)
    client = app.test_client()
    question = {"q": "side effects of chemo"}
    body = client.get("/api/search", query_string=question).get_json()
    assert len(calls) == 1, "one answer sentence, chosen once"
    page = client.get("/", query_string=question).get_data(as_text=True)
    assert len(calls) == 2
    first = body["results"][0]["passages"][0]["excerpt"]
    start, end = first["answer"]
    underlined = re.findall(r'<span class="answer">(.*?)</span>', page, re.S)
    assert [" ".join(html.unescape(re.sub("<[^>]+>", "", text)).split()) for text in underlined] == [
        " ".join(first["text"][start:end].split())], "the page underlines the API's sentence, once"
