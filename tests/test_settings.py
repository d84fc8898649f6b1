"""Settings: one table with defaults, read from the environment unless a test gives its own."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from search_app import create_app, settings
from search_index import models
from tests.helpers import ROOT


def test_a_test_config_replaces_the_environment(corpus_index, monkeypatch):
    monkeypatch.setenv("ADMIN_TOKEN", "from-the-environment")
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "7")
    app = create_app({"INDEX_DIR": str(corpus_index)})
    assert app.config["ADMIN_TOKEN"] is None and app.config["RATE_LIMIT_PER_MINUTE"] == 120
    assert app.test_client().get("/admin/status").status_code == 404


def test_the_environment_is_read_without_a_test_config(corpus_index, monkeypatch):
    monkeypatch.setenv("INDEX_DIR", str(corpus_index))
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "7")
    monkeypatch.setenv("QUERY_LOG", "")
    app = create_app()
    assert app.config["RATE_LIMIT_PER_MINUTE"] == 7 and app.config["QUERY_LOG"] is None


def test_a_bad_value_names_the_variable():
    with pytest.raises(ValueError, match="RATE_LIMIT_BURST='many'"):
        settings.from_env({"RATE_LIMIT_BURST": "many"})


def test_every_setting_is_in_the_readme_with_its_default_and_help():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in settings.SETTINGS + settings.SERVER_SETTINGS:
        default = "unset" if setting.default is None else f"`{setting.default}`" if setting.default != "" else "empty"
        if setting.name == "MODEL_CACHE":  # the tests run with it set (tests/__init__.py): the default without it
            default = f"`{models.DEFAULT_MODEL_CACHE}`"
        assert f"| `{setting.name}` | {default} | {setting.help} |" in readme, setting.name


def test_only_a_deployment_with_a_proxy_in_front_trusts_forwarded_addresses(corpus_index):
    image = (ROOT / "deploy" / "Dockerfile").read_text()
    env_lines = [line for line in image.splitlines() if line.startswith("ENV ")]
    assert env_lines and not any("PROXY_HOPS" in line for line in env_lines), "the image trusts no hop"
    assert 'PROXY_HOPS: "1"' in (ROOT / "deploy" / "compose.yaml").read_text(), "behind nginx it trusts one"
    client = create_app({"INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 1, "RATE_LIMIT_BURST": 1}).test_client()
    codes = [client.get("/api/search?q=cure", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
             for n in range(3)]
    assert codes == [200, 429, 429], "a chosen X-Forwarded-For passes no limit"


def test_the_models_cache_follows_the_environment_and_the_tests_keep_theirs_out_of_the_checkout(tmp_path):
    assert not models.MODEL_CACHE.resolve().is_relative_to(ROOT), "the tests' cache is not the checkout's"
    found = subprocess.run([sys.executable, "-c", "from search_index.models import MODEL_CACHE; print(MODEL_CACHE)"],
                           env={**os.environ, "MODEL_CACHE": str(tmp_path / "m")}, capture_output=True, text=True,
                           cwd=ROOT, check=True).stdout.strip()
    assert found == str(tmp_path / "m")
