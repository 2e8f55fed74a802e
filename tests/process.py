"""The bot as a real process (`python -m bot`), for restarts, `kill -9` and several processes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from bot.config import Settings
from tests.fakes.meta_webhooks import signed_headers
from tests.fakes.slack_api import FakeSlack
from tests.harness import command_body, slack_headers

ROOT = Path(__file__).resolve().parent.parent
# The bot's start line names the port it listens on (PORT=0 lets the kernel choose one).
_LISTENING = re.compile(rb"\bstart mode=\w+ port=(\d+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_env(settings: Settings, *, port: int) -> dict[str, str]:
    """The environment that gives `python -m bot` these settings (and nothing from ours)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TWITTER_", "META_", "FACEBOOK_"))
    }
    for field, value in settings.model_dump().items():
        if value is None or field in ("approver_slack_users", "owner_keywords"):
            continue
        env[field.upper()] = str(value)
    env["APPROVER_SLACK_USERS"] = ",".join(settings.approver_slack_users)
    env["OWNER_KEYWORDS"] = ",".join(settings.owner_keywords)
    env["PORT"] = str(port)
    env["PYTHONPATH"] = str(ROOT)
    return env


class BotProcess:
    def __init__(self, settings: Settings, *, cwd: Path, name: str) -> None:
        # The bot binds port 0 and says which port it got: a port picked here and bound later
        # can be taken in between by another test worker ("Address already in use").
        self.port = 0
        self.url = ""
        self.log = cwd / f"{name}.log"
        self._log_start = self.log.stat().st_size if self.log.exists() else 0
        env = process_env(settings, port=0)
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=cwd, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )
        self._wait_healthy()

    def _listening_port(self) -> int:
        with self.log.open("rb") as log:
            log.seek(self._log_start)
            found = _LISTENING.search(log.read())
        return int(found.group(1)) if found else 0

    def _wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bot exited: {self.log.read_text()[-2000:]}")
            if not self.port:
                self.port = self._listening_port()
                self.url = f"http://127.0.0.1:{self.port}"
            if self.port:
                try:
                    if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)  # polling a starting process: there is no event to wait on
        raise AssertionError(f"bot did not become healthy: {self.log.read_text()[-2000:]}")

    def command(self, slack: FakeSlack, text: str, *, user: str, name: str) -> str:
        """Run `/social TEXT` as `user`, signed as Slack signs it; returns the ephemeral answer."""
        body = command_body(slack, text, user=user, name=name)
        headers = slack_headers(body, content_type="application/x-www-form-urlencoded")
        assert (
            requests.post(self.url + "/slack/events", data=body, timeout=10, headers=headers).status_code
            == 200
        )
        return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1]["text"]))

    def meta(self, payload: Any, *, app_secret: str) -> None:
        """Deliver a signed Meta webhook and expect it to be accepted."""
        body = json.dumps(payload).encode()
        headers = signed_headers(body, app_secret)
        assert (
            requests.post(self.url + "/webhooks/meta", data=body, timeout=10, headers=headers).status_code
            == 200
        )

    def kill(self) -> None:
        """`kill -9`: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=20)
        self._out.close()
        return code

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._out.close()
