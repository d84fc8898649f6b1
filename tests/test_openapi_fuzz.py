"""A client nobody here wrote: schemathesis drives the API of a live server from its OpenAPI
document, with every check on, for a bounded number of examples."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import gunicorn

pytestmark = pytest.mark.slow


def test_the_api_keeps_its_documented_promises(corpus_index, tmp_path):
    command = Path(sys.executable).with_name("schemathesis")
    if not command.is_file():
        pytest.skip("schemathesis is not installed (make setup installs it)")
    with gunicorn(corpus_index, {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0"}) as server:
        run = subprocess.run(
            [str(command), "run", f"{server.base}/api/openapi.json", "--checks", "all", "--max-examples", "30",
             "--seed", "1", "--workers", "1", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:]
