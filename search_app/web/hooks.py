"""What every request goes through: rate limits, security headers, CORS, error pages."""
from __future__ import annotations

from flask import Flask, Request, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from search_app.engine.retrieval import NotReady
from search_app.web.errors import ApiError
from search_app.web.services import services

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def is_search(req: Request) -> bool:
    return req.path == "/api/search" or (req.path == "/" and "q" in req.args)


def is_api(req: Request) -> bool:
    """Whether a request is the API's, whose every answer, errors included, is JSON."""
    return req.path.startswith("/api/")


def json_errors(req: Request) -> bool:
    """Whether a request's errors are answered as JSON: the API's, and an admin client's that asks for JSON."""
    return is_api(req) or (req.path.startswith("/admin/") and (
        req.path.endswith(".json") or req.accept_mimetypes.best == "application/json"))


def error_json(code: int, name: str, reason: str) -> Response:
    """The API's one error body."""
    response = jsonify(error=name, reason=reason)
    response.status_code = code
    return response


def rate_limit():
    if request.path == "/api/suggest":
        limiter = services().suggest_limiter
    elif request.path == "/api/click":
        limiter = services().click_limiter
    elif request.path.startswith("/pages/"):
        limiter = services().copy_limiter
    else:
        limiter = services().search_limiter if is_search(request) else None
    if limiter is None:
        return None
    wait = limiter.retry_after(request.remote_addr or "unknown")
    if not wait:
        return None
    reason = f"Too many requests from your address: try again in {wait} seconds."
    if is_api(request):
        raise ApiError(429, reason, {"Retry-After": str(wait)})
    response = current_app.make_response(render_template("index.html", error=reason, query="", sites={}))
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def cross_origin(response):
    """CORS for the JSON API, only for the origins in ALLOWED_ORIGINS (the sites that embed the
    widget): no credentials, simple requests only."""
    if not is_api(request):
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and origin in (current_app.config["ALLOWED_ORIGINS"] or ()):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After, X-Index-Version"
    return response


def security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    version = g.get("index_version") or (g.snapshot.version if "snapshot" in g else services().retriever.serving)
    if version:
        response.headers["X-Index-Version"] = version
    if "query_cache" in g:
        response.headers["X-Query-Cache"] = g.query_cache
    return response


def http_error(error: HTTPException):
    """Every HTTP error: JSON where raised as an ApiError or on the API (and for a refused Host), else
    the error page; with the headers the error carries."""
    if isinstance(error, ApiError | SecurityError) or json_errors(request):
        response = error_json(error.code or 500, error.name, error.description or "")
    else:
        response = current_app.make_response(render_template("error.html", error=error))
    response.status_code = error.code
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def not_ready(error: NotReady):
    """503 while no index can be served: the reason in the API; a plain message on pages."""
    if is_api(request) or request.path == "/readyz":
        response = error_json(503, "Service Unavailable", str(error))
    else:
        response = current_app.make_response(render_template("error.html", error=None, unavailable=True))
    response.status_code = 503
    response.headers["Retry-After"] = "10"
    return response


def unexpected_error(error: Exception):
    current_app.logger.exception("unhandled error")
    if is_api(request):
        return error_json(500, "Internal Server Error", "Something went wrong on our side.")
    return render_template("error.html", error=None), 500


def register(app: Flask) -> None:
    app.before_request(rate_limit)
    app.after_request(security_headers)
    app.after_request(cross_origin)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(NotReady, not_ready)
    app.register_error_handler(Exception, unexpected_error)
