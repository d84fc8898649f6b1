"""Flask app: plain-language questions in, ranked passages with deep links to the original sections out."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from indexer.query_encoder import QueryEncoder
from search_app import admin, api, hooks, settings, views, widget
from search_app.ratelimit import RateLimiter
from search_app.retrieval import Retriever
from search_app.usage import UsageLog

SUGGESTIONS_PER_SEARCH = 5


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, or from test_config instead of it."""
    app = Flask(__name__)
    app.config.from_mapping(settings.defaults())
    app.config.from_mapping(settings.from_env() if test_config is None else test_config)
    app.json.sort_keys = False
    # "//" in a path is not merged by a redirect: a redirect would name the request's Host header.
    app.url_map.merge_slashes = False

    encoder = QueryEncoder(Path(app.config["MODEL_CACHE"]))
    app.extensions["retriever"] = Retriever(Path(app.config["INDEX_DIR"]), encoder=encoder)
    if app.config["RATE_LIMIT_PER_MINUTE"] > 0:
        app.extensions["rate_limiter"] = RateLimiter(app.config["RATE_LIMIT_PER_MINUTE"],
                                                     app.config["RATE_LIMIT_BURST"])
        # Suggestions come as a person types: several per question.
        app.extensions["suggest_limiter"] = RateLimiter(SUGGESTIONS_PER_SEARCH * app.config["RATE_LIMIT_PER_MINUTE"],
                                                        SUGGESTIONS_PER_SEARCH * app.config["RATE_LIMIT_BURST"])
    if app.config["QUERY_LOG"]:
        app.extensions["usage_log"] = UsageLog(Path(app.config["QUERY_LOG"]), app.config["QUERY_LOG_DAYS"])
    if app.config["PROXY_HOPS"] > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"])
    app.jinja_env.globals["widget_digest"] = widget.asset("js")[1]
    hooks.register(app)
    for blueprint in (api.bp, views.bp, admin.bp, widget.bp):
        app.register_blueprint(blueprint)
    return app
