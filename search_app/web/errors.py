"""The API's one error: a status, a reason a person can act on, and any headers it needs (Retry-After,
WWW-Authenticate), answered as {"error": the status's name, "reason": ...} by one handler (web.hooks)."""
from __future__ import annotations

from collections.abc import Mapping

from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES


class ApiError(HTTPException):
    """An error answered as JSON wherever it is raised."""

    def __init__(self, code: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(description=reason)
        self.code = code
        self.headers = dict(headers or {})

    @property
    def name(self) -> str:
        return HTTP_STATUS_CODES.get(self.code, "Error")

    def get_headers(self, environ=None, scope=None) -> list[tuple[str, str]]:
        return list(self.headers.items())
