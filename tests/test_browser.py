"""A real browser (Debian's Chromium, headless) against a live server, with axe-core checks."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = [name for name, found in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER), ("axe-core", AXE.is_file()))
           if not found]
if MISSING and os.environ.get("CI"):
    raise RuntimeError(f"CI needs {', '.join(MISSING)}: run `make browser-setup`")
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"missing {', '.join(MISSING)}: run `make browser-setup`")


@pytest.fixture(scope="module")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def serious_violations(driver) -> list[str]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])));"
    )
    return [f"{rule} ({impact}, {count} nodes)" for rule, impact, count in result if impact in ("serious", "critical")]


def test_search_and_follow_link_to_section(live_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(live_server + "/")
    assert serious_violations(browser) == []
    box = browser.find_element(By.ID, "q")
    box.send_keys("can stage 4 breast cancer be cured")
    box.submit()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "li.page")))
    assert serious_violations(browser) == []
    heading_link = browser.find_element(By.CSS_SELECTOR, "li.page ul.sections h4 a")
    assert heading_link.text == "Treatment for metastatic breast cancer"
    assert browser.find_elements(By.CSS_SELECTOR, "button.copy"), "copy-link buttons added by the script"
    heading_link.click()
    WebDriverWait(browser, 20).until(ec.url_contains("/pages/"))
    assert browser.current_url.endswith("/pages/metastatic-breast-cancer-introduction.html#treatment")
    target = browser.find_element(By.ID, "treatment")
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top;", target)
    assert abs(top) < 5, "the browser scrolled to the section"
