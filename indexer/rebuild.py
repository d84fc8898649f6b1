"""Reading a version back for the next build: its pages, passages and vectors by text, so that an
update re-embeds only what changed (older formats included)."""
from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator

import numpy as np

from search_index import keywords
from search_index.documents import Page, Passage, Section, StoredPage
from search_index.language import page_language
from search_index.reader import IndexReader


class RebuildReader(IndexReader):
    """A version's stored pages, passages, keyword postings and vectors, for the build that follows it."""

    def pages_per_origin(self) -> dict[str, int]:
        """How many pages each source (by origin) gave this version."""
        rows = self._rows("SELECT origin, count(*) AS n FROM pages GROUP BY origin")
        return {row["origin"]: row["n"] for row in rows}

    def stored_pages(self) -> list[StoredPage]:
        """Every page with its sections and passages, as the indexer made them (sub-heading offsets aside)."""
        pages = {row["id"]: row for row in self._rows(f"SELECT *, {self._site_column} AS site_name FROM pages")}
        sections: dict[int, list[Section]] = {page_id: [] for page_id in pages}
        for row in self._rows("SELECT page_id, heading, anchor, link, text FROM sections ORDER BY page_id, ord"):
            sections[row["page_id"]].append(Section(row["heading"], row["anchor"], row["link"], row["text"]))
        passages: dict[int, list[Passage]] = {page_id: [] for page_id in pages}
        for _, page_id, passage in self._passages():
            passages[page_id].append(passage)
        return [
            StoredPage(Page(row["url"], row["title"], row["updated"], row["site_name"], row["path"],
                            row["content_hash"], tuple(sections[page_id]), row["origin"], row["etag"],
                            row["last_modified"], row["original_url"] if "original_url" in row.keys() else None,
                            language=row["language"] if "language" in row.keys() else page_language(
                                None, " ".join(s.text for s in sections[page_id]))),
                       tuple(passages[page_id]))
            for page_id, row in pages.items()
        ]

    def _passages(self) -> Iterator[tuple[int, int, Passage]]:
        """(passage id, page id, passage) for every passage, in id order."""
        for row in self._rows(
            "SELECT ps.id, s.page_id, s.ord AS section_ord, ps.heading_path, ps.start, ps.end, ps.text "
            "FROM passages ps JOIN sections s ON s.id = ps.section_id ORDER BY ps.id"
        ):
            yield row["id"], row["page_id"], Passage(0, row["section_ord"], tuple(json.loads(row["heading_path"])),
                                                     row["start"], row["end"], row["text"])

    def embedded_texts(self, embedded_text: Callable[[str, Passage], str]) -> list[str]:
        """The text embedded for each passage, in id order."""
        titles = {row["id"]: row["title"] for row in self._rows("SELECT id, title FROM pages")}
        return [embedded_text(titles[page_id], passage) for _, page_id, passage in self._passages()]

    def postings_copy(self) -> keywords.Postings:
        """This version's keyword postings, to give a version with the same passages."""
        rows = self._rows("SELECT term, start, end FROM keyword_terms")
        spans = {row["term"]: (row["start"], row["end"]) for row in rows}
        return keywords.Postings(spans, *self.postings)

    def embedded_vectors(self, texts: Collection[str], embedded_text: Callable[[str, Passage], str],
                         model: str = "minilm") -> dict[str, np.ndarray]:
        """The vectors `model` gave in this version to any of `texts`: page titles by their text, passages
        by the text that was embedded for them (`embedded_text(page title, passage)`)."""
        if model not in self.model_vectors:
            return {}
        index, title_vectors = self.model_vectors[model], self.model_titles[model]
        titles = {row["id"]: row["title"] for row in self._rows("SELECT id, title FROM pages")}
        found: dict[str, np.ndarray] = {}
        if len(title_vectors):
            found.update((title, title_vectors[page_id - 1]) for page_id, title in titles.items() if title in texts)
        wanted: dict[str, int] = {}
        for passage_id, page_id, passage in self._passages():
            text = embedded_text(titles[page_id], passage)
            if text in texts:
                wanted[text] = passage_id
        if wanted:
            vectors = index.index.reconstruct_n(0, index.ntotal)
            found.update((text, vectors[passage_id - 1]) for text, passage_id in wanted.items())
        return found

