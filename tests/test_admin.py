"""The maintainers' read-only status page and CLI stats."""
from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from search_app import create_app
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def admin_client(corpus_index):
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "ADMIN_TOKEN": "s3cret-token-0123456789abcdefghijklmnop"})
    return app.test_client()


def test_status_needs_the_token(admin_client, client):
    assert client.get("/admin/status").status_code == 404, "off when no token is configured"
    response = admin_client.get("/admin/status")
    assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]
    assert admin_client.get("/admin/status", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_status_page_with_bearer_or_basic(admin_client, corpus_index):
    from search_index.publishing import published_version

    response = admin_client.get("/admin/status", headers={"Authorization": "Bearer s3cret-token-0123456789abcdefghijklmnop",
                                                           "Accept": "application/json"})
    info = response.get_json()
    assert info["version"] == published_version(corpus_index)
    assert info["sites"]["Susan G. Komen"]["pages"] == 1
    assert sum(site["pages"] for site in info["sites"].values()) == info["counts"]["pages"]
    assert sum(site["passages"] for site in info["sites"].values()) == info["counts"]["passages"]
    assert info["skipped"] == []
    basic = base64.b64encode(b"staff:s3cret-token-0123456789abcdefghijklmnop").decode()
    page = admin_client.get("/admin/status", headers={"Authorization": f"Basic {basic}"})
    assert page.status_code == 200 and b"Index status" in page.data and info["version"].encode() in page.data


@pytest.mark.slow
def test_cli_stats_json(corpus_index):
    result = subprocess.run([sys.executable, "-m", "indexer", "stats", "--index-dir", str(corpus_index), "--json"],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    info = json.loads(result.stdout)
    assert info["counts"]["pages"] > 1 and info["sites"]["Susan G. Komen"]["pages"] == 1


def test_a_short_admin_token_refuses_to_start_and_says_how_to_make_one(corpus_index):
    with pytest.raises(ValueError, match="ADMIN_TOKEN: the token of admin has 12 characters: use at least 32.*"
                                         "secrets.token_urlsafe"):
        create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "ADMIN_TOKEN": "s3cret-token"})


@pytest.mark.parametrize(("tokens", "problem"), [
    ({"EDITOR_TOKENS": [("ann", "short")]}, "EDITOR_TOKENS: the token of ann has 5 characters"),
    ({"VIEWER_TOKENS": [("a b", "x" * 40)]}, "the name 'a b' must be"),
    ({"EDITOR_TOKENS": [("ann", "x" * 40)], "VIEWER_TOKENS": [("bob", "x" * 40)]}, "the same token is given to two"),
])
def test_named_tokens_are_checked_at_start(corpus_index, tokens, problem):
    with pytest.raises(ValueError, match=problem):
        create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), **tokens})


def test_a_wrong_token_setting_never_prints_the_tokens():
    from search_app.settings import from_env

    with pytest.raises(ValueError) as refused:
        from_env({"EDITOR_TOKENS": "ann:secret-value-0123456789abcdefghijklmn,nameless"})
    assert "EDITOR_TOKENS=(not shown: a secret)" in str(refused.value) and "secret-value" not in str(refused.value)
    assert from_env({"VIEWER_TOKENS": " nurse : t0123456789abcdefghijklmnopqrstuv , "})["VIEWER_TOKENS"] == [
        ("nurse", "t0123456789abcdefghijklmnopqrstuv")]
