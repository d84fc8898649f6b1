"""An example "charity page" on its own origin with the search widget embedded, as a site would do it:

    python -m examples.host_page --port 8001 --search-url http://localhost:8000

(`make run` starts it beside the search app, and allows its origin to call the API.) The page is
served with the Content-Security-Policy a host page needs for the widget.
"""
from __future__ import annotations

import argparse
import sys

from flask import Flask, render_template


def host_csp(search_url: str) -> str:
    """What a host page's CSP must allow for the widget: its script, its style sheet, its API calls."""
    return (f"default-src 'self'; script-src 'self' {search_url}; style-src 'self' {search_url}; "
            f"connect-src {search_url}; img-src 'self' data:; object-src 'none'; base-uri 'none'")


def create_demo(search_url: str) -> Flask:
    app = Flask(__name__)
    search_url = search_url.rstrip("/")

    @app.get("/")
    @app.get("/site.html")
    def site():
        response = app.make_response(render_template("demo-site.html", search_url=search_url))
        response.headers["Content-Security-Policy"] = host_csp(search_url)
        return response

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.host_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--search-url", default="http://localhost:8000", help="where the search app answers")
    args = parser.parse_args(argv)
    print(f"example host page: http://localhost:{args.port}/site.html (search at {args.search_url})")
    create_demo(args.search_url).run(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
