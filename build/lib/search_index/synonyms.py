"""The maintainers' synonym list: groups of equivalent terms, read at index time and stored with the index."""
from __future__ import annotations

from pathlib import Path

from search_index.errors import InputError
from search_index.text import words


def parse_synonyms(text: str) -> list[tuple[str, ...]]:
    """Groups of two or more terms, each term as its lower-case words joined by one space."""
    groups = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        terms = tuple(dict.fromkeys(" ".join(words(term)) for term in line.split(",") if words(term)))
        if len(terms) > 1:
            groups.append(terms)
    return groups


def load_synonyms(path: Path | None) -> list[tuple[str, ...]]:
    if path is None:
        return []
    try:
        return parse_synonyms(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the synonym list {path}: {exc.strerror or exc}") from None


def expansions(query: str, groups: list[tuple[str, ...]]) -> list[str]:
    """The other terms of every group one of whose terms the query contains (as whole words)."""
    padded = " " + " ".join(words(query)) + " "
    found: list[str] = []
    for group in groups:
        if any(f" {term} " in padded for term in group):
            found.extend(t for t in group if f" {t} " not in padded)
    return list(dict.fromkeys(found))
