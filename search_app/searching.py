"""A search made for a web request: the answer, the headers it sets, and what the usage log counts."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, request

from search_app.excerpts import excerpt
from search_app.retrieval import QuestionVector, SearchOptions, SearchResult
from search_app.services import services


def shown_excerpt(text: str, spans: list[tuple[int, int]], vector: QuestionVector | None = None,
                  ) -> tuple[str, list[tuple[int, int]], tuple[int, int] | None]:
    """What a result shows of a passage whose question words are at `spans`: the whole-sentence excerpt,
    its highlights, and, given the question's vector, the sentence that best answers it."""
    shown, inside = excerpt(text, spans)
    answer = services().retriever.mark_answer(vector, shown) if vector is not None else None
    return shown, inside, answer


def from_dashboard() -> bool:
    """A search opened from the maintainers' dashboard ("Search it now"), which is not usage."""
    referrer = urlsplit(request.referrer or "")
    return referrer.netloc == request.host and referrer.path.startswith("/admin/")


def run_search(query: str, options: SearchOptions) -> SearchResult:
    """Search for a web request: remember the answering version; count it in the usage log (a question's
    first page of results, not "more results")."""
    found = services()
    result = found.retriever.search(query, options)
    g.index_version = result.version
    g.query_cache = "hit" if result.cached else "miss"
    if found.usage_log is not None and not options.offset and not from_dashboard():
        found.usage_log.record_search(query, result.no_match, bool(result.corrected_query),
                                      result.recommended.bet if result.recommended else None,
                                      weak=result.match == "weak")
    return result
