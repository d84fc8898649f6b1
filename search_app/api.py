"""JSON API: /api/search, its OpenAPI document, and health checks."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request

from search_app import openapi
from search_app.excerpts import highlights
from search_app.i18n import BadLanguage, interface_language
from search_app.links import distinct_labels, passage_link, public_link
from search_app.params import MAX_LIMIT, MAX_OFFSET, BadRequest, clean_query, integer, search_params
from search_app.ranking import PageHit, SectionHit
from search_app.retrieval import QuestionVector, SearchResult
from search_app.searching import run_search, shown_excerpt
from search_app.services import services
from search_index.format import PassageRecord

bp = Blueprint("api", __name__)
# A beacon sends an empty body; browsers may add a few bytes.
MAX_CLICK_BODY = 64


def page_json(page: PageHit | PassageRecord, detail: str = "") -> dict:
    """A page as the API names it, from a ranked page or from a passage's record."""
    return {"url": page.url, "title": page.title, "detail": detail, "updated": page.updated, "source": page.site,
            "original_url": page.original_url, "language": page.language}



def excerpt_json(text: str, spans: list[tuple[int, int]], vector: QuestionVector | None = None) -> dict:
    """The excerpt a result shows (the search page's too); given the question's vector, with the
    sentence that best answers it marked."""
    shown, inside, answer = shown_excerpt(text, spans, vector)
    return {"text": shown, "highlights": [list(span) for span in inside], "answer": list(answer) if answer else None}


def passage_json(hit: SectionHit, page: PageHit, searched: str, vector: QuestionVector | None) -> dict:
    """A result's passage: its section, links, text with the question's words, excerpt and score."""
    link = passage_link(hit.passage)
    spans = highlights(hit.passage.text, searched)
    return {"section": hit.heading, "link": link, "public_link": public_link(link, page.url, page.original_url),
            "text": hit.passage.text, "highlights": [list(span) for span in spans],
            "excerpt": excerpt_json(hit.passage.text, spans, vector), "score": round(hit.score, 4)}


def marked(result: SearchResult, page: int, hit: int) -> QuestionVector | None:
    """The question's vector for the excerpt read first (its answer sentence is marked: the first
    recommended passage, else the first result's first passage), else None."""
    return result.vector if not result.recommended and page == 0 and hit == 0 else None


def result_json(result: SearchResult) -> dict:
    searched = result.corrected_query or result.query
    recommended = result.recommended.passages if result.recommended else []
    return {
        "query": result.query,
        "language": result.language,
        "corrected_query": result.corrected_query,
        "total": result.total,
        "no_match": result.no_match,
        "match": result.match,
        "missing": result.missing,
        "recommended": [{"page": page_json(record), "section": record.section, "link": record.link,
                         "public_link": public_link(record.link, record.url, record.original_url),
                         "text": record.text,
                         "excerpt": excerpt_json(record.text, highlights(record.text, searched),
                                                 result.vector if not index else None)}
                        for index, record in enumerate(recommended)],
        "results": [
            {
                "page": page_json(page, detail),
                "passages": [passage_json(hit, page, searched, marked(result, number, index))
                             for index, hit in enumerate(page.sections)],
            }
            for number, (page, detail) in enumerate(zip(result.pages, distinct_labels(result.pages), strict=True))
        ],
    }


@bp.get("/api/search")
def search():
    try:
        query, options = search_params(request.args, services().retriever.sites())
        options = replace(options, interface=interface_language())
    except (BadRequest, BadLanguage) as exc:
        return jsonify(error="Bad Request", reason=str(exc)), 400
    result = run_search(query, options)
    body = result_json(result)
    body.update(limit=options.limit, offset=options.offset, version=result.version,
                helpline=services().retriever.helpline() or None)
    return jsonify(body)


@bp.get("/api/suggest")
def suggest():
    """Up to 8 topics of the corpus completing what has been typed (nothing before 2 letters)."""
    try:
        typed = clean_query(request.args.get("q"))
    except BadRequest as exc:
        return jsonify(error="Bad Request", reason=str(exc)), 400
    response = jsonify(query=typed, suggestions=services().retriever.suggest(typed))
    response.headers["Cache-Control"] = "public, max-age=300"
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
        return jsonify(error="Payload Too Large", reason="A click carries no body."), 413
    if "rank" not in request.args:
        return jsonify(error="Bad Request", reason="Missing parameter rank."), 400
    try:
        rank = integer(request.args, "rank", 0, 0, MAX_OFFSET + MAX_LIMIT)
    except BadRequest as exc:
        return jsonify(error="Bad Request", reason=str(exc)), 400
    if not counted_origin(request.headers.get("Origin")):
        return jsonify(error="Forbidden", reason="Clicks are counted only from this site and the sites that "
                                                 "embed the search."), 403
    usage = services().usage_log
    if usage is not None:
        usage.record_click(rank)
    return "", 204


@bp.get("/api/openapi.json")
def openapi_document():
    return jsonify(openapi.document(sorted(services().retriever.sites())))


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when a version with pages is served and questions can be encoded (otherwise 503 with the
    reason); a newer version that could not be opened is named."""
    retriever = services().retriever
    body = {"status": "ready", "version": retriever.version}
    if retriever.problem:
        body["problem"] = retriever.problem
    return jsonify(body)
