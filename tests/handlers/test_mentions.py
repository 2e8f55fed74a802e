"""Mentions in thread replies become names; nothing Slack-only reaches a platform; broadcast replies are drafts."""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import select

from bot.storage.models import Draft, DraftStatus
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, INBOX, Bot


def _drafts(bot: Bot) -> list[tuple[str, DraftStatus]]:
    with bot.runtime.db.session() as session:
        return [(d.text, d.status) for d in session.exec(select(Draft).order_by(Draft.id)).all()]  # type: ignore[arg-type]


def _users_info_for(slack: FakeSlack, user: str) -> int:
    return len([c for c in slack.calls_to("users.info") if c.params.get("user") == user])


def _recorded(bot: Bot, slack: FakeSlack, root: dict[str, Any]) -> None:
    """The bot has recorded the item's message (Slack showing it comes a moment earlier)."""
    items = bot.runtime.services.items
    slack.wait_for(lambda: items.item_in_thread(channel=INBOX, thread_ts=root["ts"]), message="#1 recorded")


def test_a_mention_in_a_thread_reply_reads_as_the_persons_name_and_is_looked_up_once(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    slack.set_user("W0DANA", tz="Europe/Paris", name="dana", real_name="Dana Scully")
    root = bot.facebook_item(graph, text="Who handles refunds?")
    _recorded(bot, slack, root)
    bot.thread_message(channel=INBOX, thread_ts=root["ts"], text="<@W0DANA> will call you today")
    slack.wait_for(lambda: _drafts(bot), message="the draft")
    assert _drafts(bot)[-1][0] == "@Dana Scully will call you today"
    bot.thread_message(channel=INBOX, thread_ts=root["ts"], text="Or write to <@W0DANA> &amp; Bob")
    slack.wait_for(lambda: len(_drafts(bot)) == 2, message="the second draft")
    assert _drafts(bot)[-1][0] == "Or write to @Dana Scully & Bob"
    assert _users_info_for(slack, "W0DANA") == 1  # cached


def test_a_draft_with_slack_only_markup_is_refused_at_approval_with_what_to_change(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = make_bot(approver_slack_users=BOB)
    root = bot.facebook_item(graph, text="Who handles refunds?")
    _recorded(bot, slack, root)
    # Nobody can name this member (users.info fails): the draft keeps Slack's token, not an id.
    slack.fail_next(path_contains="users.info", status=200, body={"ok": False, "error": "user_not_found"})
    bot.thread_message(channel=INBOX, thread_ts=root["ts"], text="<@W0GONE> will call you")
    slack.wait_for(lambda: _drafts(bot), message="the draft")
    assert _drafts(bot)[-1][0] == "<@W0GONE> will call you"
    _, name = bot.command("approve 1", user=BOB)
    said = slack.responses(name)[-1]["text"]
    assert "Slack-only markup" in said and "`&lt;@W0GONE&gt;`" in said and "Edit the draft" in said
    assert _drafts(bot)[-1][1] is DraftStatus.PENDING
    assert graph.fb_replies() == []

    # Markup made some other way (the owner's answer, a service) is refused the same way.
    bot.runtime.services.replies.draft(
        item_id=1,
        text="Join <#C0GENERAL> or ping <!subteam^S1|@support>, see <https://a.example|here>",
        author=ALICE,
    )
    _, name = bot.command("approve 1", user=BOB)
    said = slack.responses(name)[-1]["text"]
    for token in ("&lt;#C0GENERAL&gt;", "&lt;!subteam^S1|@support&gt;", "&lt;https://a.example|here&gt;"):
        assert token in said
    assert "<!" not in said and "<#" not in said and "<@" not in said  # the refusal pings nobody


def test_a_thread_reply_also_sent_to_the_channel_is_a_draft(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = bot.facebook_item(graph, text="Do you ship to Canada?")
    _recorded(bot, slack, root)
    ts = f"{time.time():.6f}"
    bot.event(
        {
            "type": "message",
            "subtype": "thread_broadcast",
            "channel": INBOX,
            "user": ALICE,
            "text": "Yes, we ship to Canada!",
            "ts": ts,
            "thread_ts": root["ts"],
            "root": {"ts": root["ts"], "thread_ts": root["ts"], "user": "U0BOT"},
            "channel_type": "channel",
            "event_ts": ts,
        }
    )
    slack.wait_for(lambda: _drafts(bot), message="the draft")
    assert _drafts(bot) == [("Yes, we ship to Canada!", DraftStatus.PENDING)]
