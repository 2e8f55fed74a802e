"""Slack's retries and replayed signed requests: one message in a thread makes one draft.

Slack redelivers an event it thinks was missed (same `event_id`, `X-Slack-Retry-Num`), and
a captured signed request can be sent again within the 5 minutes its signature is valid.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from sqlmodel import select

from bot.message_builder.ids import INPUT_ACTION, BlockId, ViewId
from bot.storage.models import Draft
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, INBOX, Bot, command_body, interaction_body


def _drafts(bot: Bot) -> list[str]:
    with bot.runtime.db.session() as session:
        return [d.text for d in session.exec(select(Draft).order_by(Draft.id)).all()]  # type: ignore[arg-type]


def _draft_messages(slack: FakeSlack, root: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in slack.thread(INBOX, root["ts"]) if "Draft reply" in m.get("text", "")]


def _recorded(bot: Bot, slack: FakeSlack, root: dict[str, Any]) -> None:
    """The bot has recorded the item's message (Slack showing it comes a moment earlier)."""
    items = bot.runtime.services.items
    slack.wait_for(lambda: items.item_in_thread(channel=INBOX, thread_ts=root["ts"]), message="#1 recorded")


def test_a_retried_thread_message_event_makes_one_draft(bot: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    root = bot.facebook_item(graph, text="Do you ship to Canada?")
    _recorded(bot, slack, root)
    ts = f"{time.time():.6f}"
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": FakeSlack.TEAM_ID,
            "api_app_id": FakeSlack.APP_ID,
            "type": "event_callback",
            "event_id": "Ev0RETRIED",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": INBOX,
                "user": ALICE,
                "text": "Yes, we do!",
                "ts": ts,
                "thread_ts": root["ts"],
                "channel_type": "channel",
                "event_ts": ts,
            },
        }
    ).encode()
    assert bot.post_slack(body, content_type="application/json").status_code == 200
    for attempt in ("1", "2"):
        retry = {"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"}
        assert bot.post_slack(body, content_type="application/json", extra_headers=retry).status_code == 200
    slack.wait_for(lambda: _draft_messages(slack, root), message="the draft in the thread")
    bot.runtime.relay.drain()
    assert _drafts(bot) == ["Yes, we do!"]
    assert len(_draft_messages(slack, root)) == 1


def test_a_replayed_draft_command_makes_one_draft(bot: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    root = bot.facebook_item(graph, text="Do you ship to Canada?")
    _recorded(bot, slack, root)
    body = command_body(slack, "draft 1 Yes, we do!", user=ALICE, name="replayed")
    for _ in range(2):
        assert bot.post_slack(body, content_type="application/x-www-form-urlencoded").status_code == 200
        slack.wait_for(lambda: slack.responses("replayed"))
    slack.wait_for(lambda: len(slack.responses("replayed")) == 2)
    slack.wait_for(lambda: _draft_messages(slack, root), message="the draft in the thread")
    bot.runtime.relay.drain()
    assert _drafts(bot) == ["Yes, we do!"]
    assert len(_draft_messages(slack, root)) == 1
    # A new invocation of the same words is a new request: it replaces the draft as usual.
    bot.command("draft 1 Yes, we do!")
    assert _drafts(bot) == ["Yes, we do!", "Yes, we do!"]


def test_a_replayed_reply_modal_submission_makes_one_draft(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = bot.facebook_item(graph, text="Do you ship to Canada?")
    _recorded(bot, slack, root)
    payload = {
        "type": "view_submission",
        "user": {"id": ALICE, "username": "alice", "team_id": FakeSlack.TEAM_ID},
        "api_app_id": FakeSlack.APP_ID,
        "team": {"id": FakeSlack.TEAM_ID, "domain": "fakeshop"},
        "trigger_id": "trigger-view-replayed",
        "view": {
            "id": "V0REPLAYED",
            "type": "modal",
            "callback_id": ViewId.REPLY,
            "private_metadata": bot.sealed({"item_id": 1}, user=ALICE),
            "state": {
                "values": {BlockId.REPLY_TEXT: {INPUT_ACTION: {"type": "plain_text_input", "value": "Yes!"}}}
            },
        },
    }
    body = interaction_body(payload)
    for _ in range(2):
        assert bot.post_slack(body, content_type="application/x-www-form-urlencoded").status_code == 200
    slack.wait_for(lambda: _draft_messages(slack, root), message="the draft in the thread")
    bot.runtime.relay.drain()
    assert _drafts(bot) == ["Yes!"]
    assert len(_draft_messages(slack, root)) == 1


def test_two_deliveries_of_one_message_at_once_make_one_draft(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = bot.facebook_item(graph, text="Do you ship to Canada?")
    _recorded(bot, slack, root)
    replies = bot.runtime.services.replies
    barrier = threading.Barrier(4)
    made: list[int | None] = []

    def deliver() -> None:
        barrier.wait()
        made.append(replies.draft(item_id=1, text="Yes!", author=ALICE, source=f"message:{INBOX}:1.5").id)

    workers = [threading.Thread(target=deliver) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert len(made) == 4 and len(set(made)) == 1
    slack.wait_for(lambda: _draft_messages(slack, root), message="the draft in the thread")
    bot.runtime.relay.drain()
    assert _drafts(bot) == ["Yes!"]
    assert len(_draft_messages(slack, root)) == 1
