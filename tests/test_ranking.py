"""Ranking: passages -> sections -> pages (pure functions), and the page-title signal on a real index."""
from __future__ import annotations

import pytest

from search_app.engine.profiles import for_site
from search_app.engine.ranking import RankingConfig, group, page_hits, tuned
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_index.format import Owner, PassageRecord
from tests.helpers import StandIn, build_folder, page_html, write_page

SECTIONS_PER_PAGE = RankingConfig.sections_per_page


def record(passage_id: int, section_id: int, page_id: int) -> PassageRecord:
    return PassageRecord(passage_id, f"text {passage_id}", (f"S{section_id}",), section_id, f"S{section_id}",
                         f"/p{page_id}#s{section_id}", page_id, f"/p{page_id}", f"Page {page_id}", None, "pages")


def owners(*triples: tuple[int, int, int]) -> dict[int, Owner]:
    return {passage_id: Owner(section_id, page_id) for passage_id, section_id, page_id in triples}


def test_best_passage_per_section_and_pages_by_best_section():
    pages = group(owners((1, 10, 1), (2, 10, 1), (3, 11, 1), (4, 20, 2)), {1: 0.5, 2: 0.7, 3: 0.6, 4: 0.65})
    assert [p.page_id for p in pages] == [1, 2]
    assert pages[0].sections == [(10, 2, 0.7), (11, 3, 0.6)]


def test_at_most_sections_per_page():
    held = owners(*((i, 100 + i, 1) for i in range(1, SECTIONS_PER_PAGE + 3)))
    [page] = group(held, {i: 1.0 - i / 100 for i in held})
    assert [section_id for section_id, _, _ in page.sections] == [100 + i for i in range(1, SECTIONS_PER_PAGE + 1)]


def test_page_bonus_reorders_pages_but_not_sections():
    held, scores = owners((1, 10, 1), (2, 20, 2), (3, 21, 2)), {1: 0.8, 2: 0.7, 3: 0.75}
    assert [p.page_id for p in group(held, scores)] == [1, 2]
    lifted = group(held, scores, {1: 0.05, 2: 0.2})
    assert [p.page_id for p in lifted] == [2, 1]
    assert lifted[0].score == pytest.approx(0.95)
    assert [(section_id, score) for section_id, _, score in lifted[0].sections] == [(21, 0.75), (20, 0.7)]


def test_page_hits_show_each_page_with_its_sections_records():
    ranked = group(owners((1, 10, 1), (2, 20, 2), (3, 21, 2)), {1: 0.8, 2: 0.7, 3: 0.75})
    records = {1: record(1, 10, 1), 2: record(2, 20, 2), 3: record(3, 21, 2)}
    [second, first] = page_hits(ranked, records)[::-1]
    assert (first.url, first.title, first.score) == ("/p1", "Page 1", 0.8)
    assert [(s.heading, s.passage.id) for s in second.sections] == [("S21", 3), ("S20", 2)]


@pytest.fixture(scope="module")
def two_pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("titles")
    write_page(root / "pages", "sourdough.html", page_html("Sourdough bread", [
        ("Starter", "Feed the starter with flour and water every day until it bubbles."),
        ("Nutrition", "It has fibre, and the long fermentation may make it easier to digest for some people.")]))
    write_page(root / "pages", "eating.html", page_html("Eating well on a budget", [
        ("Shopping", "People often ask whether bread like sourdough is healthy. Whole grain loaves are a good choice.")]))
    build_folder(root / "pages", root / "index", embedder=StandIn())
    return root / "index"


@pytest.mark.parametrize("question", ["is sourdough bread healthy", "how healthy is sourdough bread"])
def test_default_mode_lifts_the_page_whose_title_is_what_was_asked(two_pages, question):
    retriever = Retriever(two_pages)
    default = retriever.search(question)
    assert len(default.pages) == 2
    bonus = {page.title: page.score - page.sections[0].score for page in default.pages}
    assert bonus["Sourdough bread"] > bonus["Eating well on a budget"]
    untitled = Retriever(two_pages, RankingConfig(title_weight=0.0)).search(question)
    assert all(page.score == pytest.approx(page.sections[0].score) for page in untitled.pages)
    dense = retriever.search(question, SearchOptions(mode="dense"))
    assert all(page.score == page.sections[0].score for page in dense.pages), "baseline modes get no title signal"


def test_a_title_the_question_does_not_name_lifts_nothing(two_pages):
    def bonus(config: RankingConfig) -> dict[str, float]:
        found = Retriever(two_pages, config).search("what do I feed a starter")
        return {page.title: page.score - page.sections[0].score for page in found.pages}

    assert RankingConfig().profile("en").title_floor > 0
    assert bonus(RankingConfig())["Eating well on a budget"] == pytest.approx(0.0)
    assert bonus(tuned(RankingConfig(), "en.title_floor", 0.0))["Eating well on a budget"] > 0.05


@pytest.mark.parametrize("e5_weight, baseline", [(0.0, "dense"), (0.5, "fused")])
def test_with_its_levers_at_zero_the_default_mode_is_dense_search(two_pages, e5_weight, baseline):
    question = "is sourdough bread healthy"
    config = tuned(tuned(RankingConfig(title_weight=0.0, sections_per_page=1, reread_candidates=0),
                         "en.keyword_weight", 0.0), "en.second_reader_weight", e5_weight)
    retriever = Retriever(two_pages, config)
    default = retriever.search(question)
    dense = retriever.search(question, SearchOptions(mode=baseline))
    assert [(p.url, p.score) for p in default.pages] == [(p.url, p.score) for p in dense.pages]
    assert all(len(p.sections) == 1 for p in default.pages)
    sourdough = [p for p in Retriever(two_pages).search(question).pages if p.url.endswith("sourdough.html")]
    assert len(sourdough[0].sections) == 2, "by default, both matching sections of the page"


def test_a_site_sets_its_own_weighting_and_a_measurement_can_set_another(tmp_path):
    from search_index import publishing

    write_page(tmp_path / "pages", "sourdough.html", page_html("Sourdough bread", [
        ("Starter", "Feed the starter with flour and water every day until it bubbles."),
        ("Nutrition", "It has fibre, and the long fermentation may make it easier to digest for some people.")]))
    write_page(tmp_path / "pages", "eating.html", page_html("Eating well on a budget", [
        ("Shopping", "People often ask whether bread like sourdough is healthy. Whole grain loaves are a good choice.")]))
    index = tmp_path / "index"
    own = {"en": {"keyword_weight": 0.0, "second_reader_weight": 0.0}}
    build_folder(tmp_path / "pages", index, embedder=StandIn(), ranking=own)
    assert publishing.open_version(index).manifest.ranking == own
    question, config = "is sourdough bread healthy", RankingConfig(title_weight=0.0, sections_per_page=1)
    site = Retriever(index, config)

    def scores(found) -> list[tuple[str, float]]:
        return [(page.url, page.score) for page in found.pages]

    dense = scores(site.search(question, SearchOptions(mode="dense")))
    assert scores(site.search(question)) == dense, "no keyword score and no second reader: dense search"
    measured = Retriever(index, tuned(config, "en.keyword_weight", 0.2))
    assert scores(measured.search(question)) != dense, "a measurement's own lever is not replaced by the site's"
    assert for_site(config.profile("es"), own) is config.profile("es"), "another language keeps the app's"

    build_folder(tmp_path / "pages", index, incremental=True, embedder=StandIn())
    assert publishing.open_version(index).manifest.ranking == {}, "a change of weighting alone is published"
    assert scores(Retriever(index, config).search(question)) != dense


def test_a_site_may_match_the_questions_names_alone(tmp_path):
    """With no keyword side but its names' (words no English word list holds), a name lifts the
    passages that hold it by the names' weight, and an everyday word lifts nothing."""
    write_page(tmp_path / "pages", "groups.html", page_html("Who writes the guidance", [
        ("Panels", "The NCCN panel reviews the guidance for bread makers every year."),
        ("Bakers", "Bakers who make bread each morning follow the guidance too.")]))
    for name, text in [("soup", "Simmer the vegetables in stock."), ("salad", "Wash the leaves before serving."),
                       ("rice", "Rinse the rice, then cook it."), ("eggs", "Boil the eggs for eight minutes.")]:
        write_page(tmp_path / "pages", f"{name}.html", page_html(name.title(), [("Method", text)]))
    build_folder(tmp_path / "pages", tmp_path / "index", embedder=StandIn())
    config = tuned(tuned(RankingConfig(title_weight=0.0), "en.keyword_weight", 0.0), "en.name_keyword_weight", 0.3)
    plain = tuned(config, "en.name_keyword_weight", 0.0)

    def scores(config: RankingConfig, question: str) -> dict[str, float]:
        found = Retriever(tmp_path / "index", config).search(question)
        return {hit.heading: hit.score for page in found.pages for hit in page.sections}

    lifted = {heading: score - scores(plain, "what is the nccn bread guidance")[heading]
              for heading, score in scores(config, "what is the nccn bread guidance").items()}
    assert lifted["Panels"] == pytest.approx(0.3)
    assert all(lift == pytest.approx(0.0) for heading, lift in lifted.items() if heading != "Panels")
    assert scores(config, "bread guidance") == scores(plain, "bread guidance"), "no name, no lift"


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory):
    """Pages enough that a word of one passage is not among the corpus's most common words."""
    root = tmp_path_factory.mktemp("kitchen")
    write_page(root / "pages", "sourdough.html", page_html("Sourdough bread", [
        ("Feeding", "Feed the starter with flour and water every day until it bubbles."),
        ("Baking", "Bake the loaf in a hot oven until the crust is dark and it sounds hollow.")]))
    for name, title, text in [("soup", "Vegetable soup", "Simmer the vegetables in stock for half an hour."),
                              ("salad", "Green salad", "Wash the leaves and dress them just before serving."),
                              ("rice", "Plain rice", "Rinse the rice, then cook it in twice its volume of water."),
                              ("eggs", "Boiled eggs", "Lower the eggs into boiling water and cook for eight minutes.")]:
        write_page(root / "pages", f"{name}.html", page_html(title, [("Method", text)]))
    build_folder(root / "pages", root / "index")
    return root / "index"


@pytest.mark.model
def test_a_spanish_question_has_a_keyword_side_only_when_weighted(kitchen):
    question = "¿cada cuánto hay que alimentar el starter del pan?"

    def section_scores(config: RankingConfig) -> dict[str, float]:
        found = Retriever(kitchen, config).search(question)
        assert found.language == "es"
        return {hit.passage.text: hit.score for page in found.pages for hit in page.sections}

    assert RankingConfig().profile("es").keyword_weight == 0
    e5_alone, weighted = section_scores(RankingConfig()), section_scores(tuned(RankingConfig(), "es.keyword_weight", 0.05))
    lifts = {text: weighted[text] - e5_alone[text] for text in e5_alone}
    assert [text for text, lift in lifts.items() if lift == pytest.approx(0.05)] == [
        "Feed the starter with flour and water every day until it bubbles."], "the keyword hit gains the weight"
    assert sum(lift == pytest.approx(0.0) for lift in lifts.values()) == len(lifts) - 1, "no other passage gains"


@pytest.mark.model
def test_a_spanish_question_lifts_the_page_whose_english_title_it_names(kitchen):
    found = Retriever(kitchen).search("¿cómo se hornea el pan de masa madre?")
    assert found.language == "es"
    bonus = {page.title: page.score - page.sections[0].score for page in found.pages}
    assert max(bonus, key=bonus.get) == "Sourdough bread"
    assert all(bonus["Sourdough bread"] > lift for title, lift in bonus.items() if title != "Sourdough bread")


def test_a_paragraph_a_page_repeats_under_two_headings_is_shown_once():
    held = owners((1, 10, 1), (2, 11, 1), (3, 12, 1))
    records = {1: record(1, 10, 1), 2: record(2, 11, 1), 3: record(3, 12, 1)}
    records[2] = PassageRecord(2, "text  1", ("S11",), 11, "S11", "/p1#s11", 1, "/p1", "Page 1", None, "pages")
    [page] = page_hits(group(held, {1: 0.9, 2: 0.8, 3: 0.7}), records)
    assert [hit.section_id for hit in page.sections] == [10, 12]
