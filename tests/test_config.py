"""Configuration: validated at start, one clear line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_INBOX_CHANNEL": "C0INBOX"}
ROOT = Path(__file__).resolve().parent.parent


def _load(env: dict[str, str]) -> object:
    return load_settings(_env_file=None, **{k.lower(): v for k, v in env.items()})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is required"),
        ({**BASE, "SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN is invalid"),
        ({**BASE, "SLACK_INBOX_CHANNEL": "#general"}, "SLACK_INBOX_CHANNEL is invalid"),
        ({k: v for k, v in BASE.items() if k != "SLACK_SIGNING_SECRET"}, "SLACK_SIGNING_SECRET is required"),
        ({**BASE, "PORT": "eighty"}, "PORT is invalid"),
        ({**BASE, "APPROVER_SLACK_USERS": "U0A, bob"}, "APPROVER_SLACK_USERS is invalid"),
        ({**BASE, "TWITTER_BEARER_TOKEN": "b"}, "TWITTER_API_KEY is required"),
        ({**BASE, "META_APP_SECRET": "s"}, "META_VERIFY_TOKEN is required"),
        ({**BASE, "META_GRAPH_VERSION": "21"}, "META_GRAPH_VERSION is invalid"),
        ({**BASE, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN is invalid"),
    ],
)
def test_bad_configuration_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(env)
    assert any(message in problem for problem in error.value.problems)
    assert all("\n" not in problem for problem in error.value.problems)


def test_platforms_without_credentials_are_off() -> None:
    settings = _load(BASE)
    assert not settings.x_enabled and not settings.facebook_enabled and not settings.instagram_enabled  # type: ignore[attr-defined]
    assert settings.approver_slack_users == []  # type: ignore[attr-defined]


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {k: v for k, v in BASE.items() if k != "SLACK_SIGNING_SECRET"}
    settings = _load({**env, "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode  # type: ignore[attr-defined]


def test_the_bot_refuses_to_start_with_one_line(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TWITTER_", "META_", "FACEBOOK_"))
    }
    env.update({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    # Without a brands file the environment describes the one brand, so its channel is required.
    assert lines == [
        "social-inbox: configuration error: SLACK_INBOX_CHANNEL is required (or describe brands in brands.yml)"
    ]


def test_env_example_lists_every_setting() -> None:
    from bot.config import Settings

    listed = {
        line.split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {name.upper() for name in Settings.model_fields} == listed


def test_every_problem_is_reported_at_once_and_placeholders_are_refused(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TWITTER_", "META_", "FACEBOOK_"))
    }
    # .env.example copied as it is, with two more mistakes.
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    env.update({"PORT": "eighty", "APPROVER_SLACK_USERS": "bob", "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("social-inbox: configuration error: ") for line in lines), lines
    named = {line.split(": ")[2].split(" ")[0] for line in lines}
    assert named == {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_INBOX_CHANNEL",
        "PORT",
        "APPROVER_SLACK_USERS",
    }
    assert "example from .env.example" in result.stderr
