"""The language of a page or a question, by py3langid (its model ships in the package), restricted to
the languages asked about: a page's among the languages pages are indexed in; a question's among the
app's language profiles (search_app.engine.profiles decides how sure it must be)."""
from __future__ import annotations

from functools import lru_cache

LANGUAGES = ("en", "es")
DEFAULT = "en"


@lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...] = LANGUAGES):
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def classify(text: str, languages: tuple[str, ...]) -> tuple[str, float]:
    """The most likely of `languages` for a text, and how likely."""
    language, probability = _identifier(languages).classify(text)
    return language, float(probability)


def page_language(declared: str | None, text: str) -> str:
    """A page's language: its declared `lang` where that is one of ours, else the detector's best guess."""
    primary = (declared or "").strip().lower().split("-")[0]
    if primary in LANGUAGES:
        return primary
    return _identifier().classify(text[:2000])[0]
