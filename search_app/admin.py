"""Read-only status for maintainers at /admin/status, behind ADMIN_TOKEN (Bearer, or Basic with the token
as the password)."""
from __future__ import annotations

import base64
import hmac

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from indexer.store import stats

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


@bp.get("/admin/status")
def status():
    token = current_app.config.get("ADMIN_TOKEN")
    if not token:
        abort(404)
    if not hmac.compare_digest(presented_token().encode(), token.encode()):
        response = jsonify(error="Unauthorized", reason="This page needs the admin token.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="curated-search admin"'
        return response
    info = stats(current_app.extensions["retriever"].state().reader)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(info)
    return render_template("admin.html", info=info)
