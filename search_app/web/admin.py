"""For maintainers, behind their tokens (Bearer, or Basic with the token as the password): the usage
dashboard at /admin/ (and its daily figures as CSV), and the index status at /admin/status.

Two roles: a viewer's token (VIEWER_TOKENS) shows the pages; an editor's (EDITOR_TOKENS, or
ADMIN_TOKEN, named "admin") also changes the live curation (search_app.web.curating). Each token has
a name, which the record keeps with every change made with it."""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request

from search_app.engine.profiles import spoken
from search_app.engine.topics import Topic, group
from search_app.web import charts
from search_app.web.errors import ApiError
from search_app.web.params import InvalidParameter, integer
from search_app.web.services import services, snapshot
from search_app.web.usage import MAX_RANK, UsageLog
from search_index.database import ERRORS
from search_index.query_encoder import EncoderUnavailable
from search_index.targets import lost_targets

bp = Blueprint("admin", __name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    """Who a token is: its name, and whether it may edit."""

    name: str
    editor: bool


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


def from_browser() -> bool:
    """Whether the token came as a browser sends it by itself (Basic), so that a form must prove it
    was this site's (CSRF)."""
    return request.headers.get("Authorization", "").lower().startswith("basic ")


# Wrong tokens a client may present: 5 at once, then one a second. The right token is always let in
# (no lockout that someone behind the same address could cause); with at least MIN_TOKEN_LENGTH
# characters, guessing at one a second is hopeless.
FAILURES_PER_MINUTE = 60
FAILURE_BURST = 5
MIN_TOKEN_LENGTH = 32
ASK_FOR_TOKEN = {"WWW-Authenticate": 'Basic realm="curated-search admin"'}


NAME = re.compile(r"[\w.@-]{1,40}")


def people(config) -> dict[str, Person]:
    """Every token the settings give, with who it is."""
    found: dict[str, Person] = {}
    if config.get("ADMIN_TOKEN"):
        found[config["ADMIN_TOKEN"]] = Person("admin", editor=True)
    for setting, editor in (("EDITOR_TOKENS", True), ("VIEWER_TOKENS", False)):
        for name, token in config.get(setting) or []:
            found[token] = Person(name, editor)
    return found


def check_tokens(config) -> None:
    """Refuse to start with a guessable or nameless token, or one token given twice."""
    given = [("ADMIN_TOKEN", "admin", config["ADMIN_TOKEN"])] if config.get("ADMIN_TOKEN") else []
    for setting in ("EDITOR_TOKENS", "VIEWER_TOKENS"):
        given += [(setting, name, token) for name, token in config.get(setting) or []]
    for setting, name, token in given:
        if not NAME.fullmatch(name):
            raise ValueError(f"{setting}: the name {name[:40]!r} must be 1 to 40 letters, digits or . @ - _")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"{setting}: the token of {name} has {len(token)} characters: use at least "
                             f"{MIN_TOKEN_LENGTH}, for example the output of "
                             "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`")
    if len({token for _, _, token in given}) < len(given):
        raise ValueError("the same token is given to two people: give each its own")


def person() -> Person:
    """Who makes this admin request (set by require_token)."""
    return g.person


def csrf_token() -> str:
    """What this site's forms carry to prove they are its own: derived from the token presented, so
    every replica checks it and no other site can make it."""
    return hmac.new(presented_token().encode(), b"curated-search forms", hashlib.sha256).hexdigest()


@bp.app_context_processor
def admin_forms() -> dict:
    return {"csrf_token": csrf_token}


@bp.before_request
def require_token():
    """Admin pages exist only with a token set; wrong tokens are counted per client and limited."""
    tokens = current_app.config["PEOPLE"]
    if not tokens:
        abort(404)
    presented = presented_token().encode()
    for token, who in tokens.items():
        if hmac.compare_digest(presented, token.encode()):
            g.person = who
            return None
    if not presented:  # no token at all is no guess: asked for one, not counted
        raise ApiError(401, "This page needs a token.", ASK_FOR_TOKEN)
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
    found = services()
    info["record"] = None if found.database is None else {
        "kind": found.database.kind, "database": found.database.shown(), **found.live_curation.status()}
    info["skipped"] = [{**item, "path": path_in_source(item["path"], info["sources"])} for item in info["skipped"]]
    info["helpline"] = snapshot().helpline or None
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
               "bets": curation.bets, "hidden": curation.hide, "fired": {}, "percent": percent,
               "lost": lost_targets(snapshot().reader, curation), "editor": person().editor,
               "revision": snapshot().revision}
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
    gaps = usage.top(days, TOPIC_QUESTIONS)
    return dict(
        daily=daily, gaps=gaps[:GAPS_SHOWN], fired=usage.best_bets(days), clicks=clicks, rank_labels=rank_labels,
        topics=gap_topics(gaps)[:TOPICS_SHOWN],
        searches_chart=charts.line_chart(labels, [d.searches for d in daily], "searches", "Searches per day"),
        no_match_chart=charts.line_chart(labels, [d.no_match_rate for d in daily], "no-match",
                                         "Share of searches with no good match, per day", percent),
        clicks_chart=charts.bar_chart(rank_labels, list(clicks.values()), "clicks", "Clicks on results by rank"),
    )


# The questions grouped into topics: the most asked without a good answer (each encoded once per worker);
# the dashboard lists the first GAPS_SHOWN of them.
TOPIC_QUESTIONS = 300
TOPICS_SHOWN = 10
GAPS_SHOWN = 20


def gap_topics(rows: list[tuple[str, int, int]]) -> list[Topic]:
    """Questions without a good answer (UsageLog.top's rows) as topics per language (none when questions
    cannot be encoded just now)."""
    retriever = services().retriever
    questions = [(query, count, spoken(query, "en", retriever.config.profiles).code) for query, count, _ in rows]
    if not questions:
        return []
    try:
        vectors, _ = retriever.encoders["e5"].encode([query for query, _, _ in questions])
    except EncoderUnavailable:
        return []
    return group(questions, vectors)


def logged(read: Callable[[UsageLog], T]) -> T:
    """What `read` takes from the usage log: 404 when it is off, 503 when it cannot be read."""
    usage = services().usage_log
    if usage is None:
        abort(404, "The usage log is off: set QUERY_LOG or DATABASE_URL.")
    try:
        return read(usage)
    except ERRORS as exc:
        abort(503, f"The usage log cannot be read: {type(exc).__name__}: {exc}")


def csv_download(header: list[str], rows: Iterable[list], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/admin/topics.csv")
def topics_csv():
    """What people ask that the pages do not cover, as topics, for the people who write pages."""
    topics = gap_topics(logged(lambda usage: usage.top(period(), TOPIC_QUESTIONS)))
    return csv_download(["language", "topic", "searches", "questions", "examples"],
                        ([t.language, t.name, t.searches, len(t.questions), " | ".join(t.examples)] for t in topics),
                        "search-topics-without-answers.csv")


@bp.get("/admin/daily.csv")
def daily_csv():
    daily = logged(lambda usage: usage.days(period()))
    return csv_download(["day", "searches", "no_match", "weak", "corrected", "clicks"],
                        ([d.day, d.searches, d.no_match, d.weak, d.corrected, d.clicks] for d in daily),
                        "search-usage-daily.csv")
