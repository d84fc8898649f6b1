"""What a patient reads, in Chromium at desktop (1366 px) and phone (390 px) widths: the results page
and a page copy pass axe at every level and fit the screen; a link to a passage inside a long
section lands on the passage."""
from __future__ import annotations

import pytest

from tests.browser.chrome import browser_test_marks, chrome, live_server, violations

pytestmark = browser_test_marks()
WIDTHS = {"desktop": (1366, 900, False), "phone": (390, 844, True)}


@pytest.fixture(scope="module")
def server(app):
    with live_server(app) as base:
        yield base


@pytest.fixture(scope="module", params=list(WIDTHS))
def sized(request):
    width, height, mobile = WIDTHS[request.param]
    with chrome(width, height, mobile) as driver:
        yield driver


def fits(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1;")


def test_results_page_has_no_axe_violation_and_fits(server, sized):
    from selenium.webdriver.common.by import By

    sized.get(server + "/?q=does+it+spread+to+the+bones")
    assert sized.find_elements(By.CSS_SELECTOR, "li.page")
    assert violations(sized) == []
    assert fits(sized)


def test_a_page_copy_is_readable_and_has_no_axe_violation(server, sized):
    from selenium.webdriver.common.by import By

    sized.get(server + "/pages/cancer.gov/breast-treatment-pdq.html#treatment")
    assert "the original is at" in sized.find_element(By.CSS_SELECTOR, ".copy-note").text
    assert violations(sized) == []
    assert fits(sized)
    size = sized.execute_script("return parseFloat(getComputedStyle(document.querySelector('article.copy p')).fontSize);")
    assert size >= 16
    target = sized.find_element(By.ID, "treatment")
    outline = sized.execute_script("return getComputedStyle(arguments[0]).outlineStyle;", target)
    assert outline == "solid", "the linked section is marked"


def in_view(driver, words: str) -> bool:
    """Whether the deepest element holding these words is on screen."""
    return driver.execute_script("""
        const words = arguments[0];
        const all = [...document.querySelectorAll('article.copy *')].filter(e => e.textContent.replace(/\\s+/g, ' ').includes(words));
        const deepest = all.filter(e => ![...e.children].some(c => all.includes(c)));
        return deepest.some(e => { const r = e.getBoundingClientRect(); return r.top >= -5 && r.top < window.innerHeight; });
    """, words)


@pytest.mark.parametrize("question, page", [("what is her2", "cancer.gov/"), ("brca2 management", "gard/")])
def test_a_link_to_a_passage_inside_its_section_lands_on_it(server, browser, question, page):
    from urllib.parse import unquote

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/?" + f"q={question.replace(' ', '+')}")
    links = [a for a in browser.find_elements(By.CSS_SELECTOR, "li.page ul.sections h4 a")
             if ":~:text=" in a.get_attribute("href") and page in a.get_attribute("href")]
    assert links, "a shown passage starts inside its section"
    link = links[0]
    words = unquote(link.get_attribute("href").split(":~:text=")[1])
    assert not in_view(browser, words)
    link.click()
    WebDriverWait(browser, 20).until(lambda d: "/pages/" in d.current_url)
    WebDriverWait(browser, 10).until(lambda d: in_view(d, words))


def test_the_dashboard_is_usable_on_a_phone(corpus_index, tmp_path):
    from search_app import create_app
    from tests.browser.screenshots import TOKEN, filled_log

    filled_log(tmp_path / "usage.sqlite")
    app = create_app({"INDEX_DIR": str(corpus_index), "ADMIN_TOKEN": TOKEN, "QUERY_LOG": str(tmp_path / "usage.sqlite")})
    with live_server(app) as base, chrome(390, 844, True) as driver:
        driver.get(base.replace("http://", f"http://staff:{TOKEN}@") + "/admin/")
        assert "Search dashboard" in driver.page_source
        assert fits(driver)
        label_px = driver.execute_script("""
            const svg = document.querySelector('svg.chart');
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return parseFloat(getComputedStyle(svg.querySelector('text.axis')).fontSize) * scale;""")
        assert label_px >= 10
        latest, frame = driver.execute_script("""
            const frame = document.querySelector('.chart-frame'), points = frame.querySelectorAll('.point');
            const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
            return [box(points[points.length - 1]), box(frame)];""")
        assert frame[0] <= latest[0] and latest[1] <= frame[1], "a chart by day opens at its latest day"
        assert violations(driver) == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_site_menu_keeps_its_label_beside_it(server, sized, lang):
    sized.get(f"{server}/?lang={lang}&q=mastectomy")
    label, menu = sized.execute_script(
        "const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };"
        "return [box(document.querySelector('label[for=source]')), box(document.getElementById('source'))];")
    assert menu[1] <= (label[1] + label[3]) / 2 <= menu[3], "the label sits on the menu's line"
    assert 0 <= menu[0] - label[2] <= 16, "right before it"
