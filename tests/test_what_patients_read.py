"""What a patient reads on the default corpus: whole sentences, results that can be told apart, and an
honest word on how well the pages match."""
from __future__ import annotations

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
