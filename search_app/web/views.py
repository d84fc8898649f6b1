"""The search page for people, and the local copies of the default corpus's pages."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from flask import Blueprint, abort, current_app, render_template, request, url_for
from werkzeug.security import safe_join

from search_app.engine.excerpts import answer_chunks
from search_app.engine.results import Excerpt
from search_app.web.copies import read_copy
from search_app.web.i18n import BadLanguage, interface_language
from search_app.web.params import InvalidParameter, search_params
from search_app.web.searching import run_search
from search_app.web.services import services, snapshot

bp = Blueprint("views", __name__)


@bp.app_template_filter("readable")
def readable(url: str) -> str:
    """An address as a person reads it, whole (an address on this site with its host, as "Copy link"
    copies it) and with its escapes decoded (a text fragment's words with their spaces)."""
    return unquote(urljoin(request.host_url, url))


@bp.app_template_filter("host")
def host(url: str) -> str:
    """The host of a URL, as a short link text."""
    return urlsplit(url).hostname or url


def excerpt_chunks(shown: Excerpt) -> list[tuple[list[tuple[str, bool]], bool]]:
    """An excerpt in chunks of highlighted segments; its answer sentence, if marked, a chunk of its own."""
    return answer_chunks(shown.text, shown.highlights, shown.answer)


@bp.get("/")
def index():
    sites = snapshot().sites
    context = {"sites": sites if len(sites) > 1 else {}, "query": "", "site": "",
               "helpline": snapshot().helpline, "count_clicks": services().usage_log is not None}
    if "q" not in request.args:
        try:
            interface_language()
        except BadLanguage as exc:
            return render_template("index.html", error=str(exc), **context), 400
        return render_template("index.html", **context)
    context.update(query=request.args.get("q", "")[:600], site=request.args.get("source", ""))
    try:
        query, options = search_params(request.args, sites)
        options = replace(options, interface=interface_language())
    except (InvalidParameter, BadLanguage) as exc:
        return render_template("index.html", error=str(exc), **context), 400
    result = run_search(query, options)
    more = options.offset + options.limit < result.total
    dead_end = (result.no_match or not result.pages) and not result.recommended
    close = snapshot().close_questions(result.searched, options.interface) if dead_end else []
    return render_template(
        "index.html", result=result, options=options, more=more, excerpt_chunks=excerpt_chunks,
        excerpts_per_page=services().retriever.config.excerpts_per_page, close_questions=close, **context
    )


@bp.get("/pages/")
def pages():
    """Every page the search holds, by site: somewhere to go when a question finds no good match."""
    try:
        interface_language()
    except BadLanguage as exc:
        abort(400, str(exc))
    return render_template("pages.html", sites=snapshot().browse())


PAGE_SUFFIXES = (".html", ".htm")


@bp.get("/pages/<path:name>")
def page(name: str):
    """A page of PAGES_DIR in the reading layout: only HTML files that are inside it, links included,
    that the served version holds and shows (not a page the indexer skipped or the editors hide)."""
    folder = current_app.config.get("PAGES_DIR")
    if not folder:
        abort(404)
    root = Path(folder).resolve()
    target = safe_join(str(root), name)
    if target is None or not target.lower().endswith(PAGE_SUFFIXES):
        abort(404)
    resolved = Path(target).resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        abort(404)
    info = snapshot().shown_page(f"/pages/{quote(resolved.relative_to(root).as_posix())}")
    if info is None:
        abort(404)
    copy = read_copy(resolved, info.original_url)
    shared = info.original_url and urlsplit(info.original_url).hostname not in snapshot().share_copies
    return render_template("copy.html", copy=copy, info=info, original=info.original_url if shared else None,
                           back=search_left())


def search_left() -> str:
    """Where "Back to the search" goes: the search page the reader came from (its question kept), when
    the browser says it was this site's; else the search page."""
    came = urlsplit(request.referrer or "")
    if came.scheme in ("http", "https") and came.netloc == request.host and came.path == url_for("views.index"):
        return url_for("views.index") + (f"?{came.query}" if came.query else "")
    try:
        return url_for("views.index", lang=interface_language())
    except BadLanguage:
        return url_for("views.index")
