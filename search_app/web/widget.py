"""The embeddable search widget's files: `/widget.js` and `/widget.css` (cached for an hour), and the
same under a versioned name (`/widget-<digest>.js`, cached for a year) for sites that pin a release.
What the widget says comes from the app's catalogs (search_app/translations), the search page's own
words, written into widget.js as it is served, for every language the app speaks."""
from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from babel.support import Translations
from flask import Blueprint, Response, abort

from search_app.web.i18n import TRANSLATIONS
from search_index.language import LANGUAGES


def N_(message: str) -> str:  # marks a message for the catalogs (pybabel extract -k N_)
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:  # a plural one (pybabel extract -k NP_:1,2)
    return singular, plural

STATIC = Path(__file__).resolve().parent.parent / "static"
KINDS = {"js": "text/javascript", "css": "text/css"}
bp = Blueprint("widget", __name__)
MARKER = 'const TEXT = {"en": {}}; // WIDGET_TEXT'
# What the widget says, by the key widget.js uses: message ids of the catalogs (a plural as a pair).
WIDGET_TEXT = {
    "label": N_("Search our information pages"), "placeholder": N_("for example: can stage 4 be cured"),
    "suggestions": N_("Suggestions"), "search": N_("Search"), "searching": N_("Searching…"),
    "note": N_("This search shows passages from our information pages. It is information, not medical advice: "
               "talk to your doctor or nurse about your own situation."),
    "unavailable": N_("The search is not available just now."), "type": N_("Type a question or a few words."),
    "copy": N_("Copy link"), "copied": N_("Copied"), "select": N_("Select the link to copy it"),
    "introduction": N_("Introduction"), "link": N_("Link to this section:"), "reviewed": N_("Reviewed"),
    "recommended": N_("Recommended"), "above": N_("Shown above, as recommended."),
    "talk": N_("Talk to someone: %(helpline)s"), "noMatch": N_("No good match"),
    "notFound": N_("We could not find a passage in our pages that answers “%(query)s”."),
    "tryOther": N_("Try other words, or a shorter question (for example the name of a treatment or a symptom)."),
    "spelling": N_("Check the spelling of medical words."), "fullPage": N_("Open the full search page"),
    "weak": N_("These pages may not answer your question."), "missing": N_("They do not mention %(words)s."),
    "closest": N_("The closest passages are below."), "correctedFor": N_("Showing results for"),
    "instead": N_("Search instead for"), "noMatchFor": N_("No good match for “%(query)s”."),
    "found": NP_("%(num)d page for “%(query)s”", "%(num)d pages for “%(query)s”"),
    "mayNot": N_("They may not answer it."), "more": N_("More results"),
    "showing": N_("Showing %(shown)d of %(total)d pages."),
}
LANGUAGE_NAMES = {"en": N_("page in English"), "es": N_("page in Spanish")}


def widget_text(language: str) -> dict:
    """What the widget says in one language: each message translated (a plural as [one, other])."""
    catalog = Translations.load(str(TRANSLATIONS), [language])
    said = {key: [catalog.ngettext(*message, 1), catalog.ngettext(*message, 2)] if isinstance(message, tuple)
            else catalog.gettext(message) for key, message in WIDGET_TEXT.items()}
    return {**said, "languages": {code: catalog.gettext(name) for code, name in LANGUAGE_NAMES.items()}}


@cache
def asset(kind: str) -> tuple[bytes, str]:
    """A widget file's bytes and the digest that names its version."""
    data = (STATIC / f"widget.{kind}").read_bytes()
    if kind == "js":
        text = json.dumps({language: widget_text(language) for language in LANGUAGES}, ensure_ascii=False)
        data = data.replace(MARKER.encode(), f"const TEXT = {text};".encode())
    return data, hashlib.sha256(data).hexdigest()[:12]


def _send(kind: str, max_age: int) -> Response:
    data, digest = asset(kind)
    response = Response(data, mimetype=KINDS[kind])
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if max_age > 3600 else "")
    response.headers["ETag"] = f'"{digest}"'
    # Other sites' pages load these files.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/widget.<kind>")
def latest(kind: str):
    if kind not in KINDS:
        abort(404)
    return _send(kind, 3600)


@bp.get("/widget-<digest>.<kind>")
def pinned(digest: str, kind: str):
    if kind not in KINDS or digest != asset(kind)[1]:
        abort(404)
    return _send(kind, 365 * 24 * 3600)
