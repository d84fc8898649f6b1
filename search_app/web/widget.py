"""The embeddable search widget's files: `/widget.js` and `/widget.css` (cached for an hour), and the
same under a versioned name (`/widget-<digest>.js`, cached for a year) for sites that pin a release."""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort

STATIC = Path(__file__).resolve().parent.parent / "static"
KINDS = {"js": "text/javascript", "css": "text/css"}
bp = Blueprint("widget", __name__)


@cache
def asset(kind: str) -> tuple[bytes, str]:
    """A widget file's bytes and the digest that names its version."""
    data = (STATIC / f"widget.{kind}").read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def _send(kind: str, max_age: int) -> Response:
    data, digest = asset(kind)
    response = Response(data, mimetype=KINDS[kind])
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if max_age > 3600 else "")
    response.headers["ETag"] = f'"{digest}"'
    # Other sites' pages load these files.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/widget.<kind>")
def latest(kind: str):
    if kind not in KINDS:
        abort(404)
    return _send(kind, 3600)


@bp.get("/widget-<digest>.<kind>")
def pinned(digest: str, kind: str):
    if kind not in KINDS or digest != asset(kind)[1]:
        abort(404)
    return _send(kind, 365 * 24 * 3600)
