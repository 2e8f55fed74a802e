"""The session the vendor SDKs get: the environment is read once, when it is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.platforms.graph import GraphClient
from bot.platforms.http import RebasedSession
from tests.fakes.graph_api import FakeGraph
from tests.harness import PAGE_ID


def test_a_proxy_from_the_environment_is_used_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = RebasedSession(origin="https://graph.facebook.com", base="https://graph.example/", timeout=5)
    assert session.proxies.get("https") == "http://proxy.internal:3128"
    monkeypatch.setenv("NO_PROXY", "graph.example")
    session = RebasedSession(origin="https://graph.facebook.com", base="https://graph.example/", timeout=5)
    assert "https" not in session.proxies


def test_credentials_in_netrc_never_reach_the_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, graph: FakeGraph
) -> None:
    # A developer's ~/.netrc for the same host must not add a Basic login to our calls.
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    graph.add_fb_comment(comment_id="1_1", post_id=f"{PAGE_ID}_1", message="hi", from_id="5", from_name="Jo")
    client = GraphClient(access_token="tok", graph_url=graph.url, version="v21.0", timeout=5)
    client.post("1_1", "comments", message="Thanks!")
    (call,) = graph.calls_to("/comments", method="POST")
    assert "authorization" not in call.headers
