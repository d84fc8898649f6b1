"""What the editors' addresses (best bets' targets, hidden pages and sections) resolve to in a version:
the page or section, and the passage that shows it."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np

from search_index.best_bets import Curation
from search_index.format import PassageRecord
from search_index.reader import IndexReader


@dataclass(frozen=True)
class ResolvedCuration:
    """A version's best bets and hidden pages, resolved to its ids and passages."""

    curation: Curation
    bet_vectors: np.ndarray
    hidden_pages: frozenset[int]
    hidden_sections: frozenset[int]
    shown: list[list[PassageRecord]]


def resolved_curation(reader: IndexReader) -> ResolvedCuration:
    """The stored curation with every address resolved: hidden pages and sections by id, and the
    passages each best bet shows (a section by its first passage; a whole page by the first passage
    of its first section that is not hidden, linked to the page)."""
    curation = reader.curation()
    hidden = [found for found in (reader.resolve(t) for t in curation.hide) if found]
    hidden_sections = frozenset(section for _, section in hidden if section is not None)
    shown = []
    for bet in curation.bets:
        records = []
        for target in bet.show:
            found = target_passage(reader, target, hidden_sections)
            if found is not None:
                record, whole_page = found
                records.append(replace(record, link=record.url, section="") if whole_page else record)
        shown.append(records)
    return ResolvedCuration(curation, reader.bet_vectors(), frozenset(p for p, s in hidden if s is None),
                            hidden_sections, shown)


def target_passage(reader: IndexReader, target: str,
                   skip_sections: Collection[int] = ()) -> tuple[PassageRecord, bool] | None:
    """The passage that shows a page or section address, and whether the address names a whole page:
    a section's first passage, or the first passage of a page's first section not in
    `skip_sections`. None when the address is unknown or shows no text."""
    found = reader.resolve(target)
    if found is None:
        return None
    page_id, section_id = found
    first = section_id or next((s for s in reader.page_sections(page_id) if s not in skip_sections), None)
    record = reader.section_passages([first]).get(first) if first else None
    return (record, section_id is None) if record else None
