"""Editors' curation: best bets (questions -> pages or sections shown first, marked "Recommended") and
hidden pages or sections. Read from a reviewed TOML file at index time and stored with the version,
so that a rollback rolls it back.

The file:

    hide = ["/pages/old-leaflet.html", "/pages/treatments.html#trial-under-review"]

    [[bet]]
    phrasings = ["can stage 4 be cured", "is metastatic breast cancer curable"]
    show = ["/pages/metastatic.html#treatment"]

A target is a page as the search links it (its address, or its original URL) or a section of it
(the page's address with the section's `#anchor`).
"""
from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from search_index.errors import InputError
from search_index.text import words

MAX_SHOWN = 3
# A reviewed list, read by every worker at every version: bounded.
MAX_BETS = 2_000
MAX_FILE_BYTES = 1_000_000
MAX_PHRASING = 200


@dataclass(frozen=True)
class BestBet:
    phrasings: tuple[str, ...]
    show: tuple[str, ...]

    @property
    def name(self) -> str:
        """How reports name the bet: its first phrasing."""
        return self.phrasings[0]


@dataclass(frozen=True)
class Curation:
    bets: tuple[BestBet, ...] = ()
    hide: tuple[str, ...] = ()

    @property
    def phrasings(self) -> list[str]:
        """Every phrasing of every bet, in order (the rows of the stored phrasing vectors)."""
        return [phrasing for bet in self.bets for phrasing in bet.phrasings]

    def to_json(self) -> dict:
        return {"bets": [{"phrasings": list(b.phrasings), "show": list(b.show)} for b in self.bets],
                "hide": list(self.hide)}

    @classmethod
    def from_json(cls, data: dict | None) -> Curation:
        data = data or {}
        bets = tuple(BestBet(tuple(b["phrasings"]), tuple(b["show"])) for b in data.get("bets", []))
        return cls(bets, tuple(data.get("hide", [])))


@dataclass
class _Problems:
    found: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")


def _strings(value: object) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return [item.strip() for item in value if item.strip()]


def parse_best_bets(text: str, name: str = "best bets") -> Curation:
    """A curation from the file's text; ValueError lists every problem, each with its entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: not valid TOML: {exc}") from None
    problems = _Problems()
    unknown = set(data) - {"bet", "hide"}
    if unknown:
        problems.add(name, "unknown keys " + ", ".join(sorted(unknown)) + " (expected [[bet]] and hide)")
    hide = _strings(data.get("hide", []))
    if hide is None:
        problems.add(name, "hide must be a list of page or section addresses")
    bets = []
    if len(data.get("bet", [])) > MAX_BETS:
        raise InputError(f"{name}: {len(data['bet'])} bets, at most {MAX_BETS}")
    for number, entry in enumerate(data.get("bet", []), 1):
        where = f"{name}, bet {number}"
        phrasings, show = _strings(entry.get("phrasings")), _strings(entry.get("show"))
        if set(entry) - {"phrasings", "show"}:
            problems.add(where, "unknown keys " + ", ".join(sorted(set(entry) - {"phrasings", "show"})))
        if not phrasings:
            problems.add(where, "phrasings must be a non-empty list of questions or topics")
        elif any(len(p) > MAX_PHRASING or not words(p) for p in phrasings):
            problems.add(where, f"each phrasing needs words and at most {MAX_PHRASING} characters")
        if not show or len(show) > MAX_SHOWN:
            problems.add(where, f"show must list 1 to {MAX_SHOWN} page or section addresses")
        if phrasings and show and len(show) <= MAX_SHOWN:
            bets.append(BestBet(tuple(dict.fromkeys(phrasings)), tuple(dict.fromkeys(show))))
    if problems.found:
        raise InputError("; ".join(problems.found))
    return Curation(tuple(bets), tuple(dict.fromkeys(hide or [])))


def load_best_bets(path: Path | None) -> Curation:
    if path is None:
        return Curation()
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"the best bets file {path} has {size} bytes: at most {MAX_FILE_BYTES} "
                             f"(a reviewed list of at most {MAX_BETS} bets)")
        return parse_best_bets(Path(path).read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise InputError(f"cannot read the best bets file {path}: {exc.strerror or exc}") from None


def format_best_bets(curation: Curation) -> str:
    """The best bets file's text of a curation (parse_best_bets reads it back the same)."""
    def strings(values: Sequence[str]) -> str:
        return "[" + ", ".join(json.dumps(value, ensure_ascii=False) for value in values) + "]"

    parts = [f"hide = {strings(curation.hide)}\n"]
    for bet in curation.bets:
        parts.append(f"\n[[bet]]\nphrasings = {strings(bet.phrasings)}\nshow = {strings(bet.show)}\n")
    return "".join(parts)


def phrasing_key(text: str, synonyms: Sequence[Sequence[str]] = ()) -> str:
    """A question's words with each synonym replaced by its group's first term: two phrasings with the
    same key ask the same thing ("can stage iv be cured" = "can stage 4 be cured")."""
    padded = " " + " ".join(words(text)) + " "
    for group in synonyms:
        for term in sorted(group[1:], key=len, reverse=True):
            padded = padded.replace(f" {term} ", f" {group[0]} ")
    return padded.strip()
