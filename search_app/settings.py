"""Every setting of the app, with its default and what it does: read from the environment, or given
whole by a test (a test config replaces the environment, it is not merged with it)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from search_index.models import MODEL_CACHE
from search_index.publishing import DEFAULT_INDEX_DIR


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    parse: Callable[[str], object] = str


def named_tokens(raw: str) -> list[tuple[str, str]]:
    """`name:token,name:token` as (name, token) pairs; ValueError for a pair without both."""
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, colon, token = item.partition(":")
        if not colon or not name.strip() or not token.strip():
            raise ValueError(item)
        pairs.append((name.strip(), token.strip()))
    return pairs


SETTINGS = (
    Setting("INDEX_DIR", str(DEFAULT_INDEX_DIR), "the index directory the app serves (its published version)"),
    Setting("MODEL_CACHE", str(MODEL_CACHE),
            "folder of the models' ONNX exports the app's workers load (`python -m indexer export-onnx` "
            "makes them; `make index` runs it); also the indexer's (converted e5, embedding cache). The tests "
            "set it to `~/.cache/curated-search-tests/models` (`$XDG_CACHE_HOME` if set), so that nothing they "
            "make lands in the checkout"),
    Setting("PAGES_DIR", None, "serve these pages under `/pages/` (`make run` sets `corpus/pages`)"),
    Setting("ADMIN_TOKEN", None, "turns on the maintainers' pages: `/admin/` (dashboard), `/admin/status` and "
            "`/admin/curation`; an editor's token, named `admin`; at least 32 characters"),
    Setting("EDITOR_TOKENS", None, "more editors' tokens, comma-separated `name:token` pairs: they view the pages and "
            "change the live curation; each change is recorded with the name", lambda raw: named_tokens(raw)),
    Setting("VIEWER_TOKENS", None, "viewers' tokens, as EDITOR_TOKENS: they view the dashboard and status, and "
            "change nothing", lambda raw: named_tokens(raw)),
    Setting("RATE_LIMIT_PER_MINUTE", 120, "searches a minute per client address (0 turns limiting off)", int),
    Setting("RATE_LIMIT_BURST", 20, "searches a client may make at once before the per-minute pace applies", int),
    Setting("TRUSTED_HOSTS", None, "comma-separated host names the app answers to (others get 400); "
            "unset: any", lambda raw: [host.strip() for host in raw.split(",") if host.strip()]),
    Setting("ALLOWED_ORIGINS", None, "comma-separated origins (`https://www.example.org`) whose pages may call the "
            "API from a browser: the sites that embed the search widget", lambda raw: [
                origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]),
    Setting("PROXY_HOPS", 0, "trust this many `X-Forwarded-For` hops (behind a load balancer)", int),
    Setting("QUERY_LOG", None, "turns on the record, in this SQLite file: the usage log (daily counts of searches, "
            "unanswered and corrected questions, clicks by rank, best bets fired; unanswered questions' text) and "
            "the editors' live curation"),
    Setting("DATABASE_URL", None, "the record in PostgreSQL instead (`postgresql://user:password@host/db`), shared "
            "by every replica; wins over QUERY_LOG"),
    Setting("QUERY_LOG_DAYS", 90, "days the usage log keeps the text of an unanswered question", int),
)

# What `make serve` (gunicorn, search_app/gunicorn_conf.py) reads from the environment.
SERVER_SETTINGS = (
    Setting("HOST", "127.0.0.1", "the address it listens on"),
    Setting("PORT", 8000, "the port it listens on", int),
    Setting("WORKERS", None, "worker processes (unset: one per core)", int),
    Setting("WORKER_CLASS", "gevent", "gunicorn's worker class: `gevent`, an event loop per worker, so a slow "
            "client holds no thread (`sync` for one request at a time, without the event loop)"),
    Setting("WORKER_CONNECTIONS", 1000, "connections one gevent worker holds at once", int),
    Setting("COMPUTE_THREADS", 1, "threads one search uses in FAISS, per worker, set when the worker starts (ONNX "
            "Runtime reads questions on one)", int),
    Setting("ACCESS_LOG", None, "file (or `-`) for gunicorn's access log"),
)

# Settings whose values are never printed, not even when they are wrong.
SECRETS = {"ADMIN_TOKEN", "EDITOR_TOKENS", "VIEWER_TOKENS", "DATABASE_URL"}

# Flask settings that are not for operators to change.
FIXED = {"MAX_CONTENT_LENGTH": 16 * 1024}


def defaults() -> dict:
    return {**FIXED, **{s.name: s.default for s in SETTINGS}}


def from_env(environ: Mapping[str, str] = os.environ) -> dict:
    """The settings the environment gives (empty values count as unset); a bad value names the variable."""
    found = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if not raw:
            continue
        try:
            found[setting.name] = setting.parse(raw)
        except ValueError:
            shown = "(not shown: a secret)" if setting.name in SECRETS else repr(raw)
            raise ValueError(f"{setting.name}={shown} is not a valid value: {setting.help}") from None
    return found


def server_setting(name: str, environ: Mapping[str, str] = os.environ) -> object:
    """One of SERVER_SETTINGS from the environment, else its default; a bad value names the variable."""
    setting = next(s for s in SERVER_SETTINGS if s.name == name)
    raw = environ.get(name)
    if not raw:
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a valid value: {setting.help}") from None
