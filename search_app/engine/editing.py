"""The editors' changes to the live curation, each a pure function from one state to the next, checked
against the served version: a change that would leave a best bet pointing at a missing or hidden page
or section, or break the files' limits, is refused with the reason (EditRefused)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from search_index.best_bets import MAX_BETS, MAX_PHRASING, MAX_SHOWN, BestBet, Curation, phrasing_key
from search_index.curation_store import CurationState
from search_index.errors import InputError
from search_index.reader import IndexReader
from search_index.synonyms import MAX_GROUPS, parse_synonyms
from search_index.targets import lost_targets
from search_index.text import words

MAX_PHRASINGS = 20  # of one best bet
# The reviewed files an import takes: uploaded, up to 1 MB each; as text, up to 300,000 characters each
# (the limits of search_index.best_bets and search_index.synonyms also apply).
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_CHARS = 300_000


class EditRefused(ValueError):
    """A change the live curation cannot take; the message says why, for the editor."""


def checked(state: CurationState, reader: IndexReader) -> CurationState:
    """The state, if the served version can show all of it and it keeps the limits; else EditRefused."""
    lost = lost_targets(reader, state.curation)
    if lost:
        raise EditRefused("; ".join(lost))
    if len(state.curation.bets) > MAX_BETS:
        raise EditRefused(f"at most {MAX_BETS} best bets")
    if len(state.synonyms) > MAX_GROUPS:
        raise EditRefused(f"at most {MAX_GROUPS} synonym groups")
    return state


def imported(state: CurationState, reader: IndexReader) -> CurationState:
    """The reviewed files' curation, checked; never an empty one (an empty file is a mistake more often
    than a decision, and would remove everything at once)."""
    if not (state.curation.bets or state.curation.hide or state.synonyms):
        raise EditRefused("the files hold no best bet, hidden address or synonym group: an import never empties "
                          "the curation (remove entries one by one, or restore an earlier revision)")
    return checked(state, reader)


def phrasings_of(text: str | Sequence[str]) -> list[str]:
    """Phrasings given one per line (or as a list), blank ones left out, each checked."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    found = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not found:
        raise EditRefused("give at least one phrasing: a question or topic people ask")
    if len(found) > MAX_PHRASINGS:
        raise EditRefused(f"at most {MAX_PHRASINGS} phrasings a best bet")
    for phrasing in found:
        if len(phrasing) > MAX_PHRASING or not words(phrasing):
            raise EditRefused(f"each phrasing needs words and at most {MAX_PHRASING} characters")
    return found


def add_bet(state: CurationState, phrasings: str | Sequence[str], show: Sequence[str],
            reader: IndexReader) -> CurationState:
    """A new best bet: its phrasings recommend the chosen sections (1 to MAX_SHOWN, in order)."""
    asked = phrasings_of(phrasings)
    targets = list(dict.fromkeys(t.strip() for t in show if t.strip()))
    if not 1 <= len(targets) <= MAX_SHOWN:
        raise EditRefused(f"choose 1 to {MAX_SHOWN} sections to recommend")
    keys = {phrasing_key(p, state.synonyms): bet.name for bet in state.curation.bets for p in bet.phrasings}
    for phrasing in asked:
        taken = keys.get(phrasing_key(phrasing, state.synonyms))
        if taken is not None:
            raise EditRefused(f"{phrasing!r} already fires the best bet {taken!r}: change that one instead")
    bets = (*state.curation.bets, BestBet(tuple(asked), tuple(targets)))
    return checked(replace(state, curation=replace(state.curation, bets=bets)), reader)


def remove_bet(state: CurationState, name: str) -> CurationState:
    """Without the best bet of this name (its first phrasing)."""
    bets = tuple(bet for bet in state.curation.bets if bet.name != name)
    if len(bets) == len(state.curation.bets):
        raise EditRefused(f"there is no best bet {name!r}")
    return replace(state, curation=replace(state.curation, bets=bets))


def hide(state: CurationState, target: str, reader: IndexReader) -> CurationState:
    """Also hiding this page or section (an address the served version holds)."""
    target = target.strip()
    if reader.resolve(target) is None:
        raise EditRefused(f"{target or 'an empty address'} is not a page or section of the served version")
    if target in state.curation.hide:
        raise EditRefused(f"{target} is hidden already")
    hidden = replace(state, curation=replace(state.curation, hide=(*state.curation.hide, target)))
    shown_by = [bet.name for bet in state.curation.bets if lost_targets(reader, Curation((bet,), hidden.curation.hide))]
    if shown_by:
        raise EditRefused(f"the best bet {shown_by[0]!r} recommends it: change that bet first")
    return checked(hidden, reader)


def unhide(state: CurationState, target: str) -> CurationState:
    if target not in state.curation.hide:
        raise EditRefused(f"{target} is not hidden")
    return replace(state, curation=replace(state.curation, hide=tuple(t for t in state.curation.hide if t != target)))


def add_synonyms(state: CurationState, terms: str) -> CurationState:
    """A new synonym group from comma-separated terms (two or more, as a line of the synonym list)."""
    try:
        groups = parse_synonyms(terms.replace("\n", ","))
    except InputError as exc:
        raise EditRefused(str(exc).replace("synonym list line 1: ", "")) from None
    if not groups:
        raise EditRefused("give two or more terms that mean the same, separated by commas")
    [group] = groups
    if group in state.synonyms:
        raise EditRefused(f"the group {', '.join(group)} exists already")
    if len(state.synonyms) >= MAX_GROUPS:
        raise EditRefused(f"at most {MAX_GROUPS} synonym groups")
    return replace(state, synonyms=(*state.synonyms, group))


def remove_synonyms(state: CurationState, first: str) -> CurationState:
    """Without the synonym group whose first term this is."""
    groups = tuple(group for group in state.synonyms if group[0] != first)
    if len(groups) == len(state.synonyms):
        raise EditRefused(f"there is no synonym group starting {first!r}")
    return replace(state, synonyms=groups)
