"""Asking the owner: the DM with full context, answers back into the right thread, reminders."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.storage.models import OwnerQuestion
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, INBOX, OWNER, Bot

DM = FakeSlack.dm_channel(OWNER)


def _item(
    bot: Bot, slack: FakeSlack, graph: FakeGraph, *, n: int = 1, text: str = "Can I get a refund?"
) -> dict[str, Any]:
    return bot.facebook_item(graph, n=n, text=text)


def _thread(slack: FakeSlack, root: dict[str, Any]) -> list[dict[str, Any]]:
    return slack.thread(INBOX, root["ts"])


def _dms(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posted(DM) if not p.get("thread_ts")]


def _asked(bot: Bot, slack: FakeSlack, count: int = 1) -> list[dict[str, Any]]:
    """The owner's DMs, once the bot has recorded them (the owner can only answer after that)."""

    def recorded() -> bool:
        with bot.runtime.db.session() as session:
            return len([q for q in session.exec(select(OwnerQuestion)).all() if q.dm_ts]) == count

    slack.wait_for(recorded)
    return _dms(slack)


def _answer_text(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def test_ask_by_button_reaches_the_owner_with_context_and_a_dm_reply_comes_back(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = make_bot(owner_slack_user=OWNER, approver_slack_users=f"{BOB},{OWNER}")
    root = _item(bot, slack, graph)
    assert "This may need the owner" in str(root["blocks"])  # "refund" is an owner keyword
    ask = next(
        e for b in root["blocks"] for e in b.get("elements", []) if e.get("action_id") == ActionId.ASK_OWNER
    )
    assert ask.get("style") == "primary"
    bot.click(ActionId.ASK_OWNER, value="1", user=ALICE)
    modal = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])["view"]
    block = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.QUESTION)
    assert "Can I get a refund?" in block["element"]["initial_value"]
    bot.submit(
        ViewId.ASK_OWNER,
        private_metadata=modal["private_metadata"],
        user=ALICE,
        values={
            BlockId.QUESTION: {
                INPUT_ACTION: {"type": "plain_text_input", "value": "Do we refund opened boxes?"}
            }
        },
    )
    dm = _asked(bot, slack)[0]
    rendered = str(dm["blocks"])
    for expected in (
        "Can I get a refund?",
        "Jane Doe",
        "Facebook",
        "https://www.facebook.com/555?comment_id=1",
        "Do we refund opened boxes?",
        f"<@{ALICE}>",
        "waiting",
        "Answer",
        "Open in channel",
        "https://fake.slack.com/archives/C0INBOX/p",
    ):
        assert expected in rendered, expected
    slack.wait_for(lambda: any("asked the owner" in m["text"] for m in _thread(slack, root)))
    slack.wait_for(lambda: "Waiting for owner" in str(slack.message(INBOX, root["ts"])["blocks"]))
    _, name = bot.command("inbox", user=ALICE)
    assert "waiting for owner" in str(slack.responses(name)[-1]["blocks"])

    bot.thread_message(channel=DM, thread_ts=dm["ts"], text="Yes, within 30 days.", user=OWNER)
    note = slack.wait_for(
        lambda: next((m for m in _thread(slack, root) if "owner answered" in m["text"]), None)
    )
    assert f"<@{ALICE}>" in note["text"] and "Yes, within 30 days." in note["text"]
    slack.wait_for(lambda: any("Thanks!" in m["text"] for m in slack.thread(DM, dm["ts"])))
    assert graph.fb_replies() == []  # the owner answering approves nothing
    bot.click(
        ActionId.USE_AS_REPLY,
        value=next(
            e["value"]
            for b in note["blocks"]
            for e in b.get("elements", [])
            if e.get("action_id") == ActionId.USE_AS_REPLY
        ),
        user=ALICE,
    )
    draft = slack.wait_for(
        lambda: next((m for m in _thread(slack, root) if "Draft reply" in m["text"]), None)
    )
    assert "Yes, within 30 days." in draft["text"]
    assert graph.fb_replies() == []
    bot.command("approve 1", user=BOB)
    assert [r["message"] for r in graph.wait_for(lambda: graph.fb_replies())] == ["Yes, within 30 days."]


def test_ask_by_command_and_answer_by_modal_each_to_its_own_question(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = make_bot(owner_slack_user=OWNER)
    root = _item(bot, slack, graph)
    _, name = bot.command("ask-owner 1 Is the refund window 30 days?", user=ALICE)
    assert "Asked the owner about #1" in _answer_text(slack, name)
    bot.command("ask-owner 1 Do we pay return shipping?", user=BOB)
    dms = _asked(bot, slack, 2)
    first = next(d for d in dms if "30 days" in d["text"])
    second = next(d for d in dms if "return shipping" in d["text"])

    answer_value = next(
        e["value"]
        for b in second["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == ActionId.ANSWER
    )
    _, refused = bot.click(ActionId.ANSWER, value=answer_value, user=ALICE, channel=DM)
    assert "Only the owner" in _answer_text(slack, refused)
    bot.click(ActionId.ANSWER, value=answer_value, user=OWNER, channel=DM)
    modal = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])["view"]
    bot.submit(
        ViewId.ANSWER,
        private_metadata=modal["private_metadata"],
        user=OWNER,
        values={
            BlockId.ANSWER: {INPUT_ACTION: {"type": "plain_text_input", "value": "No, the customer pays."}}
        },
    )
    bot.thread_message(channel=DM, thread_ts=first["ts"], text="Yes, 30 days.", user=OWNER)
    notes = slack.wait_for(
        lambda: (
            len([m for m in _thread(slack, root) if "owner answered" in m["text"]]) == 2
            and [m["text"] for m in _thread(slack, root) if "owner answered" in m["text"]]
        )
    )
    assert any(f"<@{BOB}>'s question" in n and "customer pays" in n for n in notes)
    assert any(f"<@{ALICE}>'s question" in n and "Yes, 30 days." in n for n in notes)


def test_unrelated_dms_and_strangers_relay_nothing(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.services.owner")
    bot = make_bot(owner_slack_user=OWNER)
    root = _item(bot, slack, graph)
    bot.command("ask-owner 1 Refund?", user=ALICE)
    dm = _asked(bot, slack)[0]
    old = slack.add_message(DM, text="an old conversation", user=OWNER)
    bot.thread_message(channel=DM, thread_ts=old, text="this is about something else", user=OWNER)
    bot.thread_message(channel=DM, thread_ts=dm["ts"], text="I am not the owner", user=ALICE)
    bot.thread_message(channel=DM, thread_ts=dm["ts"], text="Yes.", user=OWNER)
    slack.wait_for(lambda: any("owner answered" in m["text"] for m in _thread(slack, root)))
    # Listeners run after the ack, in any order: wait until both refused messages were handled.
    slack.wait_for(
        lambda: {"owner.unmatched_dm", "owner.dm_not_from_owner"} <= {r.getMessage() for r in caplog.records},
        message="the unrelated DM and the stranger's message handled",
    )
    relayed = " ".join(m["text"] for m in _thread(slack, root))
    assert "something else" not in relayed and "not the owner" not in relayed


def test_a_silent_owner_is_reminded_at_most_the_configured_times(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    bot = make_bot(owner_slack_user=OWNER, owner_reminder_minutes=60, owner_reminders=2, clock=clock)
    root = _item(bot, slack, graph)
    bot.command("ask-owner 1 Refund?", user=ALICE)
    dm = _asked(bot, slack)[0]
    assert bot.runtime.services.owner.remind_due() == 0
    clock.advance(minutes=61)
    job = bot.runtime.scheduler.get_job("remind_owner")  # the bot's own clock looks every 30 s
    assert job is not None and job.trigger.interval.total_seconds() == 30
    assert bot.runtime.services.owner.remind_due() == 1
    reminder = slack.wait_for(lambda: slack.thread(DM, dm["ts"]) and slack.thread(DM, dm["ts"])[0])
    assert "Reminder" in reminder["text"]
    slack.wait_for(lambda: any("Reminded the owner (1 of 2)" in m["text"] for m in _thread(slack, root)))
    clock.advance(minutes=61)
    assert bot.runtime.services.owner.remind_due() == 1
    clock.advance(minutes=240)
    assert bot.runtime.services.owner.remind_due() == 0  # two is the limit
    slack.wait_for(lambda: len(slack.thread(DM, dm["ts"])) == 2)


def test_answered_questions_are_not_reminded(make_bot: Any, slack: FakeSlack, graph: FakeGraph) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    bot = make_bot(owner_slack_user=OWNER, clock=clock)
    _item(bot, slack, graph)
    bot.command("ask-owner 1 Refund?", user=ALICE)
    dm = _asked(bot, slack)[0]
    bot.thread_message(channel=DM, thread_ts=dm["ts"], text="Yes.", user=OWNER)
    slack.wait_for(lambda: any("Thanks!" in m["text"] for m in slack.thread(DM, dm["ts"])))
    clock.advance(hours=5)
    assert bot.runtime.services.owner.remind_due() == 0


def test_no_owner_configured_says_how_to_set_it(make_bot: Any, slack: FakeSlack, graph: FakeGraph) -> None:
    bot = make_bot()
    _item(bot, slack, graph)
    _, name = bot.command("ask-owner 1 Refund?", user=ALICE)
    assert "OWNER_SLACK_USER" in _answer_text(slack, name)
    _, clicked = bot.click(ActionId.ASK_OWNER, value="1", user=ALICE)
    assert "OWNER_SLACK_USER" in _answer_text(slack, clicked)
    assert slack.views_opened() == []
    assert _dms(slack) == []
