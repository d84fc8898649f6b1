"""A word's forms: its lemmas and their inflections ("went": go, goes, going, gone, went), from
LemmInflect's tables (drawn from the NIH SPECIALIST Lexicon), so that a word the pages hold in another
form, irregular ones included, is not taken for a word they lack. Words the tables do not hold
("tattoo", "her2") are their own only form."""
from __future__ import annotations

from functools import lru_cache

import lemminflect


@lru_cache(maxsize=8192)
def forms(word: str) -> frozenset[str]:
    """The word, its lemmas (as every part of speech the tables give it) and every inflection of them."""
    lemmas = {lemma for found in lemminflect.getAllLemmas(word.lower()).values() for lemma in found}
    inflected = {form for lemma in lemmas for found in lemminflect.getAllInflections(lemma).values()
                 for form in found}
    return frozenset({word, *lemmas, *inflected})


@lru_cache(maxsize=8192)
def adverb_only(word: str) -> bool:
    """Whether the tables know the word only as an adverb ("everywhere", "usually", "already"): it says
    how, where or when, never what a question is about."""
    return set(lemminflect.getAllLemmas(word.lower())) == {"ADV"}


def load() -> None:
    """Reads both tables now (about a second and 50 MB a process; the first look-up of each reads it),
    so that no question waits for them."""
    lemminflect.getAllLemmas("go")
    lemminflect.getAllInflections("go")
