"""JSON API: /api/search, its OpenAPI document, and health checks."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request

from search_app.engine.ranking import PageHit
from search_app.engine.results import Excerpt, SearchResult, ShownPassage
from search_app.web import openapi
from search_app.web.errors import ApiError
from search_app.web.i18n import BadLanguage, interface_language
from search_app.web.params import MAX_LIMIT, MAX_OFFSET, InvalidParameter, clean_query, integer, search_params
from search_app.web.searching import run_search
from search_app.web.services import services, snapshot
from search_index.format import PassageRecord

bp = Blueprint("api", __name__)
# A beacon sends an empty body; browsers may add a few bytes.
MAX_CLICK_BODY = 64


def page_json(page: PageHit | PassageRecord, detail: str = "") -> dict:
    """A page as the API names it, from a ranked page or from a passage's record."""
    return {"url": page.url, "title": page.title, "detail": detail, "updated": page.updated, "source": page.site,
            "original_url": page.original_url, "language": page.language}


def excerpt_json(excerpt: Excerpt) -> dict:
    return {"text": excerpt.text, "highlights": [list(span) for span in excerpt.highlights],
            "answer": list(excerpt.answer) if excerpt.answer else None}


def passage_json(passage: ShownPassage) -> dict:
    """A result's passage: its section, links, text with the question's words, excerpt (with its answer
    sentence, if marked), score, and whether a recommended passage already shows it."""
    return {"section": passage.section, "link": passage.link, "public_link": passage.public_link,
            "text": passage.record.text, "highlights": [list(span) for span in passage.highlights],
            "excerpt": excerpt_json(passage.excerpt), "score": round(passage.score or 0.0, 4),
            "shown_above": passage.shown_above}


def recommended_json(passage: ShownPassage) -> dict:
    """A recommended passage: its page, section, links, text and excerpt."""
    return {"page": page_json(passage.record), "section": passage.section, "link": passage.link,
            "public_link": passage.public_link, "text": passage.record.text, "excerpt": excerpt_json(passage.excerpt)}


def result_json(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "language": result.language,
        "corrected_query": result.corrected_query,
        "total": result.total,
        "no_match": result.no_match,
        "match": result.match,
        "missing": result.missing,
        "recommended": [recommended_json(passage) for passage in result.shown_recommended],
        "results": [{"page": page_json(shown.page, shown.detail), "passages": [passage_json(p) for p in shown.passages]}
                    for shown in result.shown_pages],
    }


@bp.get("/api/search")
def search():
    try:
        query, options = search_params(request.args, snapshot().sites)
        options = replace(options, interface=interface_language())
    except (InvalidParameter, BadLanguage) as exc:
        raise ApiError(400, str(exc)) from None
    result = run_search(query, options)
    body = result_json(result)
    body.update(limit=options.limit, offset=options.offset, version=result.version,
                helpline=snapshot().helpline or None)
    return jsonify(body)


@bp.get("/api/suggest")
def suggest():
    """Up to 8 topics of the corpus completing what has been typed (nothing before 2 letters, nothing
    for a question read in another language than the pages': `lang`, else Accept-Language, decides
    as for a search)."""
    try:
        typed = clean_query(request.args.get("q"))
        interface = interface_language()
    except (InvalidParameter, BadLanguage) as exc:
        raise ApiError(400, str(exc)) from None
    response = jsonify(query=typed, suggestions=snapshot().suggest(typed, interface))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.add("Accept-Language")
    return response


def counted_origin(origin: str | None) -> bool:
    """A click counts from this site (or a request without Origin) and from ALLOWED_ORIGINS."""
    if not origin:
        return True
    return urlsplit(origin).netloc == request.host or origin in (current_app.config["ALLOWED_ORIGINS"] or ())


@bp.post("/api/click")
def click():
    """A click on a result at `rank` (0: a recommended one), sent by a beacon; counted when QUERY_LOG is on."""
    if (request.content_length or 0) > MAX_CLICK_BODY or "chunked" in request.headers.get("Transfer-Encoding", ""):
        raise ApiError(413, "A click carries no body.")
    if "rank" not in request.args:
        raise ApiError(400, "Missing parameter rank.")
    try:
        rank = integer(request.args, "rank", 0, 0, MAX_OFFSET + MAX_LIMIT)
    except InvalidParameter as exc:
        raise ApiError(400, str(exc)) from None
    if not counted_origin(request.headers.get("Origin")):
        raise ApiError(403, "Clicks are counted only from this site and the sites that embed the search.")
    usage = services().usage_log
    if usage is not None:
        usage.record_click(rank)
    return "", 204


@bp.get("/api/openapi.json")
def openapi_document():
    return jsonify(openapi.document(sorted(snapshot().sites)))


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when a version with pages is served and questions can be encoded (otherwise 503 with the
    reason); a newer version that could not be opened is named, and so is an optional part the search
    answers without."""
    retriever = services().retriever
    body = {"status": "ready", "version": retriever.version}
    if retriever.problem:
        body["problem"] = retriever.problem
    if retriever.degraded:
        body["degraded"] = retriever.degraded
    return jsonify(body)
