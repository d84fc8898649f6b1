"""A word's forms: its lemmas and their inflections ("went": go, goes, going, gone, went), from
LemmInflect's tables (drawn from the NIH SPECIALIST Lexicon), so that a word the pages hold in another
form, irregular ones included, is not taken for a word they lack. Words the tables do not hold
("tattoo", "her2") are their own only form.

Where the tables cannot be read (a damaged install), every word is its own only form and none is known
as an adverb: the doubt rules then compare keyword stems alone, erring towards "may not answer", and
`load` says why."""
from __future__ import annotations

from functools import lru_cache
from types import ModuleType


@lru_cache(maxsize=1)
def _tables() -> tuple[ModuleType | None, Exception | None]:
    """LemmInflect with both tables read (about a second and 50 MB a process), or None and why not."""
    try:
        import lemminflect

        lemminflect.getAllLemmas("go")
        lemminflect.getAllInflections("go")
    except Exception as exc:  # noqa: BLE001 - a damaged install of any kind leaves words as they are
        return None, exc
    return lemminflect, None


def load() -> Exception | None:
    """Reads both tables now, so that no question waits for them; why they cannot be read, or None."""
    return _tables()[1]


@lru_cache(maxsize=8192)
def forms(word: str) -> frozenset[str]:
    """The word, its lemmas (as every part of speech the tables give it) and every inflection of them."""
    tables = _tables()[0]
    if tables is None:
        return frozenset({word})
    lemmas = {lemma for found in tables.getAllLemmas(word.lower()).values() for lemma in found}
    inflected = {form for lemma in lemmas for found in tables.getAllInflections(lemma).values() for form in found}
    return frozenset({word, *lemmas, *inflected})


@lru_cache(maxsize=8192)
def adverb_only(word: str) -> bool:
    """Whether the tables know the word only as an adverb ("everywhere", "usually", "already"): it says
    how, where or when, never what a question is about."""
    tables = _tables()[0]
    return tables is not None and set(tables.getAllLemmas(word.lower())) == {"ADV"}
