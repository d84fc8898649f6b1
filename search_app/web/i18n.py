"""The interface in the reader's language (Flask-Babel): Spanish for a Spanish question, else the
language the request asks for (`lang=es`, else the browser's Accept-Language), else English.
Catalogs, the page's words and the widget's (search_app.web.widget):
search_app/translations/<language>/LC_MESSAGES/messages.po and the .mo compiled from it
(`python -m search_app.web.i18n`; a test checks they agree). After changing the interface's text:
    pybabel extract -F search_app/translations/babel.cfg -k _ -k ngettext:1,2 -k N_ -k NP_:1,2 -o /tmp/messages.pot .
    pybabel update -i /tmp/messages.pot -d search_app/translations --ignore-obsolete
then translate and compile."""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request
from flask_babel import Babel, gettext

from search_index.language import DEFAULT, LANGUAGES

TRANSLATIONS = Path(__file__).parent.parent / "translations"


class BadLanguage(ValueError):
    """A `lang` parameter the app does not speak."""


def interface_language() -> str:
    """The language the request asks the interface to speak (BadLanguage for an unknown `lang`)."""
    if not has_request_context():
        return DEFAULT
    asked = request.args.get("lang")
    if asked:
        if asked not in LANGUAGES:
            raise BadLanguage(f"lang must be one of {', '.join(LANGUAGES)}.")
        return asked
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def page_language() -> str:
    """The language a page is shown in: the reader's interface's (`lang`, else the browser's), whatever
    the language a question is read in."""
    try:
        return interface_language()
    except BadLanguage:
        return DEFAULT


def language_names() -> dict[str, str]:
    """How a result names a page's language when it differs from the question's."""
    return {"en": gettext("page in English"), "es": gettext("page in Spanish")}


def quoted(word: str) -> str:
    return f"“{word}”"


def install(app: Flask) -> None:
    Babel(app, locale_selector=page_language, default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.globals.update(interface_language=page_language, language_names=language_names)
    app.jinja_env.filters["quoted"] = quoted


def compile_catalogs() -> list[Path]:
    """Compile every messages.po into the messages.mo beside it."""
    made = []
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with open(po, "rb") as source:
            catalog = read_po(source)
        with open(po.with_suffix(".mo"), "wb") as target:
            write_mo(target, catalog)
        made.append(po.with_suffix(".mo"))
    return made


if __name__ == "__main__":
    for path in compile_catalogs():
        print(f"compiled {path}")
    sys.exit(0)
