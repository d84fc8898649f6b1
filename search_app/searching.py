"""A search made for a web request: the answer, the headers it sets, and what the usage log counts."""
from __future__ import annotations

from flask import g

from search_app.retrieval import SearchOptions, SearchResult
from search_app.services import services


def run_search(query: str, options: SearchOptions) -> SearchResult:
    """Search for a web request: remember the answering version; count it in the usage log (a question's
    first page of results, not "more results")."""
    found = services()
    result = found.retriever.search(query, options)
    g.index_version = result.version
    g.query_cache = "hit" if result.cached else "miss"
    if found.usage_log is not None and not options.offset:
        found.usage_log.record_search(query, result.no_match, bool(result.corrected_query),
                                      result.recommended.bet if result.recommended else None,
                                      weak=result.match == "weak")
    return result
