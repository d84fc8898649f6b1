"""The container image starts the app (skipped where no container runtime runs)."""
from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request

import pytest

from bench.servers import free_port
from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def runtime_ready() -> bool:
    docker = shutil.which("docker")
    return bool(docker) and subprocess.run([docker, "info"], capture_output=True).returncode == 0


@pytest.mark.skipif(not runtime_ready(), reason="no container runtime (docker info fails)")
def test_the_image_entry_point_serves_an_index(corpus_index):
    tag = "curated-search-test"
    subprocess.run(["docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "."], cwd=ROOT, check=True)
    port = free_port()
    container = subprocess.run(["docker", "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8000",
                                "-v", f"{corpus_index}:/data/index:ro", tag],
                               capture_output=True, text=True, check=True).stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the container never became ready"
                time.sleep(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=can+stage+4+be+cured") as response:
            assert response.status == 200
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
