"""The editing flow in a real browser (headless Chromium) at phone and desktop widths, axe-clean: from a
question people asked and did not find, pin an answer; hide a section; add a synonym; undo. The
browser holds the editor's credentials as it would after the Basic prompt (a wrapper adds them to
every request), so every form goes through the CSRF check."""
from __future__ import annotations

import base64

import pytest

from search_app import create_app
from search_app.web.services import services
from tests.browser.chrome import browser_test_marks, chrome, live_server, violations

pytestmark = browser_test_marks()

EDITOR = "editor-token-0123456789abcdefghijklmn"
ASKED = "where can i buy a wig"


def with_credentials(app):
    """The app as a browser that was given the editor's token at the Basic prompt reaches it."""
    header = "Basic " + base64.b64encode(f"ann:{EDITOR}".encode()).decode()

    def wsgi(environ, start_response):
        environ["HTTP_AUTHORIZATION"] = header
        return app(environ, start_response)
    return wsgi


def shows(driver, text: str) -> None:
    """Wait (up to 10 s) until the page shows this text."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: text in d.page_source)


def press(driver, button) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def checked(driver, width: int) -> None:
    """No axe violation of any impact, and nothing wider than the screen."""
    assert violations(driver) == []
    wide = driver.execute_script("return document.documentElement.scrollWidth")
    assert wide <= width, f"the page is {wide} px wide on a {width} px screen"


@pytest.mark.parametrize(("width", "mobile"), [(390, True), (1366, False)])
def test_an_editor_pins_hides_adds_a_synonym_and_undoes_in_the_browser(corpus_index, tmp_path, width, mobile):
    from selenium.webdriver.common.by import By

    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0,
                      "EDITOR_TOKENS": [("ann", EDITOR)], "QUERY_LOG": str(tmp_path / "record.sqlite")})
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/search", query_string={"q": ASKED}).get_json()["recommended"] == []
    assert services(app).usage_log.flush()
    as_editor = {"Authorization": f"Bearer {EDITOR}"}
    own = client.get("/admin/curation.json", headers=as_editor).get_json()
    assert own["revision"] == 0, "the version's own curation, from the reviewed files"
    with live_server(with_credentials(app)) as base, chrome(width, 900, mobile) as driver:
        driver.get(base + "/admin/")
        checked(driver, width)
        row = driver.find_element(By.XPATH, f"//tr[td[1][text()='{ASKED}']]")
        row.find_element(By.LINK_TEXT, "Pin an answer").click()
        shows(driver, "The search finds no good match")
        checked(driver, width)
        box = driver.find_element(By.ID, "q")
        box.clear()
        box.send_keys("hair loss from chemotherapy")
        box.submit()
        shows(driver, f"People asked: “{ASKED}”")
        checked(driver, width)
        first = driver.find_element(By.CSS_SELECTOR, "input[name=show]")
        pinned = first.get_attribute("value")
        press(driver, first)
        assert driver.find_element(By.ID, "phrasings").get_attribute("value") == ASKED
        press(driver, driver.find_element(By.XPATH, "//button[text()='Pin as a best bet']"))
        shows(driver, "Saved as revision 1")
        checked(driver, width)
        hide = driver.find_elements(By.XPATH, "//button[text()='Hide this section']")[1]
        press(driver, hide)
        shows(driver, "Saved as revision 2")
        assert "hidden." in driver.page_source

        driver.get(base + "/admin/curation")
        driver.find_element(By.ID, "terms").send_keys("wig, hairpiece")
        press(driver, driver.find_element(By.XPATH, "//button[text()='Add group']"))
        shows(driver, "Saved as revision 3")
        checked(driver, width)
        assert [p["link"] for p in client.get("/api/search", query_string={"q": ASKED}).get_json()["recommended"]] \
            == [pinned]
        state = client.get("/admin/curation.json", headers=as_editor).get_json()
        assert len(state["state"]["hide"]) == len(own["state"]["hide"]) + 1
        assert state["state"]["synonyms"] == [*own["state"]["synonyms"], ["wig", "hairpiece"]]

        undo = driver.find_element(By.XPATH, "//tr[td[1][text()='1']]//button[text()='Restore this state']")
        press(driver, undo)
        shows(driver, "Saved as revision 4: revision 1 restored")
        checked(driver, width)
        state = client.get("/admin/curation.json", headers=as_editor).get_json()
        assert state["revision"] == 4 and state["state"]["hide"] == own["state"]["hide"]
        assert state["state"]["synonyms"] == own["state"]["synonyms"]
        assert [b["show"] for b in state["state"]["bets"] if b["phrasings"] == [ASKED]] == [[pinned]]
