"""Starting and stopping as a real process: one clear line and exit code 2, and a prompt stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import TEAM_TOKEN, settings_for
from tests.process import BotProcess, process_env


def _start(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90
    )


def _one_line(result: subprocess.CompletedProcess[str], starts: str) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("social-inbox:")]
    assert len(lines) == 1 and lines[0].startswith(starts), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word, like a hung PostgreSQL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield int(listener.getsockname()[1])
    stop.set()
    listener.close()
    for conn in held:
        conn.close()


def test_a_database_that_cannot_open_is_one_line(
    tmp_path: Path, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    settings = settings_for(
        database_url=f"sqlite:///{tmp_path}/missing-dir/inbox.db", slack=slack, x_api=x_api, graph=graph
    )
    _one_line(_start(tmp_path, process_env(settings, port=0)), "social-inbox: database error:")


@pytest.mark.timeout(120)
def test_a_postgresql_that_never_answers_times_out(
    tmp_path: Path, slack: FakeSlack, x_api: FakeX, graph: FakeGraph, silent_server: int
) -> None:
    settings = settings_for(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/inbox",
        slack=slack,
        x_api=x_api,
        graph=graph,
        http_timeout_seconds=2,
    )
    line = _one_line(_start(tmp_path, process_env(settings, port=0)), "social-inbox: database error:")
    assert "timeout" in line.lower()


def test_a_revoked_slack_token_stops_the_start(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    slack.revoke_token(TEAM_TOKEN)
    settings = settings_for(database_url=database_url, slack=slack, x_api=x_api, graph=graph)
    line = _one_line(_start(tmp_path, process_env(settings, port=0)), "social-inbox: Slack refused")
    assert "token_revoked" in line


def test_socket_mode_that_cannot_connect_is_one_line(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    # The fake Slack refuses this app-level token (invalid_auth), as Slack does for a wrong one.
    settings = settings_for(
        database_url=database_url, slack=slack, x_api=x_api, graph=graph, slack_app_token="xapp-revoked"
    )
    slack.revoke_token("xapp-revoked")
    _one_line(_start(tmp_path, process_env(settings, port=0)), "social-inbox: Socket Mode")


@pytest.mark.timeout(120)
def test_sigterm_stops_promptly_despite_an_idle_keep_alive_connection(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    settings = settings_for(database_url=database_url, slack=slack, x_api=x_api, graph=graph)
    with BotProcess(settings, cwd=tmp_path, name="keepalive") as proc:
        idle = []
        for _ in range(3):
            conn = socket.create_connection(("127.0.0.1", proc.port), timeout=10)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
            idle.append(conn)  # kept open and silent
        assert requests.get(proc.url + "/healthz", timeout=5).status_code == 200
        proc.process.send_signal(signal.SIGTERM)
        # waitress would otherwise keep serving the idle connections for its 120 s channel timeout.
        assert proc.process.wait(timeout=15) == 0
        assert "stopped" in proc.log.read_text()
        for conn in idle:
            conn.close()


def test_request_bodies_never_reach_the_log_even_at_debug(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    # A real process, so logging is set up as in production (Bolt's loggers copy its level).
    settings = settings_for(
        database_url=database_url, slack=slack, x_api=x_api, graph=graph, log_level="DEBUG"
    )
    forged = b"token=x&text=hello-body\n2026-01-01 INFO bot forged-line&command=/social"
    with BotProcess(settings, cwd=tmp_path, name="bodies") as proc:
        for signature in ("v0=" + "0" * 64, None):
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "1"}
            if signature:
                headers["X-Slack-Signature"] = signature
            assert (
                requests.post(
                    proc.url + "/slack/events", data=forged, headers=headers, timeout=10
                ).status_code
                == 401
            )
        meta = requests.post(
            proc.url + "/webhooks/meta",
            data=b'{"x": "secret-body\\nforged-line"}',
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64},
            timeout=10,
        )
        assert meta.status_code == 403
        assert proc.terminate() == 0
    logged = proc.log.read_text()
    assert "forged-line" not in logged and "hello-body" not in logged and "secret-body" not in logged
    assert "slack.bad_signature" in logged  # the refusal itself is logged, without the body
