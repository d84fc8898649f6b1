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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


@dataclass(frozen=True)
class Server:
    base: str
    process: subprocess.Popen

    def worker_memory(self) -> list[dict[str, float]]:
        """Each worker's resident memory in MB: all of it, and the part shared with other processes
        (file pages such as a memory-mapped index, and shared memory)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [_memory(int(pid)) for pid in children]


def _memory(pid: int) -> dict[str, float]:
    """RSS, its private and shared parts, and PSS (shared pages divided among the processes sharing them)."""
    fields = {}
    for file in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Pss"):
                fields[name] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"], 1), "private_mb": round(fields["RssAnon"], 1),
            "shared_mb": round(fields["RssFile"] + fields["RssShmem"], 1), "pss_mb": round(fields["Pss"], 1)}


def totals(workers: list[dict[str, float]]) -> dict[str, float]:
    """The workers' memory added up: RSS (counts shared pages once per worker), shared part, PSS."""
    return {name: round(sum(w[name] for w in workers), 1) for name in ("rss_mb", "shared_mb", "pss_mb")}


@contextmanager
def gunicorn(index_dir: Path, env: dict[str, str] | None = None, quiet: bool = True,
             root: Path = ROOT) -> Iterator[Server]:
    """`make serve`'s server (search_app/gunicorn_conf.py of the checkout at `root`) on a free port.

    `env` overrides the environment (WORKERS, RATE_LIMIT_PER_MINUTE, ...)."""
    port = free_port()
    full_env = {**os.environ, "INDEX_DIR": str(Path(index_dir).resolve()), "HOST": "127.0.0.1", "PORT": str(port),
                **(env or {})}
    conf = Path(root) / "search_app" / "gunicorn_conf.py"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(conf), "--log-level", "warning",
         "search_app:create_app()"], cwd=root, env=full_env, stderr=subprocess.DEVNULL if quiet else None)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield Server(base, server)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
