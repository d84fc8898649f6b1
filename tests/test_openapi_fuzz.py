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


def test_the_admin_api_keeps_its_documented_promises(corpus_index, tmp_path):
    """Every check but one: a change the schema allows may still be refused (422) because the served
    version cannot take it (a target it does not hold), which no schema can say."""
    import json
    import urllib.request

    command = Path(sys.executable).with_name("schemathesis")
    if not command.is_file():
        pytest.skip("schemathesis is not installed (make setup installs it)")
    token = "editor-token-0123456789abcdefghijklmn"
    env = {"WORKERS": "1", "RATE_LIMIT_PER_MINUTE": "0", "EDITOR_TOKENS": f"ann:{token}",
           "QUERY_LOG": str(tmp_path / "record.sqlite")}
    with gunicorn(corpus_index, env) as server:
        request = urllib.request.Request(f"{server.base}/admin/openapi.json",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            (tmp_path / "admin-openapi.json").write_text(json.dumps(json.load(response)))
        run = subprocess.run(
            [str(command), "run", str(tmp_path / "admin-openapi.json"), "--url", server.base,
             "-H", f"Authorization: Bearer {token}", "-H", "Accept: application/json",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance",
             "--max-examples", "20", "--seed", "1", "--workers", "1", "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:]
