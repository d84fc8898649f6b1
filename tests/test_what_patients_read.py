"""What a patient reads on the default corpus: whole sentences, results that can be told apart, and an
honest word on how well the pages match."""
from __future__ import annotations

from urllib.parse import unquote

from search_index.text import sentence_spans

COMMON = ["can stage 4 breast cancer be cured", "side efects of chemo", "does it spread to the bones",
          "what is her2", "life expectancy metastatic breast cancer", "is it bone cancer now",
          "hair loss", "male breast cancer symptoms", "what is a mastectomy", "triple negative"]


def whole_sentences(text: str, shown: str) -> bool:
    body = shown.removeprefix("… ").removesuffix(" …")
    spans = sentence_spans(text)
    start = text.find(body)
    return start >= 0 and start in {s for s, _ in spans} and start + len(body) in {e for _, e in spans}


def test_every_excerpt_the_api_gives_is_whole_sentences(client):
    checked = 0
    for question in COMMON:
        body = client.get("/api/search", query_string={"q": question}).get_json()
        shown = [(p["text"], p["excerpt"]["text"]) for r in body["results"] for p in r["passages"]]
        shown += [(item["text"], item["excerpt"]["text"]) for item in body["recommended"]]
        for text, excerpt in shown:
            assert whole_sentences(text, excerpt), (question, excerpt)
            checked += 1
    assert checked > 50


def test_the_cure_question_shows_the_whole_sentence(client):
    body = client.get("/api/search", query_string={"q": "can stage 4 breast cancer be cured"}).get_json()
    excerpts = [p["excerpt"]["text"] for r in body["results"] for p in r["passages"]]
    excerpts += [item["excerpt"]["text"] for item in body["recommended"]]
    cure = [e for e in excerpts if "cannot be cured" in e]
    assert cure and all("As hard as it is to hear, metastatic breast cancer cannot be cured." in e for e in cure)


def test_no_two_results_on_a_page_share_title_and_site(client):
    shared = 0
    for question in COMMON:
        for offset in (0, 10):
            body = client.get("/api/search", query_string={"q": question, "offset": offset}).get_json()
            names = [(r["page"]["title"].casefold(), r["page"]["detail"], r["page"]["source"]) for r in body["results"]]
            assert len(names) == len(set(names)), (question, names)
            shared += sum(1 for r in body["results"] if r["page"]["detail"])
    assert shared, "the default corpus has pages that share a title and a site"
    page = client.get("/", query_string={"q": "does it spread to the bones"}).get_data(as_text=True)
    assert "· breast treatment pdq" in page or "· breast prevention pdq" in page


def test_a_passage_inside_its_section_is_linked_by_its_opening_words_and_shared_by_its_original(client):
    body = client.get("/api/search", query_string={"q": "what is her2"}).get_json()
    passages = [(r["page"], p) for r in body["results"] for p in r["passages"]]
    inside = [(page, p) for page, p in passages if ":~:text=" in p["link"]]
    assert inside, "some shown passage starts inside its section"
    for page, p in inside:
        words = unquote(p["link"].split(":~:text=")[1])
        assert " ".join(p["text"].split()).startswith(words) and "-" not in p["link"].split(":~:text=")[1]
        if page["original_url"]:
            assert p["public_link"].startswith(page["original_url"] + "#")
