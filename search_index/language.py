"""The language of a question or a page: English or Spanish, the languages the app speaks.

py3langid (its model ships in the package), restricted to the two. A question counts as Spanish only
when the detector is sure of it (short English questions are often near the line: "metastasis",
"tamoxifen"), or leans to Spanish while it is written with Spanish letters or the reader's interface
is in Spanish.
"""
from __future__ import annotations

import re
from functools import lru_cache

LANGUAGES = ("en", "es")
DEFAULT = "en"
SURE = 0.9
LEANING = 0.5
SPANISH_LETTERS = re.compile("[¿¡ñáéíóúü]", re.IGNORECASE)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def page_language(declared: str | None, text: str) -> str:
    """A page's language: its declared `lang` where that is one of ours, else the detector's best guess."""
    primary = (declared or "").strip().lower().split("-")[0]
    if primary in LANGUAGES:
        return primary
    return _identifier().classify(text[:2000])[0]


def detect(question: str, interface: str = DEFAULT) -> str:
    """"es" or "en" for a question, given the reader's interface language."""
    language, probability = _identifier().classify(question)
    if language != "es":
        return DEFAULT
    spanish = probability >= SURE or (probability >= LEANING and (
        interface == "es" or SPANISH_LETTERS.search(question) is not None))
    return "es" if spanish else DEFAULT
