"""Screenshots of the results page, desktop and phone width: python -m tests.browser.screenshots INDEX_DIR OUT_DIR QUERY"""
from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

from search_app import create_app
from tests.browser.chrome import chrome, live_server

SIZES = {"desktop": (1280, 1000, False), "phone": (390, 1400, True)}


def main(index_dir: str, out_dir: str, query: str, pages_dir: str | None = None) -> None:
    app = create_app({"INDEX_DIR": index_dir, "PAGES_DIR": pages_dir})
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with live_server(app) as base:
        for name, (width, height, mobile) in SIZES.items():
            with chrome(width, height, mobile) as driver:
                driver.get(base + "/?" + urllib.parse.urlencode({"q": query}))
                driver.save_screenshot(str(Path(out_dir) / f"results-{name}.png"))


if __name__ == "__main__":
    main(*sys.argv[1:])
