"""The embeddable widget in a real browser (Debian's Chromium, headless), on the example host page
served from another origin: suggestions by keyboard, results in place, links to sections, axe-core."""
from __future__ import annotations

import pytest

from examples.host_page import create_demo
from search_app import create_app
from tests.browser.chrome import browser_test_marks, live_server, serious_violations, violations
from tests.helpers import CORPUS_PAGES

pytestmark = browser_test_marks()


@pytest.fixture(scope="module")
def host_page(corpus_index):
    """The search app and the host page on two origins; the host's origin allowed to call the API."""
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "PAGES_DIR": str(CORPUS_PAGES),
                      "RATE_LIMIT_PER_MINUTE": 0, "ALLOWED_ORIGINS": []})
    with live_server(app) as search_url, live_server(create_demo(search_url)) as host_url:
        app.config["ALLOWED_ORIGINS"] = [host_url]
        yield host_url + "/site.html"


def widget(browser):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, "[data-curated-search]").shadow_root


def wait_for(browser, find, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda _: find())


def test_suggestion_picked_by_keyboard_shows_results_in_place(host_page, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(host_page)
    root = wait_for(browser, lambda: widget(browser))
    box = root.find_element(By.CSS_SELECTOR, "input[role=combobox]")
    box.send_keys("met")
    options = wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, "[role=option]"))
    assert box.get_attribute("aria-expanded") == "true" and 1 <= len(options) <= 8
    assert all("met" in option.text for option in options)
    box.send_keys(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    chosen = options[0].text
    box.send_keys(Keys.ENTER)
    pages = wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, "li.cs-page"))
    assert box.get_attribute("value") == chosen and box.get_attribute("aria-expanded") == "false"
    assert "pages for “" in root.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert browser.current_url == host_page, "results shown in place"
    assert pages[0].find_elements(By.CSS_SELECTOR, "mark"), "excerpts with the question's words marked"
    assert "information, not medical advice" in root.find_element(By.CSS_SELECTOR, ".cs-note").text
    assert serious_violations(browser) == []


def test_question_typed_in_full_and_link_followed_to_its_section(host_page, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(host_page)
    root = wait_for(browser, lambda: widget(browser))
    box = root.find_element(By.CSS_SELECTOR, "input[role=combobox]")
    box.send_keys("can stage 4 breast cancer be cured", Keys.ENTER)
    wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, "li.cs-page"))
    recommended = root.find_elements(By.CSS_SELECTOR, ".cs-recommended a")
    assert recommended and recommended[0].get_attribute("href").endswith(
        "/pages/metastatic-breast-cancer-introduction.html#treatment")
    section = root.find_element(By.CSS_SELECTOR, "li.cs-page .cs-section .cs-section-title a")
    assert section.text == "Treatment for metastatic breast cancer"
    first = root.find_element(By.CSS_SELECTOR, "li.cs-page .cs-section")
    assert first.find_element(By.CSS_SELECTOR, ".cs-above").text == "Shown above, as recommended." and not \
        first.find_elements(By.CSS_SELECTOR, ".cs-excerpt"), "the recommended section's excerpt is not repeated"
    addresses = [code.text for code in root.find_elements(By.CSS_SELECTOR, ".cs-link code")]
    assert addresses and all("%20" not in text for text in addresses), "the address copied, readable"
    assert not root.find_elements(By.CSS_SELECTOR, ".cs-link a"), "an address to copy, not one more link to tab through"
    assert violations(browser) == [], "axe at every level, headings in order"
    more = root.find_element(By.CSS_SELECTOR, "button.cs-more")
    shown = len(root.find_elements(By.CSS_SELECTOR, "li.cs-page"))
    more.click()
    wait_for(browser, lambda: len(root.find_elements(By.CSS_SELECTOR, "li.cs-page")) > shown)
    first_new = root.find_elements(By.CSS_SELECTOR, "li.cs-page")[shown].find_element(By.CSS_SELECTOR, "a")
    focused = browser.execute_script("return arguments[0].activeElement;", root)
    assert focused == first_new, "focus moves to the first new result after More results"
    assert violations(browser) == []
    root.find_element(By.CSS_SELECTOR, "li.cs-page .cs-section .cs-section-title a").click()
    WebDriverWait(browser, 20).until(ec.url_contains("/pages/"))
    assert browser.current_url.endswith("/pages/metastatic-breast-cancer-introduction.html#treatment")


def test_no_match_and_correction_in_the_widget(host_page, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(host_page)
    root = wait_for(browser, lambda: widget(browser))
    box = root.find_element(By.CSS_SELECTOR, "input[role=combobox]")
    box.send_keys("pizza recipe", Keys.ENTER)
    empty = wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, ".cs-empty"))
    assert "No good match" in empty[0].text
    box.clear()
    box.send_keys("mastectomy recovry", Keys.ENTER)
    corrected = wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, ".cs-corrected"))
    assert "Showing results for" in corrected[0].text and "recovery" in corrected[0].text


def test_host_page_styles_do_not_reach_the_widget(host_page, browser):
    from selenium.webdriver.common.by import By

    browser.get(host_page)
    root = wait_for(browser, lambda: widget(browser))
    button = root.find_element(By.CSS_SELECTOR, "button.cs-submit")
    host_button = browser.find_element(By.CSS_SELECTOR, "main > button")
    assert "dashed" in host_button.value_of_css_property("border-style")
    assert "dashed" not in button.value_of_css_property("border-style")
    assert "Courier" not in button.value_of_css_property("font-family")


def test_search_page_suggests_too(host_page, browser):
    from selenium.webdriver.common.by import By

    browser.get(host_page)
    search_url = browser.find_element(By.CSS_SELECTOR, "[data-curated-search]").get_attribute("data-curated-search")
    browser.get(search_url + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("mast")
    options = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#q-suggestions [role=option]"))
    assert options[0].text == "mastectomy"
    options[0].click()
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "li.page"))
    assert "q=mastectomy" in browser.current_url


def hostile_api() -> tuple:
    """A server that answers the widget's search with javascript: links, and counts its callers."""
    from flask import Flask, jsonify

    evil, calls = Flask("hostile"), []

    @evil.get("/api/search")
    def answer():
        calls.append(1)
        body = jsonify(query="chemo", corrected_query=None, total=1, no_match=False, limit=10, offset=0,
                       recommended=[], results=[{
                           "page": {"url": "javascript:alert(document.domain)", "title": "Planted page",
                                    "source": "elsewhere", "updated": None},
                           "passages": [{"section": "Planted", "link": "javascript:alert(document.cookie)",
                                         "text": "Chemotherapy text.", "highlights": [], "score": 1.0}]}])
        body.headers["Access-Control-Allow-Origin"] = "*"
        return body

    return evil, calls


def host_with(search_url: str, script_api: str | None, widget_api: str, content: str = ""):
    """A host page with the widget's tags and, in its own content, `content` (markup its users wrote)."""
    from flask import Flask

    host = Flask("host")
    api = f' data-api="{script_api}"' if script_api else ""

    @host.get("/")
    def page():
        return (f'<!doctype html><html lang="en"><title>Host</title><script src="{search_url}/widget.js"{api} defer>'
                f'</script><main><h1>Host</h1>{content}<div data-curated-search="{widget_api}">'
                f'<a href="{search_url}/">Search</a></div></main></html>')

    return host


def search_in_widget(browser, url, question="chemo"):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(url)
    root = wait_for(browser, lambda: widget(browser))
    root.find_element(By.CSS_SELECTOR, "input[role=combobox]").send_keys(question, Keys.ENTER)
    wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, "li.cs-page"))
    return root


def test_a_planted_api_address_is_ignored_and_only_http_links_are_shown(corpus_index, browser):
    from selenium.webdriver.common.by import By

    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0,
                      "ALLOWED_ORIGINS": []})
    evil, calls = hostile_api()
    with live_server(app) as search_url, live_server(evil) as evil_url:
        with live_server(host_with(search_url, None, evil_url)) as planted:
            app.config["ALLOWED_ORIGINS"] = [planted]
            root = search_in_widget(browser, planted + "/")
            assert calls == [], "the planted address was never asked"
            links = [a.get_attribute("href") for a in root.find_elements(By.CSS_SELECTOR, "a[href]")]
            assert links and all(link.startswith(search_url) for link in links)
        with live_server(host_with(search_url, evil_url, evil_url)) as trusting:
            root = search_in_widget(browser, trusting + "/")
            assert calls, "an address the script tag names is used"
            assert "Planted page" in root.find_element(By.CSS_SELECTOR, "li.cs-page").text
            hrefs = [a.get_attribute("href") or "" for a in root.find_elements(By.CSS_SELECTOR, "a")]
            assert not [h for h in hrefs if not h.startswith(("http://", "https://")) and h]
            assert not root.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")


def test_markup_named_like_the_script_element_does_not_move_the_widget_elsewhere(corpus_index, browser):
    from selenium.webdriver.common.by import By

    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0,
                      "ALLOWED_ORIGINS": []})
    evil, calls = hostile_api()
    with live_server(app) as search_url, live_server(evil) as evil_url:
        clobbering = f'<img name="currentScript" src="{evil_url}/x.js" alt="">'
        with live_server(host_with(search_url, None, "", clobbering)) as host:
            app.config["ALLOWED_ORIGINS"] = [host]
            root = search_in_widget(browser, host + "/")
            assert calls == [], "the widget asked no other origin"
            assert "Planted page" not in root.find_element(By.CSS_SELECTOR, "li.cs-page").text
            links = [a.get_attribute("href") for a in root.find_elements(By.CSS_SELECTOR, "a[href]")]
            assert links and all(link.startswith(search_url) for link in links)


def test_the_widget_at_phone_width_has_no_axe_violation_and_whole_sentence_excerpts(host_page, client):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.browser.chrome import chrome

    with chrome(390, 844, mobile=True) as phone:
        phone.get(host_page)
        root = wait_for(phone, lambda: widget(phone))
        root.find_element(By.CSS_SELECTOR, "input[role=combobox]").send_keys("side effects of chemo", Keys.ENTER)
        wait_for(phone, lambda: root.find_elements(By.CSS_SELECTOR, "li.cs-page"))
        assert violations(phone) == []
        assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1;")
        shown = [" ".join(p.text.split()) for p in root.find_elements(By.CSS_SELECTOR, "li.cs-page .cs-excerpt")]
    body = client.get("/api/search", query_string={"q": "side effects of chemo", "limit": 10}).get_json()
    chosen = [" ".join(p["excerpt"]["text"].split()) for r in body["results"] for p in r["passages"][:3]]
    assert shown and shown == chosen, "the widget shows the API's whole-sentence excerpts"


def test_a_spanish_question_is_answered_in_spanish_in_the_widget(host_page, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(host_page)
    root = wait_for(browser, lambda: widget(browser))
    root.find_element(By.CSS_SELECTOR, "input[role=combobox]").send_keys("¿se puede curar el cáncer de mama en etapa 4?",
                                                                         Keys.ENTER)
    pages = wait_for(browser, lambda: root.find_elements(By.CSS_SELECTOR, "li.cs-page"))
    assert "páginas para «" in root.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "página en inglés" in pages[0].find_element(By.CSS_SELECTOR, ".cs-page-title").text
    assert not root.find_elements(By.CSS_SELECTOR, ".cs-corrected"), "a Spanish question is never corrected into English"
    assert serious_violations(browser) == []
