"""The search page for people, and the local copies of the default corpus's pages."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import refresh
from werkzeug.security import safe_join

from search_app.copies import read_copy
from search_app.excerpts import answer_chunks, highlights
from search_app.i18n import BadLanguage, interface_language
from search_app.links import distinct_labels, passage_link, public_link
from search_app.params import BadRequest, search_params
from search_app.searching import run_search, shown_excerpt
from search_app.services import services

bp = Blueprint("views", __name__)


@bp.app_template_filter("host")
def host(url: str) -> str:
    """The host of a URL, as a short link text."""
    return urlsplit(url).hostname or url


def excerpt_parts(text: str, query: str, vector=None) -> list[tuple[list[tuple[str, bool]], bool]]:
    """The excerpt in chunks of highlighted segments; given the question's vector, the answer sentence
    is a chunk of its own."""
    return answer_chunks(*shown_excerpt(text, highlights(text, query), vector))


@bp.get("/")
def index():
    retriever = services().retriever
    sites = retriever.sites()
    context = {"sites": sites if len(sites) > 1 else {}, "query": "", "site": "",
               "helpline": services().retriever.helpline(), "count_clicks": services().usage_log is not None}
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
    except (BadRequest, BadLanguage) as exc:
        return render_template("index.html", error=str(exc), **context), 400
    result = run_search(query, options)
    g.language = result.language
    refresh()  # the page speaks the question's language
    more = options.offset + options.limit < result.total
    return render_template(
        "index.html", result=result, options=options, more=more, excerpt_parts=excerpt_parts,
        excerpts_per_page=retriever.config.excerpts_per_page, details=distinct_labels(result.pages),
        passage_link=passage_link, public_link=public_link, **context
    )


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
    info = services().retriever.shown_page(f"/pages/{quote(resolved.relative_to(root).as_posix())}")
    if info is None:
        abort(404)
    copy = read_copy(resolved, info.original_url)
    return render_template("copy.html", copy=copy, info=info)
