"""The editors' live curation in the browser, at /admin/curation: best bets (their targets picked from
a search of the served version), hidden pages and sections, synonym groups; every change checked
against the served version (search_app.engine.editing), recorded with who made it, and undone by
restoring any earlier revision; the reviewed files exported and imported.

Viewers see it; only editors change it. A form sent with the browser's own credentials (Basic) must
carry this site's CSRF token and, where the browser says, come from this site's origin. Every change
answers a form with a redirect back (and its outcome), and a JSON client (Accept: application/json)
with the new revision."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from werkzeug.http import HTTP_STATUS_CODES

from search_app.engine import editing
from search_app.engine.editing import MAX_IMPORT_BYTES, MAX_IMPORT_CHARS, EditRefused
from search_app.engine.results import SearchOptions
from search_app.web import admin, openapi
from search_app.web.hooks import error_json
from search_app.web.params import MAX_QUERY
from search_app.web.services import services, snapshot
from search_index.best_bets import format_best_bets, parse_best_bets
from search_index.curation_store import CurationState, Revision
from search_index.database import ERRORS, describe
from search_index.errors import InputError
from search_index.synonyms import format_synonyms, parse_synonyms
from search_index.targets import lost_targets, target_passage

bp = Blueprint("curating", __name__)
bp.before_request(admin.require_token)
bp.after_request(admin.never_cached)

HISTORY_SHOWN = 50
MAX_REVISION = 2**31 - 1  # the column's range on PostgreSQL
PIN_RESULTS = 10
MAX_FIELD = 4_000
# The body that brings both files of an import (editing.MAX_IMPORT_CHARS each), even with every character
# percent-encoded (up to 12 bytes): the one request allowed more than the app's 16 KiB.
IMPORT_BODY_BYTES = 8_000_000


@bp.app_template_filter("utc")
def utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def store():
    found = services().curation_store
    if found is None:
        abort(404, "The live curation needs the record: set QUERY_LOG (a SQLite file) or DATABASE_URL.")
    return found


def served_state() -> tuple[CurationState, int]:
    """The curation being served and its revision (0: the version's own, from the reviewed files)."""
    current = snapshot()
    return CurationState(current.curation(), tuple(current.synonyms)), current.revision


def latest_state() -> tuple[CurationState, int]:
    """The record's newest curation, or the served version's own while the record holds none."""
    try:
        latest = store().latest()
    except ERRORS as exc:
        abort(503, f"The record cannot be read just now ({describe(exc)}): try again.")
    if latest is None:
        return served_state()
    return latest.state, latest.number


def field(name: str, required: bool = True) -> str:
    value = request.values.get(name, "")
    if len(value) > MAX_FIELD:
        abort(400, f"{name} is longer than {MAX_FIELD} characters")
    if required and not value.strip():
        abort(400, f"{name} is required")
    return value


def require_editor() -> None:
    """Only editors change anything; a form must prove it is this site's own."""
    who = admin.person()
    if not who.editor:
        abort(403, f"The token of {who.name} may view, not edit: changes need an editor's token.")
    if admin.from_browser():
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            abort(403, "This change came from another site's page.")
        if not hmac.compare_digest(request.form.get("csrf", ""), admin.csrf_token()):
            abort(403, "This form has expired or is not this site's: open the page again and resend it.")


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def change(action: str, edit: Callable[[CurationState], CurationState]) -> Response:
    """Apply an edit to the newest state and record it; the outcome for a form or a JSON client."""
    require_editor()
    state, _ = latest_state()
    try:
        revision = store().commit(admin.person().name, action, edit(state))
    except EditRefused as exc:
        return outcome(str(exc), 422)
    except ERRORS as exc:
        return outcome(f"Not saved: the record cannot be written just now ({describe(exc)}). Try again.", 503)
    services().live_curation.poll()
    return outcome(f"Saved as revision {revision.number}: {action}.", 200, revision)


def outcome(message: str, status: int, revision: Revision | None = None) -> Response:
    if wants_json():
        if revision is None:
            return error_json(status, HTTP_STATUS_CODES[status], message)
        return jsonify({"message": message, "revision": revision.number, "state": revision.state.to_json()})
    back = request.form.get("back", "")
    target = back if back.startswith("/admin/") and not back.startswith("//") else url_for("curating.page")
    separator = "&" if "?" in target else "?"
    return redirect(target + separator + urlencode({"done" if status == 200 else "refused": message}), 303)


def describe_target(target: str) -> dict:
    """A target as the page shows it: its page's title and section heading, where the version has it."""
    found = target_passage(snapshot().reader, target)
    if found is None:
        return {"address": target, "title": None, "section": None}
    record, whole_page = found
    return {"address": target, "title": record.title, "section": None if whole_page else record.section}


@bp.get("/admin/curation")
def page():
    state, number = served_state()
    history, error = [], None
    try:
        history = store().history(HISTORY_SHOWN)
    except ERRORS as exc:
        error = describe(exc)
    return render_template(
        "curation.html", state=state, revision=number, history=history, record_error=error,
        lost=lost_targets(snapshot().reader, state.curation), describe_target=describe_target,
        editor=admin.person().editor, synonym=request.args.get("synonym", "")[:MAX_QUERY],
        done=request.args.get("done", "")[:300], refused=request.args.get("refused", "")[:300])


@bp.get("/admin/openapi.json")
def admin_openapi():
    """The OpenAPI description of the admin's JSON side."""
    return jsonify(openapi.admin_document())


@bp.get("/admin/curation.json")
def state_json():
    state, number = served_state()
    return jsonify({"revision": number, "state": state.to_json(), "lost": lost_targets(snapshot().reader,
                                                                                         state.curation)})


@bp.get("/admin/curation/history.json")
def history_json():
    try:
        history = store().history(HISTORY_SHOWN)
    except ERRORS as exc:
        abort(503, f"The record cannot be read just now ({describe(exc)}).")
    return jsonify([{"revision": r.number, "at": r.at, "editor": r.editor, "action": r.action} for r in history])


@bp.get("/admin/curation/pin")
def pin():
    """The sections the ranking scores highest for a question (`q`), to recommend (or hide) any of them;
    `phrasing`: what people asked (a question from the dashboard), kept while the editor searches with
    other words."""
    question = request.args.get("q", "").strip()[:MAX_QUERY]
    asked = request.args.get("phrasing", "").strip()[:MAX_QUERY]
    result = None
    if question:
        result = services().retriever.search(question, SearchOptions(limit=PIN_RESULTS), snapshot())
    return render_template("pin.html", question=question, asked=asked, phrasing=asked or question, result=result,
                           editor=admin.person().editor,
                           refused=request.args.get("refused", "")[:300], done=request.args.get("done", "")[:300])


@bp.post("/admin/curation/bets")
def add_bet():
    phrasings, show = field("phrasings"), request.values.getlist("show")
    if sum(map(len, show)) > MAX_FIELD:
        abort(400, "show is too long")
    reader, name = snapshot().reader, phrasings.strip().splitlines()[0].strip()
    return change(f"best bet {name!r} added", lambda state: editing.add_bet(state, phrasings, show, reader))


@bp.post("/admin/curation/bets/remove")
def remove_bet():
    name = field("name")
    return change(f"best bet {name!r} removed", lambda state: editing.remove_bet(state, name))


@bp.post("/admin/curation/hide")
def hide():
    target, reader = field("target"), snapshot().reader
    return change(f"{target} hidden", lambda state: editing.hide(state, target, reader))


@bp.post("/admin/curation/unhide")
def unhide():
    target = field("target")
    return change(f"{target} shown again", lambda state: editing.unhide(state, target))


@bp.post("/admin/curation/synonyms")
def add_synonyms():
    terms = field("terms")
    return change(f"synonyms {terms.strip()[:100]!r} added", lambda state: editing.add_synonyms(state, terms))


@bp.post("/admin/curation/synonyms/remove")
def remove_synonyms():
    first = field("first")
    return change(f"synonym group {first!r} removed", lambda state: editing.remove_synonyms(state, first))


@bp.post("/admin/curation/restore")
def restore():
    """Undo: an earlier revision's state becomes the newest."""
    try:
        number = int(field("revision"))
        if not 1 <= number <= MAX_REVISION:
            raise ValueError(number)
        earlier = store().get(number)
    except ValueError:
        abort(400, f"revision must be a whole number from 1 to {MAX_REVISION}")
    except ERRORS as exc:
        return outcome(f"The record cannot be read just now ({describe(exc)}). Try again.", 503)
    if earlier is None:
        abort(404, f"There is no revision {number}.")
    reader = snapshot().reader
    return change(f"revision {number} restored", lambda _: editing.checked(earlier.state, reader))


@bp.post("/admin/curation/import")
def import_files():
    """The reviewed files (best bets, synonyms) as the newest revision, checked like any change."""
    request.max_content_length = request.max_form_memory_size = IMPORT_BODY_BYTES
    require_editor()
    texts = {}
    for name in ("best_bets", "synonyms"):
        upload = request.files.get(name)
        if upload is None and name not in request.form:
            abort(400, f"{name} is required: the file's text, or the file (empty text for an empty file)")
        if upload is None and len(request.form[name]) > MAX_IMPORT_CHARS:
            abort(400, f"{name} is longer than {MAX_IMPORT_CHARS} characters")
        raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else request.form[name].encode()
        if len(raw) > MAX_IMPORT_BYTES:
            abort(400, f"{name} is larger than {MAX_IMPORT_BYTES} bytes")
        try:
            texts[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            abort(400, f"{name} is not UTF-8 text")
    try:
        state = CurationState(parse_best_bets(texts["best_bets"], "best bets file"),
                              tuple(parse_synonyms(texts["synonyms"])))
    except InputError as exc:
        return outcome(str(exc), 422)
    reader = snapshot().reader
    return change("imported from the files", lambda _: editing.imported(state, reader))


def exported(text: str, mimetype: str, filename: str, revision: int) -> Response:
    return Response(text, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}",
                                                      "X-Curation-Revision": str(revision)})


@bp.get("/admin/curation/best-bets.toml")
def export_best_bets():
    state, number = served_state()
    return exported(format_best_bets(state.curation), "application/toml", "best-bets.toml", number)


@bp.get("/admin/curation/synonyms.txt")
def export_synonyms():
    state, number = served_state()
    return exported(format_synonyms(list(state.synonyms)), "text/plain", "synonyms.txt", number)
