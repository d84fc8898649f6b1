"""The app's long-lived services, made once by `create_app` and reached by the views with `services()`."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from search_app.ratelimit import RateLimiter
from search_app.retrieval import Retriever
from search_app.usage import UsageLog

EXTENSION = "curated_search"


@dataclass
class Services:
    retriever: Retriever
    usage_log: UsageLog | None = None
    search_limiter: RateLimiter | None = None
    suggest_limiter: RateLimiter | None = None
    click_limiter: RateLimiter | None = None
    copy_limiter: RateLimiter | None = None
    admin_failures: RateLimiter | None = None


def install(app: Flask, found: Services) -> None:
    app.extensions[EXTENSION] = found


def services(app: Flask | None = None) -> Services:
    """The services of this app (of the current request's app unless one is given)."""
    return (app or current_app).extensions[EXTENSION]
