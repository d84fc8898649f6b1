"""A real browser (Debian's Chromium, headless) against a live server, with axe-core checks."""
from __future__ import annotations

import pytest

from tests.browser.chrome import browser_test_marks, live_server, serious_violations

pytestmark = browser_test_marks()


@pytest.fixture(scope="module")
def server(app):
    with live_server(app) as base:
        yield base


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
    assert 0 <= top < 20, "the browser scrolled to the section (a small margin above it)"


def test_no_match_page_is_accessible(server, browser):
    browser.get(server + "/?q=pizza+recipe")
    assert "No good match" in browser.page_source
    assert serious_violations(browser) == []
