"""The project's own errors: what a maintainer's command reports as one line, unlike a bug."""
from __future__ import annotations


class CuratedSearchError(Exception):
    """Something the operator can correct, said in one sentence."""


class InputError(CuratedSearchError, ValueError):
    """A file or option a maintainer gave that cannot be read or is wrong: sources, synonyms, best bets."""
