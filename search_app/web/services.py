"""The app's long-lived services, made once by `create_app` and reached by the views with `services()`,
and the index snapshot a request answers from (`snapshot()`)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g

from search_app.engine.retrieval import Retriever
from search_app.engine.snapshot import Snapshot
from search_app.web.live_curation import LiveCuration
from search_app.web.ratelimit import RateLimiter
from search_app.web.usage import UsageLog
from search_index.curation_store import CurationStore
from search_index.database import Database

EXTENSION = "curated_search"


@dataclass
class Services:
    retriever: Retriever
    database: Database | None = None
    usage_log: UsageLog | None = None
    curation_store: CurationStore | None = None
    live_curation: LiveCuration | None = None
    search_limiter: RateLimiter | None = None
    suggest_limiter: RateLimiter | None = None
    click_limiter: RateLimiter | None = None
    copy_limiter: RateLimiter | None = None
    admin_failures: RateLimiter | None = None


def close(found: Services) -> None:
    """Stop the record's background work (the usage log's writer, the curation's poller) and its
    connections: for a process that ends its app before it exits."""
    for part in (found.usage_log, found.live_curation, found.database):
        if part is not None:
            part.close()


def install(app: Flask, found: Services) -> None:
    app.extensions[EXTENSION] = found


def services(app: Flask | None = None) -> Services:
    """The services of this app (of the current request's app unless one is given)."""
    return (app or current_app).extensions[EXTENSION]


def snapshot() -> Snapshot:
    """The index version this request answers from: taken once, at its first use, so that everything
    the request shows (sites, results, helpline, curation, suggestions) comes from one version, with
    the editors' live curation as it stood then."""
    if "snapshot" not in g:
        found = services()
        served = found.retriever.snapshot()
        g.snapshot = found.live_curation.apply(served) if found.live_curation else served
    return g.snapshot
