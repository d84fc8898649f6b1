"""What a build reports: pages added, changed, removed, unchanged and skipped, what was ignored in
pages, sources that failed, texts embedded and reused by each model, time, memory and size."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from search_index.documents import PageNote


@dataclass
class ModelReport:
    """One model's share of a build: distinct texts it embedded, texts whose vectors it reused (from
    the previous version or the machine's embedding cache; of those, distinct ones from the cache), and
    how long it spent embedding and how fast (the model's conversion and the cache's reads not counted)."""

    embedded: int = 0
    reused: int = 0
    cached: int = 0
    seconds: float = 0.0
    texts_per_second: float = 0.0


@dataclass
class BuildReport:
    version: str = ""
    pages: int = 0
    sections: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    models: dict[str, ModelReport] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    read_again: int = 0  # unchanged pages parsed and chunked again, the reading rules having changed
    skipped: list[PageNote] = field(default_factory=list)
    notes: list[PageNote] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)
    published: bool = True
    seconds: float = 0.0
    passages_per_second: float = 0.0
    peak_memory_mb: float = 0.0
    size_bytes: int = 0
    vector_index: str = ""

    def to_json(self) -> dict:
        return asdict(self)
