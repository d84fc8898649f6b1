"""A real browser (Debian's Chromium, headless) against a live server, with axe-core checks."""
from __future__ import annotations

import os

import pytest

from tests.browser.chrome import AXE, chrome, live_server, missing

MISSING = missing()
if MISSING and os.environ.get("CI"):
    raise RuntimeError(f"CI needs {', '.join(MISSING)}: run `make browser-setup`")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(MISSING), reason=f"missing {', '.join(MISSING)}: run `make browser-setup`")]


@pytest.fixture(scope="module")
def server(app):
    with live_server(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chrome() as driver:
        yield driver


def serious_violations(driver) -> list[str]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])));"
    )
    return [f"{rule} ({impact}, {count} nodes)" for rule, impact, count in result if impact in ("serious", "critical")]


def test_search_and_follow_link_to_section(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
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


def test_no_match_page_is_accessible(server, browser):
    browser.get(server + "/?q=pizza+recipe")
    assert "No good match" in browser.page_source
    assert serious_violations(browser) == []
