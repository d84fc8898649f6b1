"""Screenshots for the README, desktop and phone width: the results page, a patient's results (in
English and in Spanish) and a page copy on a phone, the widget on the example host page, and the maintainers' dashboard (with
generated usage figures).

    python -m tests.browser.screenshots RESULTS_INDEX_DIR OUT_DIR QUERY [WIDGET_INDEX_DIR]
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

from examples.host_page import create_demo
from search_app import create_app
from search_app.web.usage import UsageLog
from tests.browser.chrome import chrome, live_server
from tests.helpers import CORPUS_PAGES, ROOT

SIZES = {"desktop": (1280, 1000, False), "phone": (390, 1400, True)}
TOKEN = "screenshot-token-0123456789abcdefghijkl"


def results(index_dir: str, out: Path, query: str) -> None:
    app = create_app({"INDEX_DIR": index_dir})
    with live_server(app) as base:
        for name, (width, height, mobile) in SIZES.items():
            with chrome(width, height, mobile) as driver:
                driver.get(base + "/?" + urllib.parse.urlencode({"q": query}))
                driver.save_screenshot(str(out / f"results-{name}.png"))


def reading(index_dir: str, out: Path) -> None:
    """What a patient reads on a phone: a results page of the default corpus and a page copy."""
    app = create_app({"INDEX_DIR": index_dir, "PAGES_DIR": str(CORPUS_PAGES)})
    width, height, mobile = SIZES["phone"]
    with live_server(app) as base, chrome(width, height, mobile) as driver:
        driver.get(base + "/?" + urllib.parse.urlencode({"q": "can stage 4 breast cancer be cured"}))
        driver.save_screenshot(str(out / "patient-results-phone.png"))
        driver.get(base + "/?" + urllib.parse.urlencode({"q": "¿se puede curar el cáncer de mama en etapa 4?"}))
        driver.save_screenshot(str(out / "pacientes-es-phone.png"))
        driver.get(base + "/pages/cancer.gov/breast-treatment-pdq.html")
        driver.save_screenshot(str(out / "copy-phone.png"))
        driver.get(base + "/?" + urllib.parse.urlencode({"q": "best pizza in town"}))
        driver.save_screenshot(str(out / "no-match-phone.png"))


def widget(index_dir: str, out: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    app = create_app({"INDEX_DIR": index_dir, "PAGES_DIR": str(CORPUS_PAGES), "ALLOWED_ORIGINS": []})
    with live_server(app) as search_url, live_server(create_demo(search_url)) as host_url:
        app.config["ALLOWED_ORIGINS"] = [host_url]
        for name, (width, height, mobile) in SIZES.items():
            with chrome(width, height, mobile) as driver:
                driver.get(host_url + "/site.html")
                time.sleep(1)
                root = driver.find_element(By.CSS_SELECTOR, "[data-curated-search]").shadow_root
                box = root.find_element(By.CSS_SELECTOR, "input")
                box.send_keys("metast")
                time.sleep(1.5)
                box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_DOWN)
                if name == "desktop":
                    driver.save_screenshot(str(out / "widget-suggestions.png"))
                box.send_keys(Keys.ESCAPE)
                box.clear()
                box.send_keys("can stage 4 be cured", Keys.ENTER)
                time.sleep(2)
                driver.save_screenshot(str(out / f"widget-{name}.png"))


def filled_log(path: Path, days: int = 30) -> None:
    """A usage log with generated figures (not real usage), for the picture only."""
    log = UsageLog(path)
    unanswered = (ROOT / "corpus" / "eval" / "patients-unanswered.txt").read_text(encoding="utf-8").splitlines()
    unanswered = [line for line in unanswered if line.strip() and not line.startswith("#")]
    rng = random.Random(7)
    today = date.today()
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        for i in range(rng.randint(40, 90) + (days - back)):
            no_match = rng.random() < 0.12 - back * 0.002
            bet = "can stage 4 be cured" if rng.random() < 0.05 else None
            log.record_search(rng.choice(unanswered) if no_match else "question", no_match, rng.random() < 0.06,
                              bet, day)
            if not no_match and rng.random() < 0.6:
                log.record_click(min(1 + int(rng.expovariate(0.45)), 12) if rng.random() > 0.04 else 0, day)
    log.flush()


def dashboard(index_dir: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        filled_log(Path(folder) / "usage.sqlite")
        app = create_app({"INDEX_DIR": index_dir, "ADMIN_TOKEN": TOKEN, "QUERY_LOG": str(Path(folder) / "usage.sqlite")})
        with live_server(app) as base:
            for name, (width, height, mobile) in {"": (1280, 3600, False), "-phone": (390, 1400, True)}.items():
                with chrome(width, height, mobile) as driver:
                    driver.get(base.replace("http://", f"http://staff:{TOKEN}@") + "/admin/")
                    driver.save_screenshot(str(out / f"dashboard{name}.png"))


def curation(index_dir: str, out: Path) -> None:
    """The curation page after a few edits, and the pin page on a phone."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INDEX_DIR": index_dir, "ADMIN_TOKEN": TOKEN, "QUERY_LOG": str(Path(folder) / "record.sqlite"),
                          "RATE_LIMIT_PER_MINUTE": 0})
        client, editor = app.test_client(), {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
        client.post("/admin/curation/bets", headers=editor, data={
            "phrasings": "where can i buy a wig", "show": "/pages/medlineplus/breastcancer.html"})
        client.post("/admin/curation/synonyms", headers=editor, data={"terms": "wig, hairpiece"})
        with live_server(app) as base:
            signed_in = base.replace("http://", f"http://staff:{TOKEN}@")
            with chrome(1280, 2000) as driver:
                driver.get(signed_in + "/admin/curation")
                driver.save_screenshot(str(out / "curation.png"))
            width, height, mobile = SIZES["phone"]
            with chrome(width, height, mobile) as driver:
                driver.get(signed_in + "/admin/curation/pin?" + urllib.parse.urlencode(
                    {"q": "hair loss from chemotherapy", "phrasing": "where can i buy a wig"}))
                driver.save_screenshot(str(out / "pin-phone.png"))


def main(index_dir: str, out_dir: str, query: str, widget_index_dir: str | None = None) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results(index_dir, out, query)
    if widget_index_dir:
        reading(widget_index_dir, out)
        widget(widget_index_dir, out)
        dashboard(widget_index_dir, out)
        curation(widget_index_dir, out)


if __name__ == "__main__":
    main(*sys.argv[1:])
