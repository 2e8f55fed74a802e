"""Slack refusing for good: the task is parked with its error, people are told once, nothing else waits.

Each case runs the real relay against the fake Slack answering as Slack documents for
chat.postMessage: a channel the bot is not in, a deleted or archived channel, a revoked
token, a message refused as sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from bot.storage.models import SlackTask
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import ALICE, BOB, INBOX, OWNER, TEAM_TOKEN, Bot, comment_change

FB_CHANNEL = "C0FACEBOOK"


def _parked(bot: Bot) -> list[tuple[int, str, str | None]]:
    with bot.runtime.db.session() as session:
        rows = session.exec(
            select(SlackTask).where(col(SlackTask.failed_at).is_not(None)).order_by(col(SlackTask.id))
        ).all()
        return [(row.item_id, row.kind, row.last_error) for row in rows]


def _healthz(bot: Bot) -> tuple[int, dict[str, Any]]:
    answer = bot.http.get(bot.url + "/healthz", timeout=10)
    return answer.status_code, answer.json()


def _dms(slack: FakeSlack, user: str) -> list[str]:
    return [p["text"] for p in slack.posted(slack.dm_channel(user))]


def _x_item(bot: Bot, slack: FakeSlack, x_api: FakeX, text: str) -> None:
    x_api.add_mention(text=text, username="jdoe", name="Jane Doe")
    bot.runtime.pollers["x"].poll()


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
def test_a_channel_refusing_the_bot_parks_its_items_tells_owner_and_approvers_once_and_holds_no_one(
    make_bot: Any, slack: FakeSlack, x_api: FakeX, error: str
) -> None:
    bot = make_bot(facebook_slack_channel=FB_CHANNEL, owner_slack_user=OWNER, approver_slack_users=BOB)
    slack.close_channel(FB_CHANNEL, error)
    assert bot.meta(comment_change(1)).status_code == 200
    assert bot.meta(comment_change(2)).status_code == 200
    bot.ingested()  # #1 and #2 are the Facebook items
    _x_item(bot, slack, x_api, "@shop still open?")
    # The X item in another channel is shown although the Facebook ones cannot be.
    slack.wait_for(lambda: len(bot.item_messages()) == 1, message="the X item")
    slack.wait_for(lambda: len(_parked(bot)) == 2, message="both Facebook items parked")
    assert [(kind, err) for _, kind, err in _parked(bot)] == [("post_item", error)] * 2
    for person in (OWNER, BOB):
        told = slack.wait_for(lambda p=person: _dms(slack, p), message=f"DM to {person}")  # type: ignore[misc]
        assert len(told) == 1, told  # once, although two items are parked
        assert error in told[0] and f"<#{FB_CHANNEL}>" in told[0] and "/social retry-slack" in told[0]
    assert not any(error in p["text"] for p in slack.posted(INBOX))
    health = _healthz(bot)
    assert health[0] == 200  # the bot works for everything else
    check = health[1]["checks"]["slack_messages"]
    assert check["ok"] is False and error in check["error"] and check["since"]

    # Fixed, then retried by an approver: both go out, in order, once. Anyone else is refused.
    slack.reopen_channel(FB_CHANNEL)
    _, name = bot.command("retry-slack", user=ALICE)
    refused = slack.wait_for(lambda: slack.responses(name), message="the refusal")[-1]["text"]
    assert refused.startswith("Only Default's approvers (<@U0BOB>)")
    assert len(_parked(bot)) == 2
    _, name = bot.command("retry-slack", user=BOB)
    assert "2" in slack.responses(name)[-1]["text"]
    slack.wait_for(lambda: len(slack.posted(FB_CHANNEL)) == 2, message="the Facebook items after the retry")
    assert [p["text"].split()[0] for p in slack.posted(FB_CHANNEL)] == ["#1", "#2"]
    assert _parked(bot) == []
    bot.runtime.relay.drain()
    assert len(slack.posted(FB_CHANNEL)) == 2
    status, health = _healthz(bot)
    assert status == 200 and health["checks"]["slack_messages"] == {"ok": True}


def test_a_refused_message_is_told_in_its_channel_once_and_the_items_later_tasks_park_behind_it(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = make_bot()
    slack.fail_next(
        path_contains="chat.postMessage", status=200, body={"ok": False, "error": "invalid_blocks"}
    )
    assert bot.meta(comment_change(1)).status_code == 200
    slack.wait_for(lambda: _parked(bot), message="the item parked")
    notice = slack.wait_for(lambda: [p for p in slack.posted(INBOX) if "invalid_blocks" in p["text"]])
    assert len(notice) == 1 and "#1" in notice[0]["text"]
    # The item's own later work (a claim note, a re-render) is parked visibly, not left waiting.
    bot.command("claim 1")
    slack.wait_for(lambda: len(_parked(bot)) >= 2, message="the later tasks parked")
    assert all(err and ("invalid_blocks" in err) for _, _, err in _parked(bot))
    # Other items are not held.
    bot.facebook_item(graph, n=2, text="second")
    assert len([p for p in slack.posted(INBOX) if "invalid_blocks" in p["text"]]) == 1

    bot.command("retry-slack")
    slack.wait_for(lambda: any(m["text"].startswith("#1 ") for m in bot.item_messages()), message="#1 shown")
    slack.wait_for(lambda: not _parked(bot), message="nothing parked")


def test_a_revoked_token_parks_and_reaches_nobody_in_slack(make_bot: Any, slack: FakeSlack) -> None:
    bot = make_bot(owner_slack_user=OWNER)
    slack.revoke_token(TEAM_TOKEN)
    assert bot.meta(comment_change(1)).status_code == 200
    slack.wait_for(lambda: _parked(bot), message="the item parked")
    assert _parked(bot)[0][2] == "token_revoked"
    assert slack.posted() == []
    status, health = _healthz(bot)
    assert status == 503 and "token_revoked" in health["checks"]["slack"]["error"]
