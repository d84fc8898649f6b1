"""The OpenAPI 3.1 description of the JSON API."""
from __future__ import annotations

from search_app.engine.editing import MAX_IMPORT_CHARS
from search_app.engine.ranking import RankingConfig
from search_app.engine.strategies import MODES
from search_app.engine.suggest import MAX_SUGGESTIONS
from search_app.web.params import FALSE, MAX_LIMIT, MAX_OFFSET, MAX_QUERY, TRUE
from search_index.best_bets import MAX_SHOWN
from search_index.language import LANGUAGES

ERROR = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}},
}
SPANS = {
    "type": "array",
    "description": "[start, end) character offsets of the query's words",
    "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
}
EXCERPT = {
    "type": "object",
    "required": ["text", "highlights", "answer"],
    "description": "what to show of the passage: whole sentences around the best one (\u2026 where text is left out)",
    "properties": {"text": {"type": "string"}, "highlights": SPANS,
                   "answer": {"type": ["array", "null"], "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
                              "description": "[start, end) of the sentence that best answers the question, marked in "
                                             "the excerpt read first (the first recommended one, else the "
                                             "first result's first passage): a statement (ending with . or "
                                             "!) or the opening of a list the excerpt shows; never a "
                                             "heading, a list item that is not a sentence, or a question; "
                                             "null for all when match is not good"}},
}
PASSAGE = {
    "type": "object",
    "required": ["section", "link", "public_link", "text", "highlights", "excerpt", "score", "shown_above"],
    "properties": {
        "section": {"type": "string", "description": "the section's <h2> text; empty for the page's lead text"},
        "link": {"type": "string", "description": "opens the page at this passage (a text fragment of its "
                 "opening words where it does not start its section)"},
        "public_link": {"type": "string", "description": "the same on the public original, to share"},
        "text": {"type": "string"},
        "highlights": SPANS,
        "excerpt": EXCERPT,
        "score": {"type": "number"},
        "shown_above": {"type": "boolean", "description": "a recommended passage above shows this one: "
                                                          "show its section, not its excerpt again"},
    },
}
PAGE_RESULT = {
    "type": "object",
    "required": ["page", "passages"],
    "properties": {
        "page": {
            "type": "object",
            "required": ["url", "title", "detail", "updated", "source", "original_url", "language"],
            "properties": {
                "url": {"type": "string", "description": "the page (a local copy where original_url is set)"},
                "title": {"type": "string"},
                "detail": {"type": "string", "description": "what tells this page apart from another result of "
                           "the same title and site (the name in its address); empty when none shares them"},
                "updated": {"type": ["string", "null"], "format": "date"},
                "source": {"type": "string", "description": "the page's site"},
                "original_url": {"type": ["string", "null"],
                                 "description": "the page's public address, when url is a local copy of it"},
                "language": {"enum": list(LANGUAGES), "description": "the page's language"},
            },
        },
        "passages": {"type": "array", "items": PASSAGE, "minItems": 1, "maxItems": RankingConfig.sections_per_page,
                     "description": "the page's best sections, one passage each, best first"},
    },
}
QUERY = {"type": "string", "minLength": 1, "maxLength": MAX_QUERY, "pattern": r"[^\s\x00-\x1f\x7f\x85]"}
RECOMMENDED = {
    "type": "object",
    "required": ["page", "section", "link", "public_link", "text", "excerpt"],
    "properties": {
        "page": PAGE_RESULT["properties"]["page"],
        "section": {"type": "string", "description": "the section's heading (empty for a page's introduction)"},
        "link": {"type": "string", "description": "the section on its page"},
        "public_link": {"type": "string", "description": "the same on the public original, to share"},
        "text": {"type": "string", "description": "the section's first passage"},
        "excerpt": EXCERPT,
    },
}
SEARCH_RESPONSE = {
    "type": "object",
    "required": ["query", "language", "corrected_query", "total", "no_match", "match", "missing", "recommended",
                 "results", "limit", "offset", "version", "helpline"],
    "properties": {
        "query": {"type": "string"},
        "language": {"enum": list(LANGUAGES), "description": "the question's language: Spanish questions are "
                     "searched by the multilingual model alone and never spelling-corrected"},
        "corrected_query": {"type": ["string", "null"],
                            "description": "the spelling-corrected question that was searched; null when unchanged"},
        "version": {"type": "string", "description": "the index version that answered"},
        "total": {"type": "integer", "description": "pages found"},
        "no_match": {"type": "boolean", "description": "true when nothing in the corpus answers the question "
                     "and no best bet fires"},
        "match": {"enum": ["good", "weak", "none"], "description": "how well the pages match: good; weak, on "
                  "topic but the closest passages may not answer (say so, offer the helpline); none, no good match"},
        "missing": {"type": "array", "items": {"type": "string"},
                    "description": "words of the question that the shown passages and the whole corpus lack"},
        "helpline": {"type": ["string", "null"], "description": "the organisation's helpline line, if it has one"},
        "recommended": {"type": "array", "items": RECOMMENDED, "maxItems": MAX_SHOWN,
                        "description": "the editors' best bet for this question, shown before the results"},
        "results": {"type": "array", "items": PAGE_RESULT},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
    },
}

SUGGEST_RESPONSE = {
    "type": "object",
    "required": ["query", "suggestions"],
    "properties": {"query": {"type": "string"},
                   "suggestions": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_SUGGESTIONS}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document(sites: list[str]) -> dict:
    """The document for an index whose pages come from these sites (the values `source` accepts)."""
    status = {"type": "object", "properties": {"status": {"type": "string"}, "version": {"type": "string"},
                                               "reason": {"type": "string"}, "problem": {"type": "string"},
                                               "degraded": {"type": "string"}}}
    refused = {"400": _json(ERROR, "a missing or invalid parameter, with the reason"),
               "429": _json(ERROR, "too many searches from this address: wait Retry-After seconds"),
               "503": _json(ERROR, "no index can be served yet, with the reason")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "curated-search", "version": "1.0.0"},
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search the published index with a plain-language question",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True,
                         "schema": QUERY, "description": "the question: at least one character that is neither "
                                                         "white space nor a control character"},
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10}},
                        {"name": "offset", "in": "query",
                         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                        {"name": "source", "in": "query", "schema": {"type": "string", "enum": ["", *sites]},
                         "description": "only pages of this site (empty: every site)"},
                        {"name": "mode", "in": "query", "schema": {"type": "string", "enum": list(MODES)}},
                        {"name": "correct", "in": "query",
                         "schema": {"type": "string", "enum": ["", *TRUE, *FALSE], "default": "true"},
                         "description": "false searches the words exactly as typed"},
                        {"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)},
                         "description": "the reader's interface language (default: the Accept-Language header); "
                                        "a question that could be either is read in it"},
                    ],
                    "responses": {"200": _json(SEARCH_RESPONSE, "pages ranked by their best section"), **refused},
                }
            },
            "/api/suggest": {
                "get": {
                    "summary": "Topics of the corpus that complete what has been typed (suggestions as you type)",
                    "parameters": [{"name": "q", "in": "query", "required": True,
                                    "schema": QUERY,
                                    "description": "what has been typed so far (no suggestion before 2 letters)"},
                                   {"name": "lang", "in": "query",
                                    "schema": {"type": "string", "enum": list(LANGUAGES)},
                                    "description": "the reader's interface language (default: the Accept-Language "
                                                   "header): what reads as another language than the pages' "
                                                   "gets no suggestions"}],
                    "responses": {"200": _json(SUGGEST_RESPONSE, "up to 8 suggestions, best first"), **refused},
                }
            },
            "/api/click": {
                "post": {
                    "summary": "Count a click on a search result (only when the usage log is on)",
                    "parameters": [{"name": "rank", "in": "query", "required": True,
                                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET + MAX_LIMIT},
                                    "description": "the result's rank (1 = first page), 0 for a recommended result"}],
                    "responses": {"204": {"description": "counted (ignored when the usage log is off)"},
                                  "400": refused["400"], "413": _json(ERROR, "a body was sent: a click has none"),
                                  "403": _json(ERROR, "sent from a site that is neither this one nor one that "
                                                      "embeds the search"),
                                  "429": refused["429"]},
                }
            },
            "/healthz": {"get": {"summary": "Alive", "responses": {"200": _json(status, "alive")}}},
            "/readyz": {"get": {"summary": "Index loaded", "responses": {
                "200": _json(status, "ready, with the version served (and any newer version it could not open, "
                                     "or an optional part it answers without)"),
                "503": _json(status, "not ready, with the reason")}}},
        },
    }


CURATION_STATE = {
    "type": "object",
    "required": ["bets", "hide", "synonyms"],
    "properties": {
        "bets": {"type": "array", "items": {
            "type": "object", "required": ["phrasings", "show"],
            "properties": {"phrasings": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                           "show": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                    "maxItems": MAX_SHOWN}}}},
        "hide": {"type": "array", "items": {"type": "string"}},
        "synonyms": {"type": "array", "items": {"type": "array", "items": {"type": "string"}, "minItems": 2}},
    },
}
SAVED = {
    "type": "object",
    "required": ["message", "revision", "state"],
    "properties": {"message": {"type": "string"}, "revision": {"type": "integer", "minimum": 1},
                   "state": CURATION_STATE},
}


def _change(summary: str, fields: dict[str, dict], required: list[str]) -> dict:
    """A change of the live curation: a form-encoded body in, the new revision (or the refusal) out."""
    body = {"type": "object", "properties": fields, "required": required}
    return {"post": {
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": body}}},
        "responses": {
            "200": _json(SAVED, "recorded as the newest revision, served by every replica within a second"),
            "400": _json(ERROR, "a field missing, too long or malformed"),
            "401": _json(ERROR, "no valid token"),
            "403": _json(ERROR, "a viewer's token, or a browser form without this site's CSRF token"),
            "404": _json(ERROR, "no such revision, or no record (QUERY_LOG / DATABASE_URL unset)"),
            "413": _json(ERROR, "the body is too large"),
            "422": _json(ERROR, "refused: the served version cannot take it, with the reason"),
            "429": _json(ERROR, "too many wrong tokens from this address"),
            "503": _json(ERROR, "the record cannot be read or written just now"),
        },
    }}


def admin_document() -> dict:
    """The admin's JSON side: the live curation, read and changed with an editor's Bearer token
    (viewers read only) and `Accept: application/json`."""
    text = {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": "\\S"}
    read = {"401": _json(ERROR, "no valid token"), "429": _json(ERROR, "too many wrong tokens"),
            "404": _json(ERROR, "no record (QUERY_LOG / DATABASE_URL unset)"),
            "503": _json(ERROR, "the record cannot be read just now")}
    history = {"type": "array", "items": {
        "type": "object", "required": ["revision", "at", "editor", "action"],
        "properties": {"revision": {"type": "integer"}, "at": {"type": "number"}, "editor": {"type": "string"},
                       "action": {"type": "string"}}}}
    served = {"type": "object", "required": ["revision", "state", "lost"],
              "properties": {"revision": {"type": "integer", "minimum": 0}, "state": CURATION_STATE,
                             "lost": {"type": "array", "items": {"type": "string"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "curated-search admin", "version": "1.0.0"},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": {
            "/admin/curation.json": {"get": {"summary": "The curation served, and what of it the version lacks",
                                              "responses": {"200": _json(served, "revision 0: the version's own"),
                                                            **read}}},
            "/admin/curation/history.json": {"get": {"summary": "The latest revisions, newest first",
                                                     "responses": {"200": _json(history, "revisions"), **read}}},
            "/admin/curation/bets": _change("Add a best bet", {
                "phrasings": {**text, "description": "one a line"},
                "show": {"type": "array", "items": text, "minItems": 1, "maxItems": MAX_SHOWN,
                         "description": "pages or sections of the served version, in order"}},
                ["phrasings", "show"]),
            "/admin/curation/bets/remove": _change("Remove a best bet", {"name": text}, ["name"]),
            "/admin/curation/hide": _change("Hide a page or section", {"target": text}, ["target"]),
            "/admin/curation/unhide": _change("Show a hidden page or section again", {"target": text}, ["target"]),
            "/admin/curation/synonyms": _change("Add a synonym group", {
                "terms": {**text, "description": "two or more terms, comma-separated"}}, ["terms"]),
            "/admin/curation/synonyms/remove": _change("Remove a synonym group", {"first": text}, ["first"]),
            "/admin/curation/restore": _change("Make an earlier revision the newest (undo)", {
                "revision": {"type": "integer", "minimum": 1}}, ["revision"]),
            "/admin/curation/import": _change("Replace the live curation with the reviewed files' text", {
                "best_bets": {"type": "string", "maxLength": MAX_IMPORT_CHARS},
                "synonyms": {"type": "string", "maxLength": MAX_IMPORT_CHARS}}, ["best_bets", "synonyms"]),
        },
    }
