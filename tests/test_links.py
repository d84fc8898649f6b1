"""Result links: only http(s) addresses on a page's own site, never one page in another's place."""
from __future__ import annotations

import pytest

from indexer.build import build
from indexer.sources import FolderSource, SourcesConfig
from search_index import publishing
from search_index.errors import InputError
from tests.helpers import StandIn, build_folder, page_html, write_page

HOSTILE = [
    "javascript:alert(document.domain)//",
    "java\tscript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/x",
    "https://evil.example/phish",
    "https://user:pw@site.example/a",
    "http://[::1",
]


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for i, canonical in enumerate(HOSTILE):
        write_page(root / "pages", f"p{i}.html", page_html(f"Page {i}", [("Part", f"Text of page {i}.")],
                                                          canonical=canonical))
    source = FolderSource(root / "pages", base_url="https://site.example/")
    report = build(SourcesConfig([source]), root / "index", device="cpu", progress=False, embedder=StandIn(),
                   embedding_cache=None)
    return root / "index", report


def test_hostile_canonical_links_are_ignored_and_reported(hostile_index):
    index_dir, report = hostile_index
    reader = publishing.open_version(index_dir)
    records = reader.passages(list(range(1, reader.vectors.ntotal + 1))).values()
    urls = {r.title: (r.url, r.link, r.original_url) for r in records}
    for i in range(len(HOSTILE)):
        url, link, original = urls[f"Page {i}"]
        assert url == f"https://site.example/p{i}.html" and link.startswith(url) and original is None
    ignored = {note.path.rsplit("/", 1)[1] for note in report.notes if "canonical link" in note.reason}
    assert ignored == {f"p{i}.html" for i in range(len(HOSTILE))}


def test_hostile_canonical_links_never_reach_the_api_or_the_page(hostile_index):
    from search_app import create_app

    index_dir, _ = hostile_index
    client = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT_PER_MINUTE": 0}).test_client()
    body = client.get("/api/search", query_string={"q": "text of page", "limit": 50}).get_json()
    links = [r["page"]["url"] for r in body["results"]] + [p["link"] for r in body["results"] for p in r["passages"]]
    assert links and all(link.startswith("https://site.example/p") for link in links)
    html = client.get("/", query_string={"q": "text of page", "limit": 50}).data.decode()
    assert "javascript" not in html.lower() and "evil.example" not in html and "data:text" not in html


def test_a_trusted_canonical_link_becomes_the_link_on_a_copy_of_the_site(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "knees.html", page_html("Knees", canonical="https://site.example/topics/knees"))
    source = FolderSource(pages, base_url="https://site.example/")
    build(SourcesConfig([source]), tmp_path / "index", device="cpu", progress=False)
    [record] = publishing.open_version(tmp_path / "index").passages([1]).values()
    assert (record.url, record.original_url) == ("https://site.example/topics/knees", None)


def test_local_copies_link_locally_and_show_a_trusted_original_address(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "knees.html", page_html("Knees", canonical="https://site.example/topics/knees"))
    config = SourcesConfig([FolderSource(pages)], allow_hosts={"site.example"})
    build(config, tmp_path / "index", device="cpu", progress=False)
    [record] = publishing.open_version(tmp_path / "index").passages([1]).values()
    assert (record.url, record.original_url) == ("/pages/knees.html", "https://site.example/topics/knees")
    assert record.link.startswith("/pages/knees.html#")


def test_a_page_claiming_anothers_address_does_not_take_its_place(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "0-impostor.html", page_html("Impostor", [("Part", "Buy pills here.")],
                                                   canonical="https://site.example/real.html"))
    write_page(pages, "real.html", page_html("Real page", [("Part", "The real advice.")],
                                             canonical="https://site.example/real.html"))
    source = FolderSource(pages, base_url="https://site.example/")
    report = build(SourcesConfig([source]), tmp_path / "index", device="cpu", progress=False)
    reader = publishing.open_version(tmp_path / "index")
    urls = {r.title: r.url for r in reader.passages(list(range(1, reader.vectors.ntotal + 1))).values()}
    assert urls == {"Real page": "https://site.example/real.html", "Impostor": "https://site.example/0-impostor.html"}
    assert report.added == [f"{pages}/0-impostor.html", f"{pages}/real.html"]
    [note] = [n for n in report.notes if n.path.endswith("0-impostor.html")]
    assert "belongs to" in note.reason and "real.html" in note.reason


def test_untrusted_canonical_on_a_local_folder_keeps_the_local_link(tmp_path):
    pages = tmp_path / "pages"
    write_page(pages, "a.html", page_html("A", canonical="https://x.org/a"))
    write_page(pages, "b.html", page_html("B", canonical="https://x.org/a"))
    report = build_folder(pages, tmp_path / "index")
    assert report.pages == 2 and not report.skipped
    reader = publishing.open_version(tmp_path / "index")
    urls = sorted(r.url for r in reader.passages(list(range(1, reader.vectors.ntotal + 1))).values())
    assert urls == ["/pages/a.html", "/pages/b.html"]


def test_a_retired_sites_pages_are_shared_by_the_searchs_own_copy(tmp_path):
    from search_app import create_app
    from search_app.web.services import services

    pages = tmp_path / "pages"
    write_page(pages, "old/knees.html", page_html("Knees", [("Knee pain", "Rest and ice help knee pain.")],
                                                  canonical="https://retired.example/knees"))
    write_page(pages, "live/elbows.html", page_html("Elbows", [("Elbow pain", "Rest and ice help elbow pain.")],
                                                    canonical="https://live.example/elbows"))
    config = SourcesConfig([FolderSource(pages)], allow_hosts={"retired.example", "live.example"},
                           share_copies=["retired.example"])
    build(config, tmp_path / "index", device="cpu", progress=False)
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index"), "PAGES_DIR": str(pages),
                         "RATE_LIMIT_PER_MINUTE": 0}).test_client()
    shared = {p["link"].split("#")[0]: (p["public_link"], result["page"]["original_url"])
              for result in client.get("/api/search", query_string={"q": "rest and ice for pain"}).get_json()["results"]
              for p in result["passages"]}
    assert shared["/pages/old/knees.html"] == ("/pages/old/knees.html#knee-pain", "https://retired.example/knees"), \
        "the retired original is still named, but the copy is what is shared"
    assert shared["/pages/live/elbows.html"] == ("https://live.example/elbows#elbow-pain", "https://live.example/elbows")
    old = client.get("/pages/old/knees.html").get_data(as_text=True)
    assert "the original is at" not in old and "retired.example/knees</a>" not in old
    assert "the original is at <a href=\"https://live.example/elbows\">" in client.get("/pages/live/elbows.html").get_data(
        as_text=True)
    assert services(client.application).retriever.snapshot().share_copies == {"retired.example"}


def test_the_sources_file_names_the_hosts_whose_copies_are_shared(tmp_path):
    from indexer.sources import load_sources_file

    (tmp_path / "pages").mkdir()
    (tmp_path / "sources.toml").write_text('share_copies = ["NIHSeniorHealth.gov ", "ghr.nlm.nih.gov"]\n'
                                           '[[folder]]\npath = "pages"\n')
    assert load_sources_file(tmp_path / "sources.toml").share_copies == ["ghr.nlm.nih.gov", "nihseniorhealth.gov"]
    (tmp_path / "sources.toml").write_text('share_copies = "nihseniorhealth.gov"\n[[folder]]\npath = "pages"\n')
    with pytest.raises(InputError, match="share_copies must be a list"):
        load_sources_file(tmp_path / "sources.toml")
