"""The maintainers' synonym list: groups of equivalent terms, read at index time and stored with the index.

Limits keep a mistaken file (a pasted word list, one enormous line) from reaching the index: every
group is stored in the manifest and expands a question's keyword search."""
from __future__ import annotations

from pathlib import Path

from search_index.errors import InputError
from search_index.text import words

MAX_BYTES = 256 * 1024
MAX_GROUPS = 2_000
MAX_TERMS = 20  # in one group
MAX_TERM_WORDS = 6


def parse_synonyms(text: str) -> list[tuple[str, ...]]:
    """Groups of two or more terms, each term as its lower-case words joined by one space; a list
    past the limits is refused with the line that breaks them."""
    groups = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        terms = tuple(dict.fromkeys(" ".join(words(term)) for term in line.split(",") if words(term)))
        if len(terms) > MAX_TERMS:
            raise InputError(f"synonym list line {number}: {len(terms)} terms in one group (at most {MAX_TERMS})")
        long = next((term for term in terms if len(term.split()) > MAX_TERM_WORDS), None)
        if long is not None:
            raise InputError(f"synonym list line {number}: the term {long[:60]!r} has more than "
                             f"{MAX_TERM_WORDS} words")
        if len(terms) > 1:
            groups.append(terms)
        if len(groups) > MAX_GROUPS:
            raise InputError(f"synonym list: more than {MAX_GROUPS} groups (line {number})")
    return groups


def format_synonyms(groups: list[tuple[str, ...]]) -> str:
    """The synonym list's text of these groups (parse_synonyms reads it back the same)."""
    return "".join(", ".join(group) + "\n" for group in groups)


def load_synonyms(path: Path | None) -> list[tuple[str, ...]]:
    if path is None:
        return []
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"the synonym list {path} has {size} bytes (at most {MAX_BYTES})")
        return parse_synonyms(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the synonym list {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"the synonym list {path} is not UTF-8 text") from None


def expansions(query: str, groups: list[tuple[str, ...]]) -> list[str]:
    """The other terms of every group one of whose terms the query contains (as whole words)."""
    padded = " " + " ".join(words(query)) + " "
    found: list[str] = []
    for group in groups:
        if any(f" {term} " in padded for term in group):
            found.extend(t for t in group if f" {t} " not in padded)
    return list(dict.fromkeys(found))
