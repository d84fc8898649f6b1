"""Validation of search parameters: every bad value gets a reason, never an exception."""
from __future__ import annotations

import re
from collections.abc import Mapping

from search_app.engine.results import SearchOptions
from search_app.engine.strategies import MODES

MAX_QUERY = 500
MAX_LIMIT = 50
MAX_OFFSET = 1000
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidParameter(ValueError):
    """A parameter that cannot be used; the message is shown to the user."""


def clean_query(raw: str | None) -> str:
    if raw is None:
        raise InvalidParameter("Missing parameter q: type a question or a few words.")
    query = " ".join(CONTROL.sub(" ", raw).split())
    if not query:
        raise InvalidParameter("The question is empty: type a question or a few words.")
    if len(raw) > MAX_QUERY:
        raise InvalidParameter(f"The question is too long: at most {MAX_QUERY} characters.")
    return query


def integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw.strip()):
        raise InvalidParameter(f"{name} must be a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidParameter(f"{name} must be a whole number from {low} to {high}.")
    return value


def search_params(args: Mapping[str, str], sites: Mapping[str, int]) -> tuple[str, SearchOptions]:
    """The query and options from request arguments; InvalidParameter names the first bad one.

    The `source` parameter names a site (the API's name for it since its first version)."""
    query = clean_query(args.get("q"))
    limit = integer(args, "limit", 10, 1, MAX_LIMIT)
    offset = integer(args, "offset", 0, 0, MAX_OFFSET)
    site = args.get("source") or None
    if site is not None and site not in sites:
        raise InvalidParameter("Unknown source: choose one of " + ", ".join(sorted(sites)) + ".")
    mode = args.get("mode", "default")
    if mode not in MODES:
        raise InvalidParameter("mode must be one of " + ", ".join(MODES) + ".")
    return query, SearchOptions(limit=limit, offset=offset, site=site, mode=mode, correct=flag(args, "correct"))


def flag(args: Mapping[str, str], name: str, default: bool = True) -> bool:
    """A yes/no parameter: one of TRUE or FALSE as written there; empty or absent: the default."""
    raw = args.get(name) or ""
    if not raw:
        return default
    if raw in TRUE or raw in FALSE:
        return raw in TRUE
    raise InvalidParameter(f"{name} must be true or false.")
