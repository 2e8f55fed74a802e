"""app_manifest.yml is a valid Slack manifest and declares what the code uses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Slack's published manifest schema (MIT, see tests/data/slack/LICENSE.manifest-schema).
SCHEMA = ROOT / "tests" / "data" / "slack" / "manifest.schema.json"


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "app_manifest.yml").read_text())  # type: ignore[no-any-return]


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(_manifest(), schema)


def test_manifest_declares_command_events_interactivity_and_scopes() -> None:
    manifest = _manifest()
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/social"]
    assert commands[0]["should_escape"] is True  # so `assign N @user` arrives as <@U…>
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.im", "app_home_opened"} <= events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "channels:history", "im:history", "im:write", "users:read"} <= scopes
