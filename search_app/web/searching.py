"""A search made for a web request: the answer, the headers it sets, and what the usage log counts."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, request

from search_app.engine.results import SearchOptions, SearchResult
from search_app.web.services import services, snapshot


def from_dashboard() -> bool:
    """A search opened from the maintainers' dashboard ("Search it now"), which is not usage."""
    referrer = urlsplit(request.referrer or "")
    return referrer.netloc == request.host and referrer.path.startswith("/admin/")


def run_search(query: str, options: SearchOptions) -> SearchResult:
    """Search for a web request, on its snapshot: remember the answering version; count it in the usage
    log (a question's first page of results, not "more results")."""
    found = services()
    result = found.retriever.search(query, options, snapshot())
    g.index_version = result.version
    g.query_cache = "hit" if result.cached else "miss"
    if found.usage_log is not None and not options.offset and not from_dashboard():
        found.usage_log.record_search(query, result.no_match, bool(result.corrected_query),
                                      result.recommended.bet if result.recommended else None,
                                      weak=result.match == "weak")
    return result
