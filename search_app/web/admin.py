"""For maintainers, behind ADMIN_TOKEN (Bearer, or Basic with the token as the password): the usage
dashboard at /admin/ (and its daily figures as CSV), and the index status at /admin/status."""
from __future__ import annotations

import base64
import csv
import hmac
import io
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from search_app.web import charts
from search_app.web.errors import ApiError
from search_app.web.params import InvalidParameter, integer
from search_app.web.services import services, snapshot
from search_app.web.usage import MAX_RANK, UsageLog
from search_index.database import ERRORS

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


# Wrong tokens a client may present: 5 at once, then one a second. The right token is always let in
# (no lockout that someone behind the same address could cause); with at least MIN_TOKEN_LENGTH
# characters, guessing at one a second is hopeless.
FAILURES_PER_MINUTE = 60
FAILURE_BURST = 5
MIN_TOKEN_LENGTH = 32
ASK_FOR_TOKEN = {"WWW-Authenticate": 'Basic realm="curated-search admin"'}


def check_token(token: str | None) -> None:
    """Refuse to start with a guessable admin token."""
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"ADMIN_TOKEN has {len(token)} characters: use at least {MIN_TOKEN_LENGTH}, for example "
                         "the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`")


@bp.before_request
def require_token():
    """Admin pages exist only with ADMIN_TOKEN set; wrong tokens are counted per client and limited."""
    token = current_app.config.get("ADMIN_TOKEN")
    if not token:
        abort(404)
    if hmac.compare_digest(presented_token().encode(), token.encode()):
        return None
    wait = services().admin_failures.retry_after(request.remote_addr or "unknown")
    if not wait:
        raise ApiError(401, "This page needs the admin token.", ASK_FOR_TOKEN)
    raise ApiError(429, f"Too many wrong tokens: try again in {wait} seconds.", {"Retry-After": str(wait)})


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def path_in_source(path: str, origins: list[str]) -> str:
    """A path as the source names it: a folder source's files relative to the folder, by its name."""
    for origin in origins:
        if "://" not in origin and path.startswith(origin.rstrip("/") + "/"):
            return Path(origin).name + path[len(origin.rstrip("/")):]
    return path


@bp.get("/admin/status")
def status():
    info = snapshot().status()
    usage = services().usage_log
    info["usage_log"] = usage.status() if usage is not None else None
    info["skipped"] = [{**item, "path": path_in_source(item["path"], info["sources"])} for item in info["skipped"]]
    if request.accept_mimetypes.best == "application/json":
        return jsonify(info)
    return render_template("admin.html", info=info)


MAX_DAYS = 366


def period() -> int:
    """Days the dashboard covers (`days`, 30 unless given)."""
    try:
        return integer(request.args, "days", 30, 1, MAX_DAYS)
    except InvalidParameter as exc:
        abort(400, str(exc))


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def rank_label(rank: int) -> str:
    return "Rec." if rank == 0 else f"{rank}+" if rank == MAX_RANK else str(rank)


@bp.get("/admin/")
def dashboard():
    """Searches and no-match rate per day, clicks by rank, unanswered questions, versions, best bets."""
    days = period()
    retriever = services().retriever
    curation = snapshot().curation()
    usage = services().usage_log
    context = {"days": days, "usage": usage is not None, "versions": retriever.history(20),
               "bets": curation.bets, "hidden": curation.hide, "fired": {}, "percent": percent}
    if usage is not None:
        try:
            context.update(usage_figures(usage, days))
        except ERRORS as exc:
            context.update(usage=False, usage_error=f"{type(exc).__name__}: {exc}")
    return render_template("dashboard.html", **context)


def usage_figures(usage: UsageLog, days: int) -> dict:
    """The dashboard's figures from the usage log (one of search_index.database.ERRORS when it cannot be read)."""
    daily = usage.days(days)
    labels = [day.day for day in daily]
    clicks = usage.clicks_by_rank(days)
    rank_labels = [rank_label(r) for r in clicks]
    return dict(
        daily=daily, gaps=usage.top(days, 20), fired=usage.best_bets(days), clicks=clicks, rank_labels=rank_labels,
        searches_chart=charts.line_chart(labels, [d.searches for d in daily], "searches", "Searches per day"),
        no_match_chart=charts.line_chart(labels, [d.no_match_rate for d in daily], "no-match",
                                         "Share of searches with no good match, per day", percent),
        clicks_chart=charts.bar_chart(rank_labels, list(clicks.values()), "clicks", "Clicks on results by rank"),
    )


@bp.get("/admin/daily.csv")
def daily_csv():
    usage = services().usage_log
    if usage is None:
        abort(404, "The usage log is off: set QUERY_LOG.")
    try:
        daily = usage.days(period())
    except ERRORS as exc:
        abort(503, f"The usage log cannot be read: {type(exc).__name__}: {exc}")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "searches", "no_match", "weak", "corrected", "clicks"])
    for day in daily:
        writer.writerow([day.day, day.searches, day.no_match, day.weak, day.corrected, day.clicks])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=search-usage-daily.csv"})
