"""deploy/nginx.conf with Debian's nginx in front of two `make serve` replicas sharing one index:
under a bounded load of fresh questions, a new version is published and one replica is killed; no
client sees a failed request, and both replicas serve the new version within 2 s of the publish."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
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


def proxy_config(folder: Path, port: int, replicas: list[int]) -> Path:
    """deploy/nginx.conf with the replicas' local addresses and a local port and paths."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
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


def test_publish_and_a_killed_replica_under_load_lose_no_request(tmp_path):
    pages, index_dir = tmp_path / "pages", tmp_path / "index"
    for title, text in TOPICS[:3]:
        write_page(pages, f"{title.lower()}.html", page_html(title, [("About", text)]))
    first = build_folder(pages, index_dir).version
    env = {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0"}
    with gunicorn(index_dir, env) as one, gunicorn(index_dir, env) as two:
        port = free_port()
        replicas = [int(one.base.rsplit(":", 1)[1]), int(two.base.rsplit(":", 1)[1])]
        config = proxy_config(tmp_path, port, replicas)
        proxy = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(config),
                                  "-g", f"daemon off; pid {tmp_path / 'nginx.pid'}; error_log stderr;"],
                                 stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            failures, answered, stop = [], [], threading.Event()

            def client(number: int) -> None:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    url = f"{base}/api/search?q=question+{number}+number+{i}+about+lava+and+ice"
                    try:
                        with urllib.request.urlopen(url, timeout=10) as response:
                            answered.append(response.status)
                    except OSError as exc:
                        failures.append(repr(exc))

            clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
            for thread in clients:
                thread.start()
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
            stop.set()
            for thread in clients:
                thread.join(timeout=15)
            print(f"both replicas serve the new version {seen:.2f} s after the publish; {len(answered)} answered")
            assert first != second and seen < 2.0
            assert failures == [] and len(answered) > 20 and set(answered) == {200}
            assert version_of(base) == second
        finally:
            proxy.send_signal(signal.SIGQUIT)
            proxy.wait(timeout=10)
    assert publishing.published_version(index_dir) == second


def run_proxy(folder: Path, port: int, replicas: list[int]) -> subprocess.Popen:
    config = proxy_config(folder, port, replicas)
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
