"""Starting the app under gunicorn on 127.0.0.1 for measurements and tests, and waiting until it answers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "search_app" / "gunicorn_conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, seconds: float = 120, path: str = "/readyz") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + path, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"server at {base} did not become ready in {seconds:g} s")


@contextmanager
def gunicorn(index_dir: Path, env: dict[str, str] | None = None, quiet: bool = True) -> Iterator[str]:
    """`make serve`'s server (search_app/gunicorn_conf.py) on a free port; yields its base URL.

    `env` overrides the environment (WORKERS, THREADS, RATE_LIMIT_PER_MINUTE, ...)."""
    port = free_port()
    full_env = {**os.environ, "INDEX_DIR": str(index_dir), "HOST": "127.0.0.1", "PORT": str(port), **(env or {})}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--log-level", "warning",
         "search_app:create_app()"], cwd=ROOT, env=full_env, stderr=subprocess.DEVNULL if quiet else None)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
