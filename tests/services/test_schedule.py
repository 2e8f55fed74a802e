"""Scheduled replies end to end: command and picker, queue and cancel, lateness, restarts."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import fb_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, INBOX, PAGE_ID, Bot

START = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # Wed 25 Nov, 21:00 in Paris


def _item(bot: Bot, slack: FakeSlack, graph: FakeGraph, *, n: int = 1, author: str = "42") -> dict[str, Any]:
    return bot.facebook_item(graph, n=n, text="When is the sale?", author_id=author, author_name="Jane")


def _answer(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1]))


def _thread_text(slack: FakeSlack, root: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in slack.thread(INBOX, root["ts"]))


def test_scheduled_by_command_goes_out_at_its_time_not_before(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    slack.set_user(ALICE, tz="Europe/Paris")
    clock = FakeClock(START)
    bot = make_bot(clock=clock)
    root = _item(bot, slack, graph)
    bot.command("draft 1 The sale starts Friday!", user=ALICE)
    _, name = bot.command("schedule 1 tomorrow 9am", user=ALICE)
    assert "Thu 26 Nov 09:00 (Europe/Paris); it still needs an approval" in _answer(slack, name)
    slack.wait_for(lambda: "Scheduled for" in str(slack.message(INBOX, root["ts"])["blocks"]))
    slack.wait_for(lambda: "scheduled this reply for" in _thread_text(slack, root))
    bot.command("approve 1", user=BOB)
    clock.set(datetime(2026, 11, 26, 7, 59, 59, tzinfo=UTC))
    assert bot.runtime.services.publisher.publish_due() == 0
    assert graph.fb_replies() == []
    clock.set(datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC))
    graph.wait_for(lambda: graph.fb_replies())  # the scheduler's own sweep sends it
    slack.wait_for(lambda: "Published" in _thread_text(slack, root))
    bot.runtime.services.publisher.publish_due()
    assert len(graph.fb_replies()) == 1


def test_unapproved_at_its_time_it_goes_out_when_approved_and_says_late(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    bot = make_bot(clock=clock)
    root = _item(bot, slack, graph)
    bot.command("draft 1 Friday!", user=ALICE)
    bot.command("schedule 1 in 10 minutes", user=ALICE)
    clock.advance(minutes=25)
    assert bot.runtime.services.publisher.publish_due() == 0  # no approval, no send
    bot.command("approve 1", user=BOB)
    graph.wait_for(lambda: graph.fb_replies())
    slack.wait_for(lambda: "Approved 15 min after its scheduled time" in _thread_text(slack, root))


def test_down_at_due_time_it_is_sent_at_start_and_says_how_late(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    first = make_bot(clock=clock)
    root = _item(first, slack, graph)
    first.command("draft 1 Friday!", user=ALICE)
    first.command("schedule 1 in 10 minutes", user=ALICE)
    first.command("approve 1", user=BOB)
    first.stop()
    clock.advance(minutes=40)
    make_bot(clock=clock)
    graph.wait_for(lambda: graph.fb_replies())
    slack.wait_for(lambda: "30 min after its scheduled time" in _thread_text(slack, root))


def test_queue_lists_in_the_callers_zone_and_cancel_takes_it_off(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    slack.set_user(ALICE, tz="Europe/Paris")
    slack.set_user(BOB, tz="Pacific/Kiritimati")
    clock = FakeClock(START)
    bot = make_bot(clock=clock)
    root = _item(bot, slack, graph)
    bot.command("draft 1 Friday!", user=ALICE)
    bot.command("schedule 1 friday 14:00", user=ALICE)  # Fri 27 Nov 13:00 UTC
    bot.command("approve 1", user=BOB)
    _, name = bot.command("queue", user=BOB)
    listing = _answer(slack, name)
    assert (
        "Pacific/Kiritimati" in listing
        and "Sat 28 Nov 03:00" in listing
        and f"approved by <@{BOB}>" in listing
    )
    _, name = bot.command("cancel 1", user=ALICE)
    assert "off the schedule" in _answer(slack, name)
    slack.wait_for(lambda: "took the reply off the schedule" in _thread_text(slack, root))
    clock.set(datetime(2026, 11, 27, 13, 0, 1, tzinfo=UTC))
    assert bot.runtime.services.publisher.publish_due() == 0
    _, name = bot.command("queue", user=BOB)
    assert "No replies are scheduled" in _answer(slack, name)


def test_past_or_unreadable_times_change_nothing(make_bot: Any, slack: FakeSlack, graph: FakeGraph) -> None:
    clock = FakeClock(START)
    bot = make_bot(clock=clock)
    _item(bot, slack, graph)
    bot.command("draft 1 Friday!", user=ALICE)
    for when, expected in (
        ("2026-11-01 09:00", "has passed"),
        ("someday maybe", "can't read"),
        ("", "Say when"),
    ):
        _, name = bot.command(f"schedule 1 {when}", user=ALICE)
        assert expected in _answer(slack, name)
    _, name = bot.command("schedule 2 in 5 minutes", user=ALICE)
    assert "no item #2" in _answer(slack, name)
    _, name = bot.command("queue", user=ALICE)
    assert "No replies are scheduled" in _answer(slack, name)


def test_the_customer_writing_again_warns_the_drafter(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    bot = make_bot(clock=clock)
    root = _item(bot, slack, graph)
    bot.command("draft 1 Friday!", user=ALICE)
    bot.command("schedule 1 in 1 hour", user=ALICE)
    bot.meta(
        fb_comment_change(
            page_id=PAGE_ID,
            comment_id="555_7",
            post_id="555",
            message="Never mind, found it",
            from_id="42",
            from_name="Jane",
            parent_id="555_1",
        )
    )
    slack.wait_for(lambda: f"<@{ALICE}> the customer wrote again" in _thread_text(slack, root))


def test_real_time_command_and_picker_are_sent_within_two_seconds_of_due(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = make_bot(approver_slack_users=BOB)
    root1 = _item(bot, slack, graph, n=1)
    root2 = _item(bot, slack, graph, n=2)
    bot.command("draft 1 By command", user=ALICE)
    _, name = bot.command("schedule 1 in 4 seconds", user=ALICE)
    _answer(slack, name)
    due1 = _send_at(bot, 1)
    bot.click(ActionId.REPLY, value="2", user=ALICE)
    view = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])["view"]
    due2 = int(time.time()) + 4
    bot.submit(
        ViewId.REPLY,
        private_metadata=view["private_metadata"],
        user=ALICE,
        values={
            BlockId.REPLY_TEXT: {INPUT_ACTION: {"type": "plain_text_input", "value": "By picker"}},
            BlockId.SEND_AT: {INPUT_ACTION: {"type": "datetimepicker", "selected_date_time": due2}},
        },
    )
    bot.command("approve 1", user=BOB)
    bot.command("approve 2", user=BOB)
    replies = graph.wait_for(lambda: len(graph.fb_replies()) == 2 and graph.fb_replies(), timeout=10)
    posts = {c.form.get("message"): c.at for c in graph.calls_to("/comments") if c.method == "POST"}
    for text, due in (("By command", due1), ("By picker", float(due2))):
        lateness = posts[text] - due
        assert 0 <= lateness <= 2.0, (text, lateness)
    assert sorted(r["message"] for r in replies) == ["By command", "By picker"]
    for root in (root1, root2):
        slack.wait_for(lambda root=root: "Published" in _thread_text(slack, root))


def _send_at(bot: Bot, item_id: int) -> float:
    from sqlmodel import select

    from bot.storage.models import Draft

    with bot.runtime.db.session() as session:
        draft = session.exec(select(Draft).where(Draft.item_id == item_id)).one()
        assert draft.send_at is not None
        return draft.send_at.timestamp()
