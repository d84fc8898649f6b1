"""Flask app: plain-language questions in, ranked passages with deep links to the original sections out."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from search_app import settings
from search_app.engine.retrieval import Retriever
from search_app.web import admin, api, curating, hooks, i18n, views, widget
from search_app.web.live_curation import LiveCuration
from search_app.web.ratelimit import RateLimiter
from search_app.web.services import Services, install
from search_app.web.usage import UsageLog
from search_index.curation_store import CurationStore
from search_index.database import open_database
from search_index.query_encoder import encoders

SUGGESTIONS_PER_SEARCH = 5
CLICKS_PER_SEARCH = 2


def make_services(config: Mapping) -> Services:
    """The retriever, the rate limiters, and the record (usage log and live curation) the settings ask for."""
    retriever = Retriever(Path(config["INDEX_DIR"]), question_encoders=encoders(Path(config["MODEL_CACHE"])))
    found = Services(retriever, admin_failures=RateLimiter(admin.FAILURES_PER_MINUTE, admin.FAILURE_BURST))
    if config["RATE_LIMIT_PER_MINUTE"] > 0:
        found.search_limiter = RateLimiter(config["RATE_LIMIT_PER_MINUTE"], config["RATE_LIMIT_BURST"])
        # Suggestions come as a person types: several per question.
        found.suggest_limiter = RateLimiter(SUGGESTIONS_PER_SEARCH * config["RATE_LIMIT_PER_MINUTE"],
                                            SUGGESTIONS_PER_SEARCH * config["RATE_LIMIT_BURST"])
        # Clicks have their own bucket: a reader who opens several results is not slowed as a searcher.
        found.click_limiter = RateLimiter(CLICKS_PER_SEARCH * config["RATE_LIMIT_PER_MINUTE"],
                                          CLICKS_PER_SEARCH * config["RATE_LIMIT_BURST"])
        # Page copies are opened from results, as clicks are.
        found.copy_limiter = RateLimiter(CLICKS_PER_SEARCH * config["RATE_LIMIT_PER_MINUTE"],
                                         CLICKS_PER_SEARCH * config["RATE_LIMIT_BURST"])
    found.database = open_database(config["DATABASE_URL"], config["QUERY_LOG"])
    if found.database is not None:
        found.usage_log = UsageLog(found.database, config["QUERY_LOG_DAYS"])
        found.curation_store = CurationStore(found.database)
        found.live_curation = LiveCuration(found.curation_store, retriever.encoders["minilm"],
                                           lambda: retriever.current)
    return found


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, or from test_config instead of it."""
    app = Flask(__name__)
    app.config.from_mapping(settings.defaults())
    app.config.from_mapping(settings.from_env() if test_config is None else test_config)
    app.json.sort_keys = False
    # "//" in a path is not merged by a redirect: a redirect would name the request's Host header.
    app.url_map.merge_slashes = False

    admin.check_tokens(app.config)
    app.config["PEOPLE"] = admin.people(app.config)
    install(app, make_services(app.config))
    if app.config["PROXY_HOPS"] > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"])
    app.jinja_env.globals["widget_digest"] = widget.asset("js")[1]
    hooks.register(app)
    i18n.install(app)
    for blueprint in (api.bp, views.bp, admin.bp, curating.bp, widget.bp):
        app.register_blueprint(blueprint)
    return app
