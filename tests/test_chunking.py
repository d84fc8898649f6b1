"""Chunking: passages fit the model's window, counted with its own tokenizer."""
from __future__ import annotations

import pytest

from indexer.chunking import ChunkConfig, TokenCounter, chunk_page, embed_prefix, embed_text
from indexer.embedding import model_dir
from indexer.parsing import parse_page
from search_index.documents import Address
from search_index.text import sentence_spans
from tests.helpers import page_html


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter(model_dir() / "tokenizer.json")


def page_with(body: str, title: str = "Bone health"):
    return parse_page(page_html(title, (), extra=body).encode(), "p.html", "test", Address("/pages/p.html"))


def model_tokens(counter: TokenCounter, text: str) -> int:
    return len(counter.tokenizer.encode(text, add_special_tokens=True).ids)


def long_section(sentences: int) -> str:
    return "<h2 id='a'>Calcium</h2><p>" + " ".join(
        f"Sentence number {i} says that calcium and vitamin D keep bones strong in adults." for i in range(sentences)
    ) + "</p>"


def test_sentence_spans_split_on_sentence_ends_and_lines():
    text = "First one. Second one? Third!\nA line without stop\n(Last) one. e.g. lower case stays"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "First one.", "Second one?", "Third!", "A line without stop", "(Last) one. e.g. lower case stays"]


def test_short_section_is_one_passage(counter):
    page = page_with("<h2 id='a'>Calcium</h2><p>Calcium keeps bones strong.</p>")
    [passage] = chunk_page(page, 0, counter, ChunkConfig())
    assert passage.text == "Calcium keeps bones strong."
    assert passage.heading_path == ("Calcium",)
    assert embed_text("Bone health", passage) == embed_prefix("Bone health", ("Calcium",)) + passage.text


@pytest.mark.parametrize("max_tokens", [64, 128, 256])
def test_passages_fit_window_including_prefix(counter, max_tokens):
    page = page_with(long_section(60))
    passages = chunk_page(page, 0, counter, ChunkConfig(max_tokens=max_tokens, overlap_tokens=16))
    assert len(passages) > 1
    for passage in passages:
        assert model_tokens(counter, embed_text("Bone health", passage)) <= max_tokens


def test_passages_cover_the_section_in_order_with_overlap(counter):
    page = page_with(long_section(40))
    section = page.sections[0]
    passages = chunk_page(page, 0, counter, ChunkConfig(max_tokens=128, overlap_tokens=24))
    assert passages[0].start == 0
    assert passages[-1].end == len(section.text)
    for before, after in zip(passages, passages[1:]):
        assert after.start < before.end, "consecutive passages overlap"
        assert after.start > before.start
    for passage in passages:
        assert section.text[passage.start:passage.end] == passage.text
        assert passage.text[-1] == ".", "cut at sentence ends"


def test_no_overlap_when_disabled(counter):
    passages = chunk_page(page_with(long_section(40)), 0, counter, ChunkConfig(max_tokens=128, overlap_tokens=0))
    for before, after in zip(passages, passages[1:]):
        assert after.start >= before.end


def test_sentence_longer_than_window_is_cut_at_words(counter):
    words = " ".join(f"word{i}" for i in range(400))
    page = page_with(f"<h2>Long</h2><p>{words}</p>")
    passages = chunk_page(page, 0, counter, ChunkConfig(max_tokens=64, overlap_tokens=0))
    assert len(passages) > 3
    rebuilt = " ".join(p.text for p in passages)
    assert rebuilt == words
    for passage in passages:
        assert model_tokens(counter, embed_text("Bone health", passage)) <= 64


def test_heading_path_follows_subheadings(counter):
    body = "<h2>Treatment</h2><p>Intro.</p><h3>Surgery</h3><p>" + "Surgery removes the tumour. " * 30 + "</p>"
    passages = chunk_page(page_with(body), 0, counter, ChunkConfig(max_tokens=64, overlap_tokens=0))
    assert passages[0].heading_path == ("Treatment",)
    assert passages[-1].heading_path == ("Treatment", "Surgery")
    assert embed_text("Bone health", passages[-1]).startswith("Bone health > Treatment > Surgery\n")


def test_lead_section_has_no_heading(counter):
    [passage] = chunk_page(page_with("<p>Lead text.</p>"), 0, counter, ChunkConfig())
    assert passage.heading_path == ()
    assert embed_text("Bone health", passage) == "Bone health\nLead text."
