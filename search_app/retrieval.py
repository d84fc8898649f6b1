"""Question -> candidate passages from the published index (dense and keyword) -> ranked pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indexer import embedding
from indexer.store import IndexReader, StoreError
from search_app import ranking
from search_app.text import content_words

DENSE_CANDIDATES = 200
FILTERED_CANDIDATES = 2000
KEYWORD_CANDIDATES = 200
MIN_SCORE = 0.35


@dataclass(frozen=True)
class SearchOptions:
    limit: int = 10
    offset: int = 0
    source: str | None = None
    mode: str = "default"


@dataclass
class SearchResult:
    query: str
    total: int
    pages: list[ranking.PageHit] = field(default_factory=list)
    no_match: bool = False


def keyword_query(query: str, operator: str = "OR") -> str | None:
    """An FTS5 expression joining the question's content words, each quoted (no operators get through)."""
    terms = content_words(query)
    if not terms:
        return None
    return f" {operator} ".join('"' + t.replace('"', "") + '"' for t in terms)


class Retriever:
    """Holds one published index version and the model it was built with."""

    def __init__(self, index_dir: Path, device: str = "cpu", fusion: ranking.Fusion = ranking.Fusion(),
                 min_score: float = MIN_SCORE) -> None:
        self.reader = IndexReader(index_dir)
        self.device = device
        self.fusion = fusion
        self.min_score = min_score
        info = embedding.model_info(device)
        expected = self.reader.manifest["model"]
        if (info.name, info.sha256) != (expected["name"], expected["sha256"]):
            raise StoreError(f"index built with {expected['name']} ({expected['sha256'][:12]}), "
                             f"but the installed model is {info.name} ({info.sha256[:12]}): rebuild the index")

    @property
    def version(self) -> str:
        return self.reader.version

    def sources(self) -> dict[str, int]:
        return self.reader.sources()

    def dense(self, query: str, k: int) -> list[tuple[int, float]]:
        return self.reader.dense(embedding.embed_query(query, self.device), k)

    def keyword(self, query: str, k: int) -> list[tuple[int, float]]:
        match = keyword_query(query)
        return self.reader.keyword(match, k) if match else []

    def has_all_words(self, query: str) -> bool:
        """Some passage holds every content word of the query (a short, exact query like a drug name)."""
        match = keyword_query(query, "AND")
        return bool(match) and bool(self.reader.keyword(match, 1))

    def search(self, query: str, options: SearchOptions = SearchOptions()) -> SearchResult:
        k = FILTERED_CANDIDATES if options.source else DENSE_CANDIDATES
        dense = self.dense(query, k)
        if not dense or (dense[0][1] < self.min_score and not self.has_all_words(query)):
            return SearchResult(query, 0, no_match=True)
        keyword = self.keyword(query, KEYWORD_CANDIDATES) if options.mode != "dense" else []
        scores = ranking.fuse(options.mode, dense, keyword, self.fusion)
        records = self.reader.passages(list(scores))
        if options.source:
            records = {pid: r for pid, r in records.items() if r.source == options.source}
        pages = ranking.group(records, scores)
        return SearchResult(query, len(pages), pages[options.offset: options.offset + options.limit])
