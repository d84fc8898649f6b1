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


def resolved_curation(reader: IndexReader, curation: Curation | None = None,
                      bet_vectors: np.ndarray | None = None) -> ResolvedCuration:
    """A curation (the version's stored one unless given, with its phrasings' vectors) with every
    address resolved: hidden pages and sections by id, and the passages each best bet shows (a section
    by its first passage; a whole page by the first passage of its first section that is not hidden,
    linked to the page)."""
    if curation is None:
        curation, bet_vectors = reader.curation(), reader.bet_vectors()
    hidden_pages, hidden_sections = hidden_ids(reader, curation.hide)
    shown = []
    for bet in curation.bets:
        records = []
        for target in bet.show:
            found = target_passage(reader, target, hidden_sections)
            if found is not None:
                record, whole_page = found
                records.append(replace(record, link=record.url, section="") if whole_page else record)
        shown.append(records)
    return ResolvedCuration(curation, bet_vectors, hidden_pages, hidden_sections, shown)


def hidden_ids(reader: IndexReader, hide: Collection[str]) -> tuple[frozenset[int], frozenset[int]]:
    """The pages and the sections these addresses hide in a version."""
    found = [f for f in (reader.resolve(t) for t in hide) if f]
    return frozenset(p for p, s in found if s is None), frozenset(s for _, s in found if s is not None)


def lost_targets(reader: IndexReader, curation: Curation) -> list[str]:
    """What a curation names that a version cannot show: addresses it does not hold (hidden or shown),
    and best bets' targets that are hidden, each said in one line."""
    lost = [f"hidden address {t} is not in this version" for t in curation.hide if reader.resolve(t) is None]
    hidden_pages, hidden_sections = hidden_ids(reader, curation.hide)
    for bet in curation.bets:
        for target in bet.show:
            found = reader.resolve(target)
            if found is None:
                lost.append(f"best bet {bet.name!r}: {target} is not in this version")
            elif found[0] in hidden_pages or found[1] in hidden_sections:
                lost.append(f"best bet {bet.name!r}: {target} is hidden")
    return lost


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
