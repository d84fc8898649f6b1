"""Editors' best bets and hidden pages: parsed, stored with the version, shown first, never shown."""
from __future__ import annotations

import subprocess
import sys

import pytest

from search_app import create_app
from search_index import publishing
from search_index.best_bets import parse_best_bets, phrasing_key
from search_index.format import StoreError
from tests.helpers import ROOT, StandIn, build_folder, page_html, write_page

BETS = """
hide = ["/pages/retired.html", "/pages/garden.html#weeds"]

[[bet]]
phrasings = ["when should i prune my roses", "rose pruning time"]
show = ["/pages/roses.html#pruning", "/pages/garden.html"]
"""


def test_best_bets_file_is_checked_entry_by_entry():
    curation = parse_best_bets(BETS)
    assert curation.bets[0].phrasings == ("when should i prune my roses", "rose pruning time")
    assert curation.hide == ("/pages/retired.html", "/pages/garden.html#weeds")
    with pytest.raises(ValueError) as problem:
        parse_best_bets('[[bet]]\nphrasings = ["a question"]\n\n[[bet]]\nphrasings = []\nshow = ["/a", "/b", "/c", "/d"]'
                        '\ncolour = "red"')
    message = str(problem.value)
    assert "bet 1: show must list 1 to 3" in message and "bet 2: phrasings must be" in message
    assert "bet 2: unknown keys colour" in message
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_best_bets("[[bet]\n")


def test_phrasing_key_applies_the_synonym_list():
    synonyms = [("stage 4", "stage iv", "metastatic")]
    assert phrasing_key("Can STAGE IV be cured?", synonyms) == phrasing_key("can stage 4 be cured", synonyms)
    assert phrasing_key("can stage 2 be cured", synonyms) != phrasing_key("can stage 4 be cured", synonyms)


@pytest.fixture(scope="module")
def garden(tmp_path_factory):
    root = tmp_path_factory.mktemp("garden")
    pages = root / "pages"
    write_page(pages, "roses.html", page_html("Growing roses", [
        ("Planting", "Plant bare-root roses in late autumn in a sunny spot with rich soil."),
        ("Pruning", "Cut back rose stems by a third in late winter, just above an outward-facing bud.")]))
    write_page(pages, "garden.html", page_html("Garden care through the year", [
        ("Weeds", "Pull weeds by hand before they flower, and mulch beds to keep new weeds down."),
        ("Watering", "Water deeply once a week rather than a little every day.")]))
    write_page(pages, "retired.html", page_html("Old rose pruning leaflet", [
        ("Pruning roses", "Prune roses hard in midsummer when they are in full flower.")]))
    bets = root / "best-bets.toml"
    bets.write_text(BETS, encoding="utf-8")
    index_dir = root / "index"
    build_folder(pages, index_dir, best_bets=bets, embedder=StandIn())
    return root, index_dir


@pytest.fixture()
def garden_client(garden):
    _, index_dir = garden
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0}).test_client()


def test_best_bet_is_shown_first_in_the_api_and_on_the_page(garden_client):
    body = garden_client.get("/api/search", query_string={"q": "When should I prune my roses?"}).get_json()
    assert [r["link"] for r in body["recommended"]] == ["/pages/roses.html#pruning", "/pages/garden.html"]
    assert body["recommended"][0]["section"] == "Pruning" and "late winter" in body["recommended"][0]["text"]
    assert body["recommended"][1]["section"] == "" and "Water deeply" in body["recommended"][1]["text"], \
        "a page is shown by its first section that is not hidden"
    page = garden_client.get("/", query_string={"q": "rose pruning time"}).get_data(as_text=True)
    assert page.index("Recommended") < page.index('href="/pages/roses.html#pruning"') < page.index('id="results-heading"')


def test_unrelated_questions_fire_no_best_bet(garden_client):
    for question in ("how often should I water the garden", "when should i plant roses"):
        assert garden_client.get("/api/search", query_string={"q": question}).get_json()["recommended"] == []


def test_hidden_pages_and_sections_are_never_shown(garden_client):
    for question in ("prune roses in midsummer in full flower leaflet", "pull weeds by hand and mulch"):
        for offset in (0, 1, 2):
            body = garden_client.get("/api/search", query_string={"q": question, "offset": offset}).get_json()
            links = [p["link"] for result in body["results"] for p in result["passages"]]
            assert not any(link.startswith("/pages/retired.html") for link in links)
            assert "/pages/garden.html#weeds" not in links
        page = garden_client.get("/", query_string={"q": question}).get_data(as_text=True)
        assert "retired.html" not in page and "garden.html#weeds" not in page


def test_check_best_bets_lists_what_each_entry_resolves_to(garden):
    _, index_dir = garden
    result = subprocess.run([sys.executable, "-m", "indexer", "check-best-bets", "--index-dir", str(index_dir)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert 'shows /pages/roses.html#pruning: section "Growing roses" > "Pruning"' in result.stdout
    assert 'shows /pages/garden.html: page "Garden care through the year"' in result.stdout
    assert 'hides /pages/retired.html: page "Old rose pruning leaflet"' in result.stdout


def test_best_bet_to_a_missing_page_fails_the_build_and_keeps_the_index(garden, tmp_path):
    root, index_dir = garden
    published = publishing.published_version(index_dir)
    broken = tmp_path / "best-bets.toml"
    broken.write_text('[[bet]]\nphrasings = ["roses"]\nshow = ["/pages/gone.html"]\n', encoding="utf-8")
    with pytest.raises(StoreError, match="best bet 'roses' shows /pages/gone.html, which is not a page or section"):
        build_folder(root / "pages", index_dir, best_bets=broken)
    assert publishing.published_version(index_dir) == published
    check = subprocess.run([sys.executable, "-m", "indexer", "check-best-bets", "--index-dir", str(index_dir),
                            "--file", str(broken)], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 1 and "/pages/gone.html: NOT FOUND" in check.stdout


def test_check_best_bets_refuses_a_bet_on_a_target_its_own_file_hides(garden, tmp_path, capsys):
    from indexer.__main__ import main

    root, index_dir = garden
    hiding = tmp_path / "best-bets.toml"
    hiding.write_text('hide = ["/pages/garden.html"]\n\n[[bet]]\nphrasings = ["watering"]\n'
                      'show = ["/pages/garden.html#watering"]\n', encoding="utf-8")
    assert main(["check-best-bets", "--index-dir", str(index_dir), "--file", str(hiding)]) == 1
    assert "/pages/garden.html#watering: HIDDEN by the hide list" in capsys.readouterr().out
    with pytest.raises(StoreError, match="which the best bets file hides"):
        build_folder(root / "pages", tmp_path / "index", best_bets=hiding)


@pytest.mark.slow
def test_rollback_rolls_the_best_bets_back(garden, tmp_path):
    root, _ = garden
    index_dir = tmp_path / "index"
    build_folder(root / "pages", index_dir, best_bets=root / "best-bets.toml")
    build_folder(root / "pages", index_dir, incremental=True)
    assert publishing.open_version(index_dir).curation().bets == ()
    publishing.rollback(index_dir)
    assert publishing.open_version(index_dir).curation().bets[0].name == "when should i prune my roses"
    events = [entry["event"] for entry in publishing.history(index_dir)]
    assert events == ["rolled back to", "published", "published"]
