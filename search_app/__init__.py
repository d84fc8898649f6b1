"""Flask app: plain-language questions in, ranked passages with deep links to the original sections out."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from indexer import embedding
from indexer.store import set_search_threads
from search_app.gaps import GapLog
from search_app.ratelimit import RateLimiter

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def config_from_env() -> dict:
    return {
        "INDEX_DIR": os.environ.get("INDEX_DIR", "var/index"),
        "PAGES_DIR": os.environ.get("PAGES_DIR") or None,
        "TORCH_THREADS": int(os.environ.get("TORCH_THREADS", "1")),
        "HELPLINE": os.environ.get("HELPLINE", ""),
        "ADMIN_TOKEN": os.environ.get("ADMIN_TOKEN") or None,
        "RATE_LIMIT_PER_MINUTE": int(os.environ.get("RATE_LIMIT_PER_MINUTE", "120")),
        "RATE_LIMIT_BURST": int(os.environ.get("RATE_LIMIT_BURST", "20")),
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        "QUERY_LOG": os.environ.get("QUERY_LOG") or None,
        "QUERY_LOG_DAYS": int(os.environ.get("QUERY_LOG_DAYS", "90")),
        "MAX_CONTENT_LENGTH": 16 * 1024,
    }


def run_search(query: str, options):
    """Search for a web request: remember the answering version, count unanswered questions."""
    result = current_app.extensions["retriever"].search(query, options)
    g.index_version = result.version
    gap_log = current_app.extensions.get("gap_log")
    if gap_log is not None and result.no_match:
        gap_log.record(query)
    return result


def is_search(req) -> bool:
    return req.path == "/api/search" or (req.path == "/" and "q" in req.args)


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: config from the environment, overridden by test_config."""
    app = Flask(__name__)
    app.config.from_mapping(config_from_env())
    if test_config:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False
    embedding.set_threads(app.config["TORCH_THREADS"])
    set_search_threads(app.config["TORCH_THREADS"])

    from search_app.retrieval import Retriever

    app.extensions["retriever"] = Retriever(Path(app.config["INDEX_DIR"]))
    if app.config["RATE_LIMIT_PER_MINUTE"] > 0:
        app.extensions["rate_limiter"] = RateLimiter(app.config["RATE_LIMIT_PER_MINUTE"], app.config["RATE_LIMIT_BURST"])
    if app.config["QUERY_LOG"]:
        app.extensions["gap_log"] = GapLog(Path(app.config["QUERY_LOG"]), app.config["QUERY_LOG_DAYS"])
    if app.config["PROXY_HOPS"] > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"])

    from search_app import admin, api, views

    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)

    @app.before_request
    def rate_limit():
        limiter = app.extensions.get("rate_limiter")
        if limiter is None or not is_search(request):
            return None
        wait = limiter.retry_after(request.remote_addr or "unknown")
        if not wait:
            return None
        reason = f"Too many searches from your address: try again in {wait} seconds."
        if request.path.startswith("/api/"):
            response = jsonify(error="Too Many Requests", reason=reason)
        else:
            response = app.make_response(render_template("index.html", error=reason, query="", sources={}))
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Index-Version"] = g.get("index_version") or current_app.extensions["retriever"].version
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify(error=error.name, reason=error.description), error.code
        return render_template("error.html", error=error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        if request.path.startswith("/api/"):
            return jsonify(error="Internal Server Error", reason="Something went wrong on our side."), 500
        return render_template("error.html", error=None), 500

    return app
