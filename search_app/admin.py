"""Read-only status for maintainers at /admin/status, behind ADMIN_TOKEN (Bearer, or Basic with the token
as the password)."""
from __future__ import annotations

import base64
import hmac
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from indexer.store import stats
from search_app.ratelimit import RateLimiter

bp = Blueprint("admin", __name__)


def presented_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return ""
    return ""


# Wrong tokens a client may present: 5 at once, then one a minute.
FAILURES_PER_MINUTE = 1
FAILURE_BURST = 5


@bp.before_request
def require_token():
    """Admin pages exist only with ADMIN_TOKEN set; wrong tokens are counted per client and limited."""
    token = current_app.config.get("ADMIN_TOKEN")
    if not token:
        abort(404)
    failures = current_app.extensions.setdefault("admin_failures", RateLimiter(FAILURES_PER_MINUTE, FAILURE_BURST))
    client = request.remote_addr or "unknown"
    wait = failures.retry_after(client, take=False)
    if not wait and hmac.compare_digest(presented_token().encode(), token.encode()):
        return None
    if not wait:
        failures.retry_after(client)
        response = jsonify(error="Unauthorized", reason="This page needs the admin token.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="curated-search admin"'
        return response
    response = jsonify(error="Too Many Requests", reason=f"Too many wrong tokens: try again in {wait} seconds.")
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def shown_path(path: str, origins: list[str]) -> str:
    """A path as the source names it: a folder source's files relative to the folder, by its name."""
    for origin in origins:
        if "://" not in origin and path.startswith(origin.rstrip("/") + "/"):
            return Path(origin).name + path[len(origin.rstrip("/")):]
    return path


@bp.get("/admin/status")
def status():
    reader = current_app.extensions["retriever"].state().reader
    info = stats(reader)
    origins = reader.manifest.get("sources", [])
    info["skipped"] = [{**item, "path": shown_path(item["path"], origins)} for item in info["skipped"]]
    if request.accept_mimetypes.best == "application/json":
        return jsonify(info)
    return render_template("admin.html", info=info)
