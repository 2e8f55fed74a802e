"""No schedule-and-forget: a scheduled reply looks at the platform and the conversation before it goes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.message_builder.ids import ActionId
from bot.platforms.base import ReplyTarget
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.graph import GraphClient
from bot.platforms.x import XPlatform
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import ALICE, BOB, INBOX, Bot

START = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def _thread_text(slack: FakeSlack, root: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in slack.thread(INBOX, root["ts"]))


def _scheduled(bot: Bot, graph: FakeGraph) -> dict[str, Any]:
    root = bot.facebook_item(graph, n=1, text="When is the sale?", author_id="42", author_name="Jane")
    bot.command("draft 1 The sale starts Friday!", user=ALICE)
    bot.command("schedule 1 in 10 minutes", user=ALICE)
    bot.command("approve 1", user=BOB)
    return root


def test_a_comment_removed_before_the_scheduled_time_cancels_the_send_with_a_note(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    bot: Bot = make_bot(clock=clock)
    root = _scheduled(bot, graph)
    graph.delete("555_1")  # the customer deleted the comment; no webhook told us

    clock.advance(minutes=11)

    slack.wait_for(lambda: "The comment was removed on Facebook" in _thread_text(slack, root))
    assert f"<@{ALICE}>'s scheduled reply was not sent" in _thread_text(slack, root)
    assert bot.runtime.services.publisher.publish_due() == 0
    assert graph.fb_replies() == []
    slack.wait_for(lambda: "Removed by its author" in str(slack.message(INBOX, root["ts"])["blocks"]))  # type: ignore[index]


def test_a_newer_customer_message_holds_the_send_until_the_drafter_says_send_anyway(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    bot: Bot = make_bot(clock=clock, approver_slack_users=BOB)
    root = _scheduled(bot, graph)
    bot.facebook_item(graph, n=2, text="Actually, never mind, I found it", author_id="42", author_name="Jane")

    clock.advance(minutes=11)

    held = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "wrote again (#2)" in m["text"]), None)
    )
    assert held["text"].startswith(f":double_vertical_bar: <@{ALICE}>, the customer wrote again")
    assert "never mind, I found it" in str(held["blocks"])
    buttons = [e for b in held["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["text"]["text"]) for b in buttons] == [
        (ActionId.SEND_ANYWAY, "Send anyway"),
        (ActionId.EDIT, "Edit"),
    ]
    assert bot.runtime.services.publisher.publish_due() == 0
    assert graph.fb_replies() == []

    _, refused = bot.click(ActionId.SEND_ANYWAY, value=buttons[0]["value"], user="U0MALLORY")
    answer = slack.wait_for(lambda: slack.responses(refused) and slack.responses(refused)[-1])
    assert f"Only <@{ALICE}>, who drafted it, or an approver" in answer["text"]
    bot.click(ActionId.SEND_ANYWAY, value=buttons[0]["value"], user=ALICE)

    graph.wait_for(lambda: graph.fb_replies())
    slack.wait_for(lambda: "Published" in _thread_text(slack, root))
    assert [r["message"] for r in graph.fb_replies()] == ["The sale starts Friday!"]
    assert f"<@{ALICE}> chose Send anyway" in _thread_text(slack, root)


def test_edit_on_a_held_reply_opens_it_and_a_new_draft_replaces_it(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    bot: Bot = make_bot(clock=clock)
    root = _scheduled(bot, graph)
    bot.facebook_item(graph, n=2, text="Also, do you ship?", author_id="42", author_name="Jane")
    clock.advance(minutes=11)
    held = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "wrote again (#2)" in m["text"]), None)
    )
    edit = next(
        e
        for b in held["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.EDIT
    )

    bot.click(ActionId.EDIT, value=edit["value"], user=ALICE)

    opened = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])
    assert "The sale starts Friday!" in str(opened["view"]["blocks"])
    bot.command("draft 1 Friday, and yes we ship!", user=ALICE)
    bot.click(ActionId.SEND_ANYWAY, value=edit["value"], user=ALICE)
    bot.runtime.services.publisher.publish_due()
    assert graph.fb_replies() == []  # the superseded held draft never goes out


def test_another_customer_in_the_same_post_does_not_hold_the_send(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    bot: Bot = make_bot(clock=clock)
    root = _scheduled(bot, graph)
    bot.facebook_item(graph, n=2, text="Me too!", author_id="77", author_name="Sam")

    clock.advance(minutes=11)

    graph.wait_for(lambda: graph.fb_replies())
    slack.wait_for(lambda: "Published" in _thread_text(slack, root))


# -- the platform port: is the comment still there? -------------------------------------------------


def test_x_says_a_deleted_post_is_gone_and_cannot_tell_when_rate_limited(x_api: FakeX) -> None:
    platform = XPlatform(
        bearer_token="x-bearer",
        api_key="k",
        api_secret="s",
        access_token="a",
        access_token_secret="t",
        api_url=x_api.url,
        timeout=5,
        user_id=x_api.user_id,
    )
    tweet_id = x_api.add_mention(text="@shop hi", username="jane", name="Jane")

    assert platform.exists(target=ReplyTarget(external_id=tweet_id, author_handle="@jane")) is True
    x_api.delete_tweet(tweet_id)
    assert platform.exists(target=ReplyTarget(external_id=tweet_id, author_handle="@jane")) is False
    x_api.rate_limit("/2/tweets/", reset_in=60)
    assert platform.exists(target=ReplyTarget(external_id=tweet_id, author_handle="@jane")) is None


def test_graph_says_a_deleted_comment_is_gone_and_cannot_tell_on_a_transient_error(graph: FakeGraph) -> None:
    client = GraphClient(access_token="page-token", graph_url=graph.url, version="v21.0", timeout=5)
    platform = FacebookPlatform(page_id="111111", graph=client)
    graph.add_fb_comment(comment_id="555_9", post_id="555", message="hi", from_id="42", from_name="Jane")
    target = ReplyTarget(external_id="555_9", author_handle="Jane")

    assert platform.exists(target=target) is True
    graph.fail_transient("555_9")
    assert platform.exists(target=target) is None
    graph.delete("555_9")
    assert platform.exists(target=target) is False
