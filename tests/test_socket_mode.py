"""Socket Mode, offline: the real slack_sdk client on a loopback WebSocket (tests/fakes/socket_mode.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.main import connect_socket_mode
from bot.message_builder.ids import ActionId
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.harness import ALICE, CAROL, INBOX, click_payload, command_body

APP_TOKEN = "xapp-1-A0FAKEAPP-1-socket"


@pytest.fixture
def socket_mode(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    fake = FakeSocketMode()
    fake.start()
    slack.socket_mode_url = fake.url
    yield fake
    fake.stop()


def test_envelopes_are_acknowledged_and_handled(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph, socket_mode: FakeSocketMode
) -> None:
    bot = make_bot(slack_app_token=APP_TOKEN)
    handler = connect_socket_mode(bot.runtime.bolt, app_token=APP_TOKEN)
    try:
        socket_mode.wait_connected()
        root = bot.facebook_item(graph, text="Do you ship to Canada?")

        # A slash command arrives as the same fields Slack would POST, in a slash_commands envelope.
        command = dict(parse_qsl(command_body(slack, "help", user=ALICE, name="sm-help").decode()))
        acked = socket_mode.push("slash_commands", command, accepts_response_payload=True)
        assert socket_mode.wait_ack(acked)["envelope_id"] == acked
        assert "/social" in str(slack.wait_for(lambda: slack.responses("sm-help"))[-1])

        # A click on the item's Claim button: an interactive envelope.
        click = click_payload(
            slack, ActionId.CLAIM, name="sm-claim", user=ALICE, value="1", message_ts=root["ts"]
        )
        acked = socket_mode.push("interactive", click, accepts_response_payload=True)
        socket_mode.wait_ack(acked)
        slack.wait_for(lambda: f"Claimed by <@{ALICE}>" in json.dumps(slack.message(INBOX, root["ts"])))

        # A reply in the item's thread: an events_api envelope; it becomes a draft in the thread.
        ts = f"{time.time():.6f}"
        event = {
            "token": "legacy",
            "team_id": FakeSlack.TEAM_ID,
            "api_app_id": FakeSlack.APP_ID,
            "type": "event_callback",
            "event_id": "Ev0SOCKET1",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": INBOX,
                "user": CAROL,
                "text": "Yes, we ship to Canada!",
                "ts": ts,
                "thread_ts": root["ts"],
                "channel_type": "channel",
                "event_ts": ts,
            },
        }
        acked = socket_mode.push("events_api", event)
        socket_mode.wait_ack(acked)
        slack.wait_for(
            lambda: any(
                "Yes, we ship to Canada!" in json.dumps(m) and m.get("user") != CAROL
                for m in slack.thread(INBOX, root["ts"])
                if m.get("ts") != root["ts"]
            ),
            message="the thread reply became a draft",
        )
    finally:
        handler.close()
