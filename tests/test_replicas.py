"""deploy/nginx.conf with Debian's nginx in front of two `make serve` replicas sharing one index:
under a bounded load of fresh questions, a new version is published and one replica is killed; no
client sees a failed request, and both replicas serve the new version within 2 s of the publish."""
from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.servers import free_port, gunicorn, wait_ready
from search_index import publishing
from tests.helpers import ROOT, build_folder, page_html, write_page

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (make system-setup)")]

TOPICS = [("Volcanoes", "Lava flows from a volcano and cools into rock."),
          ("Glaciers", "Glaciers are rivers of ice that move slowly."),
          ("Deserts", "Deserts get very little rain in a year."),
          ("Forests", "Forests are full of trees and animals.")]


def proxy_config(folder: Path, port: int, replicas: list[int], limits: bool = True) -> Path:
    """deploy/nginx.conf with the replicas' local addresses and a local port and paths; without its
    per-address limits where a test's load comes from one address on purpose (`limits=False`)."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    if not limits:
        text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("limit_req zone="))
    servers = "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in replicas)
    text = text.replace("server app:8000 max_fails=1 fail_timeout=5s;", servers)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {\n", f"http {{\n    access_log off;\n{temp}", 1)
    assert servers in text and f"listen 127.0.0.1:{port};" in text
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


def version_of(base: str) -> str | None:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
            return json.loads(response.read())["version"]
    except OSError:
        return None


def kill_replica(server) -> None:
    """kill -9 a replica: its master and its workers."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for victim in [pid, *map(int, children)]:
        os.kill(victim, signal.SIGKILL)


class Load:
    """Fresh questions sent through `base` by `clients` threads (each waits `pause` seconds between
    two) while the block runs: the statuses answered 200, and every other status or error."""

    def __init__(self, base: str, about: str, clients: int, pause: float = 0.0) -> None:
        self.base, self.about, self.pause = base, about, pause
        self.answered: list[int] = []
        self.failures: list = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(n,)) for n in range(clients)]

    def client(self, number: int) -> None:
        for i in range(100_000):
            if self.stop.is_set():
                return
            try:
                status, _, _ = answer(f"{self.base}/api/search?q=question+{number}+number+{i}+{self.about}")
                (self.answered if status == 200 else self.failures).append(status)
            except (OSError, http.client.HTTPException) as exc:  # a refused connection or a cut-off answer
                self.failures.append(repr(exc))
            time.sleep(self.pause)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)


def test_publish_and_a_killed_replica_under_load_lose_no_request(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    for title, text in TOPICS[:3]:
        write_page(pages, f"{title.lower()}.html", page_html(title, [("About", text)]))
    first = build_folder(pages, index_dir).version
    env = {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0"}
    with gunicorn(index_dir, env) as one, gunicorn(index_dir, env) as two:
        port = free_port()
        replicas = [int(one.base.rsplit(":", 1)[1]), int(two.base.rsplit(":", 1)[1])]
        proxy = run_proxy(tmp_path, port, replicas, limits=False)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            with Load(base, "about+lava+and+ice", clients=4) as load:
                time.sleep(2)
                title, text = TOPICS[3]
                write_page(pages, f"{title.lower()}.html", page_html(title, [("About", text)]))
                second = build_folder(pages, index_dir).version
                published = time.monotonic()
                while {version_of(one.base), version_of(two.base)} != {second}:
                    assert time.monotonic() - published < 2.0, "both replicas serve the new version within 2 s"
                    time.sleep(0.05)
                seen = time.monotonic() - published
                time.sleep(1)
                kill_replica(one)
                time.sleep(4)
            failures, answered = load.failures, load.answered
            print(f"both replicas serve the new version {seen:.2f} s after the publish; {len(answered)} answered")
            assert first != second and seen < 2.0
            assert failures == [] and len(answered) > 20 and set(answered) == {200}
            assert version_of(base) == second
        finally:
            proxy.send_signal(signal.SIGQUIT)
            proxy.wait(timeout=10)
    assert publishing.published_version(index_dir) == second


def run_proxy(folder: Path, port: int, replicas: list[int], limits: bool = True) -> subprocess.Popen:
    config = proxy_config(folder, port, replicas, limits)
    return subprocess.Popen(["nginx", "-p", str(folder), "-c", str(config),
                             "-g", f"daemon off; pid {folder / 'nginx.pid'}; error_log stderr;"],
                            stderr=subprocess.DEVNULL)


def answer(url: str, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of a request, error statuses included."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_nginx_own_errors_carry_the_security_headers_and_no_version(tmp_path):
    port, nobody = free_port(), free_port()
    proxy = run_proxy(tmp_path, port, [nobody])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                status, headers, body = answer(base + "/api/search?q=cure")
                break
            except OSError:
                time.sleep(0.05)
        assert status == 502 and json.loads(body)["reason"] == "The search is not available just now."
        too_large = answer(base + "/api/click?rank=1", data=b"x" * 20_000)
        assert too_large[0] == 413 and json.loads(too_large[2])["error"] == "Payload Too Large"
        for headers in (headers, too_large[1]):
            assert headers["Server"] == "nginx" and headers["X-Content-Type-Options"] == "nosniff"
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
            assert headers["X-Frame-Options"] == "DENY" and headers["Content-Type"] == "application/json"
    finally:
        proxy.send_signal(signal.SIGQUIT)
        proxy.wait(timeout=10)


def test_behind_nginx_a_client_cannot_choose_its_address_for_the_rate_limit(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_page(pages, "volcanoes.html", page_html(TOPICS[0][0], [("About", TOPICS[0][1])]))
    build_folder(pages, index_dir)
    env = {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "1", "RATE_LIMIT_BURST": "2", "PROXY_HOPS": "1"}
    with gunicorn(index_dir, env) as replica:
        port = free_port()
        proxy = run_proxy(tmp_path, port, [int(replica.base.rsplit(":", 1)[1])])
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            codes = [answer(f"{base}/api/search?q=lava", headers={"X-Forwarded-For": f"198.51.100.{n}"})[0]
                     for n in range(4)]
        finally:
            proxy.send_signal(signal.SIGQUIT)
            proxy.wait(timeout=10)
    assert codes[:2] == [200, 200] and codes[2:] == [429, 429], "one bucket: the address nginx saw"


EDITOR = "editor-token-0123456789abcdefghijklmn"


def admin_call(base: str, path: str, data: dict | None = None):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    status, _, raw = answer(base + path, data=body, headers={"Authorization": f"Bearer {EDITOR}",
                                                             "Accept": "application/json"})
    return status, json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw


def recommends(base: str, question: str) -> list[str]:
    status, _, raw = answer(f"{base}/api/search?" + urllib.parse.urlencode({"q": question}))
    return [p["link"] for p in json.loads(raw)["recommended"]] if status == 200 else []


def within(seconds: float, check) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_replicas_on_one_postgresql_share_the_record_through_a_kill_and_a_database_restart(tmp_path, postgres_cluster):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    for title, text in TOPICS:
        write_page(pages, f"{title.lower()}.html", page_html(title, [("About", text)]))
    build_folder(pages, index_dir)
    env = {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0", "EDITOR_TOKENS": f"ann:{EDITOR}",
           "DATABASE_URL": postgres_cluster.create_database("replicas")}
    with gunicorn(index_dir, env) as one, gunicorn(index_dir, env) as two:
        for base, question in ((one.base, "lava"), (two.base, "ice"), (two.base, "banana bread recipe")):
            assert answer(f"{base}/api/search?" + urllib.parse.urlencode({"q": question}))[0] == 200

        def counted(base: str) -> bool:
            status, csv = admin_call(base, "/admin/daily.csv")
            return status == 200 and csv.decode().splitlines()[-1].split(",")[1] == "3"
        within(5, lambda: counted(one.base) and counted(two.base))

        status, pinned = admin_call(one.base, "/admin/curation/bets",
                                    {"phrasings": "hot rock from a mountain", "show": "/pages/volcanoes.html"})
        assert status == 200, pinned
        shared = within(2, lambda: recommends(two.base, "hot rock from a mountain") == ["/pages/volcanoes.html"])
        assert admin_call(two.base, "/admin/curation/restore", {"revision": 99})[0] == 404
        admin_call(two.base, "/admin/curation/synonyms", {"terms": "magma, lava"})
        status, undone = admin_call(two.base, "/admin/curation/bets/remove", {"name": "hot rock from a mountain"})
        assert status == 200
        within(2, lambda: recommends(one.base, "hot rock from a mountain") == [])
        status, restored = admin_call(one.base, "/admin/curation/restore", {"revision": 1})
        assert status == 200 and restored["state"]["synonyms"] == [] and len(restored["state"]["bets"]) == 1
        within(2, lambda: recommends(two.base, "hot rock from a mountain") == ["/pages/volcanoes.html"])

        port = free_port()
        proxy = run_proxy(tmp_path, port, [int(one.base.rsplit(":", 1)[1]), int(two.base.rsplit(":", 1)[1])],
                          limits=False)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            with Load(base, "about+lava", clients=2, pause=0.05) as load:
                time.sleep(1)
                kill_replica(one)
                postgres_cluster.stop("fast")
                time.sleep(1)
                down_edit = admin_call(two.base, "/admin/curation/synonyms", {"terms": "glacier, ice river"})[0]
                postgres_cluster.start()
                time.sleep(1)
            failures, answered = load.failures, load.answered
            assert failures == [] and len(answered) > 10, failures[:5]
            assert down_edit == 503, "an edit while the database is down is refused, not lost quietly"
            status, history = admin_call(two.base, "/admin/curation/history.json")
            assert status == 200 and [h["revision"] for h in history] == [4, 3, 2, 1], "no committed edit lost"
            status, _ = admin_call(two.base, "/admin/curation/synonyms", {"terms": "glacier, ice river"})
            assert status == 200, "edits go on once the database is back"
        finally:
            proxy.send_signal(signal.SIGQUIT)
            proxy.wait(timeout=10)
    print(f"a best bet pinned on one replica was served by the other {shared:.2f} s later")


def test_nginx_limits_searches_per_client_address(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    write_page(pages, "volcanoes.html", page_html(TOPICS[0][0], [("About", TOPICS[0][1])]))
    build_folder(pages, index_dir)
    with gunicorn(index_dir, {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0", "PROXY_HOPS": "1"}) as replica:
        port = free_port()
        proxy = run_proxy(tmp_path, port, [int(replica.base.rsplit(":", 1)[1])])
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            started = time.monotonic()
            searches = [answer(f"{base}/api/search?q=lava+{n}") for n in range(30)]
            earned = 2 * (time.monotonic() - started)  # 120 a minute refill while the 30 are asked
            pages_opened = [answer(f"{base}/pages/unknown-{n}.html")[0] for n in range(30)]
        finally:
            proxy.send_signal(signal.SIGQUIT)
            proxy.wait(timeout=10)
    codes = [status for status, _, _ in searches]
    assert 20 <= codes.count(200) <= 21 + math.ceil(earned) and codes.count(429) == 30 - codes.count(200), codes
    status, headers, body = next(s for s in searches if s[0] == 429)
    assert json.loads(body)["error"] == "Too Many Requests" and headers["Retry-After"] == "1"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert 429 not in pages_opened, "only searches and suggestions are limited at the proxy"
