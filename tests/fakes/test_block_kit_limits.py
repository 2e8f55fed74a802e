"""The fake Slack refuses what Slack refuses: Block Kit's documented limits, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def client(slack: FakeSlack) -> Iterator[WebClient]:
    yield WebClient(token="xoxb-test", base_url=slack.url + "/api/")


def section(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": "section", "text": {"type": kind, "text": text}}


def button(**kw: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}, **kw}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def option(text: str = "x", value: str = "v") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def modal(**kw: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Title"},
        "blocks": [section("hi")],
        **kw,
    }


REFUSED_BLOCKS = {
    "51 blocks": [section("x")] * 51,
    "section 3001": [section("x" * 3001)],
    "plain section 3001": [section("x" * 3001, "plain_text")],
    "empty section text": [section("")],
    "section 11 fields": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
    "field 2001": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
    "header 151": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
    "header mrkdwn": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
    "context 11 elements": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
    "actions 26 elements": [actions(*[button()] * 26)],
    "button text 76": [actions(button(text={"type": "plain_text", "text": "x" * 76}))],
    "button value 2001": [actions(button(value="x" * 2001))],
    "action_id 256": [actions(button(action_id="x" * 256))],
    "block_id 256": [{**section("x"), "block_id": "b" * 256}],
    "option text 76": [actions({"type": "static_select", "action_id": "s", "options": [option("x" * 76)]})],
    "overflow 1 option": [actions({"type": "overflow", "action_id": "o", "options": [option()]})],
    "overflow 6 options": [actions({"type": "overflow", "action_id": "o", "options": [option()] * 6})],
    "unknown block": [{"type": "sectoin", "text": {"type": "mrkdwn", "text": "x"}}],
}


@pytest.mark.parametrize("case", sorted(REFUSED_BLOCKS))
@pytest.mark.parametrize("method", ["chat_postMessage", "chat_postEphemeral"])
def test_messages_with_blocks_slack_refuses_get_invalid_blocks(
    client: WebClient, slack: FakeSlack, case: str, method: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        getattr(client, method)(channel="C1", user="U1", text="fallback", blocks=REFUSED_BLOCKS[case])
    assert refused.value.response["error"] == "invalid_blocks"
    assert refused.value.response["response_metadata"]["messages"]
    assert slack.posted() == [] and slack.ephemerals() == []


def test_chat_update_refuses_invalid_blocks_and_keeps_the_message(
    client: WebClient, slack: FakeSlack
) -> None:
    ts = client.chat_postMessage(channel="C1", text="v1", blocks=[section("v1")])["ts"]
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="C1", ts=ts, text="v2", blocks=[section("x" * 3001)])
    assert refused.value.response["error"] == "invalid_blocks"
    assert slack.message("C1", ts)["blocks"] == [section("v1")]  # type: ignore[index]


def test_limits_themselves_are_accepted(client: WebClient, slack: FakeSlack) -> None:
    blocks = [
        section("x" * 3000),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        actions(button(text={"type": "plain_text", "text": "b" * 75}, value="v" * 2000, action_id="a" * 255)),
        actions({"type": "overflow", "action_id": "o", "options": [option("o" * 75)] * 5}),
        *[section("x")] * 45,
    ]
    assert len(blocks) == 50
    client.chat_postMessage(channel="C1", text="t" * 40_000, blocks=blocks)
    assert len(slack.posted()) == 1


def test_top_level_text_over_40000_is_msg_too_long(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="t" * 40_001)
    assert refused.value.response["error"] == "msg_too_long"


REFUSED_VIEWS = {
    "101 blocks": modal(blocks=[section("x")] * 101),
    "title 25": modal(title={"type": "plain_text", "text": "t" * 25}),
    "no title": {"type": "modal", "blocks": [section("x")]},
    "submit 25": modal(submit={"type": "plain_text", "text": "s" * 25}),
    "close 25": modal(close={"type": "plain_text", "text": "c" * 25}),
    "private_metadata 3001": modal(private_metadata="m" * 3001),
    "section 3001": modal(blocks=[section("x" * 3001)]),
    "input initial_value 3001": modal(
        submit={"type": "plain_text", "text": "Go"},
        blocks=[
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "plain_text_input", "action_id": "i", "initial_value": "v" * 3001},
            }
        ],
    ),
    "input max_length 3001": modal(
        submit={"type": "plain_text", "text": "Go"},
        blocks=[
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "plain_text_input", "action_id": "i", "max_length": 3001},
            }
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_VIEWS))
def test_views_slack_refuses(client: WebClient, slack: FakeSlack, case: str) -> None:
    view = REFUSED_VIEWS[case]
    calls = [
        lambda: client.views_open(trigger_id="t1", view=view),
        lambda: client.views_update(view_id="V1", view=view),
    ]
    if case in ("101 blocks", "section 3001", "private_metadata 3001"):  # a Home tab has no title or buttons
        calls.append(lambda: client.views_publish(user_id="U1", view={**view, "type": "home"}))
    for call in calls:
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "invalid_arguments"
    assert slack.views_opened() == []


def test_a_valid_modal_at_its_limits_opens(client: WebClient, slack: FakeSlack) -> None:
    client.views_open(
        trigger_id="t1",
        view=modal(
            title={"type": "plain_text", "text": "t" * 24},
            close={"type": "plain_text", "text": "c" * 24},
            private_metadata="m" * 3000,
            blocks=[section("x" * 3000)] * 100,
        ),
    )
    assert len(slack.views_opened()) == 1


def test_response_url_refuses_invalid_blocks(slack: FakeSlack) -> None:
    answer = requests.post(
        slack.response_url("r1"), json={"text": "t", "blocks": [section("x" * 3001)]}, timeout=5
    )
    assert (answer.status_code, answer.text) == (400, "invalid_blocks")
    assert slack.responses("r1") == []
