"""Sections -> passages that fit the embedding model's window, counted with its own tokenizer."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

from search_index.documents import Page, Passage, Section
from search_index.errors import InputError
from search_index.text import in_context, sentence_spans, trim

SPECIAL_TOKENS = 2  # [CLS] and [SEP]


@dataclass(frozen=True)
class ChunkConfig:
    """Passage size in the model's tokens, title and headings included (the model's window is 256).

    128 measured better than 256 on the benchmark questions (MedQuAD MRR@10 0.753 against 0.715), and
    better than 80, 96 and 160 on the default corpus's plain-language questions (README, "Search quality").
    The 16-token overlap keeps a sentence cut at a passage's end readable at the next one's start.
    """

    max_tokens: int = 128
    overlap_tokens: int = 16


class TokenCounter:
    """Counts word pieces the way the model sees them (no special tokens)."""

    def __init__(self, tokenizer_file: Path) -> None:
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def counts(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def cut(self, text: str, max_tokens: int) -> int:
        """Character offset at which `text` holds at most max_tokens tokens, moved back to a space."""
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= max_tokens:
            return len(text)
        end = offsets[max_tokens][0]
        space = text.rfind(" ", 0, end)
        return space if space > offsets[0][1] else end


def embed_prefix(title: str, heading_path: tuple[str, ...]) -> str:
    """The context embedded with every passage: page title and heading path."""
    return in_context(title, heading_path, "")


def embed_text(title: str, passage: Passage) -> str:
    """What the model embeds for a passage: its context, then its text."""
    return in_context(title, passage.heading_path, passage.text)


def heading_path_at(section: Section, offset: int) -> tuple[str, ...]:
    """The h2 and the sub-headings in force at `offset` of the section text."""
    path: list[tuple[int, str]] = []
    for sub in section.subheadings:
        if sub.offset > offset:
            break
        while path and path[-1][0] >= sub.level:
            path.pop()
        path.append((sub.level, sub.text))
    head = (section.heading,) if section.heading else ()
    return head + tuple(text for _, text in path)


def chunk_page(page: Page, page_index: int, counter: TokenCounter, config: ChunkConfig) -> list[Passage]:
    passages: list[Passage] = []
    for section_index, section in enumerate(page.sections):
        for start, end in chunk_spans(page.title, section, counter, config):
            path = heading_path_at(section, start)
            text = section.text[start:end]
            passages.append(Passage(page_index, section_index, path, start, end, text))
    return passages


def chunk_spans(title: str, section: Section, counter: TokenCounter, config: ChunkConfig) -> list[tuple[int, int]]:
    """Character spans of the section's passages: whole sentences packed up to the window, with overlap."""
    offsets = [0] + [sub.offset for sub in section.subheadings]
    prefix_tokens = max(counter.counts([embed_prefix(title, heading_path_at(section, o)) for o in offsets]))
    budget = config.max_tokens - SPECIAL_TOKENS - prefix_tokens
    if budget < 16:
        raise InputError(f"title and headings leave no room for text in a {config.max_tokens}-token window")
    pieces = _fitting_pieces(section.text, sentence_spans(section.text), counter, budget)
    sizes = counter.counts([section.text[s:e] for s, e in pieces])
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        last, used = first, sizes[first]
        while last + 1 < len(pieces) and used + sizes[last + 1] <= budget:
            last += 1
            used += sizes[last]
        spans.append((pieces[first][0], pieces[last][1]))
        if last + 1 >= len(pieces):
            break
        first = _overlap_start(sizes, first, last, config.overlap_tokens)
    return spans


def _overlap_start(sizes: list[int], first: int, last: int, overlap_tokens: int) -> int:
    """Index of the first piece of the next passage: repeat trailing pieces worth up to overlap_tokens."""
    start, carried = last + 1, 0
    while start - 1 > first and carried + sizes[start - 1] <= overlap_tokens:
        start -= 1
        carried += sizes[start]
    return start


def _fitting_pieces(
    text: str, spans: list[tuple[int, int]], counter: TokenCounter, budget: int
) -> list[tuple[int, int]]:
    """Sentences, with any sentence longer than the budget cut into word-aligned pieces."""
    sizes = counter.counts([text[s:e] for s, e in spans])
    pieces: list[tuple[int, int]] = []
    for (start, end), size in zip(spans, sizes):
        while size > budget:
            cut = start + counter.cut(text[start:end], budget)
            pieces.append(trim(text, start, cut))
            start = trim(text, cut, end)[0]
            size = counter.counts([text[start:end]])[0]
        if end > start:
            pieces.append((start, end))
    return pieces

