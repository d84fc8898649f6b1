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


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (`make postgres-setup`), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@dataclass
class Postgres:
    """A private PostgreSQL cluster on 127.0.0.1: its folder, port and programs."""

    folder: Path
    port: int
    bin: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str) -> None:
        """A server program, as the cluster's owner (PostgreSQL refuses to run as root)."""
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_owner, *args], check=True, capture_output=True)

    def start(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w",
                 "-o", f"-k {self.folder} -p {self.port} -h 127.0.0.1 -F", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        """A new, empty database; its address."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres(folder: Path) -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster in `folder` (trusting local connections), started, and stopped after."""
    programs = postgres_bin()
    if programs is None:
        raise RuntimeError("PostgreSQL's server is not installed: run `make postgres-setup`")
    folder.mkdir(parents=True, exist_ok=True)
    server = Postgres(folder, free_port(), programs)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres", str(folder)], check=True)
    server.run(str(programs / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")
