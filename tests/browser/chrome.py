"""Headless Debian Chromium and a live server for browser tests and screenshots."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


def missing() -> list[str]:
    found = (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER), ("axe-core", AXE.is_file()))
    return [name for name, ok in found if not ok]


def browser_test_marks() -> list:
    """A real-browser test module's marks: slow, and skipped with the reason when the browser or
    axe-core is missing (in CI, a missing piece is an error instead)."""
    import pytest

    absent = missing()
    if absent and os.environ.get("CI"):
        raise RuntimeError(f"CI needs {', '.join(absent)}: run `make browser-setup`")
    return [pytest.mark.slow,
            pytest.mark.skipif(bool(absent), reason=f"missing {', '.join(absent)}: run `make browser-setup`")]


def violations(driver, impacts: tuple[str, ...] = ("minor", "moderate", "serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts (every level unless told) on the page the driver shows."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])));"
    )
    return [f"{rule} ({impact}, {count} nodes)" for rule, impact, count in result if impact in impacts]


def serious_violations(driver) -> list[str]:
    """axe-core's serious and critical violations on the page the driver shows."""
    return violations(driver, ("serious", "critical"))


@contextmanager
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def chrome(width: int = 1280, height: int = 900, mobile: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    with tempfile.TemporaryDirectory() as profile:
        for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        if mobile:
            options.add_experimental_option("mobileEmulation", {
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()
