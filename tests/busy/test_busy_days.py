"""Busy days against a fake Slack that enforces one post per second per channel (burst 10) and
Block Kit's limits: triage at ingest, priority, grouping and promotion, the spam digest, pacing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.message_builder.ids import ActionId
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import signed_headers
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import ALICE, APP_SECRET, INBOX, Bot, facebook_comment, settings_for
from tests.process import BotProcess


@pytest.fixture
def paced_slack(slack: FakeSlack) -> FakeSlack:
    slack.enforce_post_rate(per_second=1, burst=10)
    return slack


def _stopped_bot(make_bot: Any, slack: FakeSlack, *, per_second: float, burst: int) -> Bot:
    """A bot paced like Slack's fake, with its relay stopped (drained by hand with `_drained`)."""
    bot: Bot = make_bot(slack_posts_per_second=per_second, slack_burst=burst)
    slack.enforce_post_rate(per_second=per_second, burst=burst)
    bot.runtime.relay.stop()
    return bot


def _send(bot: Bot, graph: FakeGraph, n: int, text: str, *, author: str = "Jane Doe") -> None:
    payload = facebook_comment(graph, n=n, text=text, author_id=f"a{n}", author_name=f"{author} {n}")
    assert bot.meta(payload).status_code == 200


def _ask(bot: Bot, graph: FakeGraph, numbers: range) -> None:
    """A storm's questions, one comment each."""
    for n in numbers:
        _send(bot, graph, n, f"Where is my order number {n}?")


def _groups(slack: FakeSlack, purpose: str | None = None) -> list[dict[str, Any]]:
    """Grouped messages as they read now (after edits)."""
    found = []
    for post in slack.posted(INBOX):
        meta = post.get("metadata") or {}
        if meta.get("event_type") == "social_inbox_group" and purpose in (
            None,
            meta["event_payload"]["purpose"],
        ):
            found.append(slack.message(INBOX, post["ts"]))
    return found


def _item_numbers(bot: Bot) -> list[int]:
    return [int(m["text"].split()[0][1:]) for m in bot.item_messages()]


def _drained(bot: Bot, predicate: Any, *, timeout: float = 20) -> Any:
    """Run the stopped relay by hand until `predicate` holds (re-checked on every Slack request)."""

    bot.ingested()

    def step() -> Any:
        bot.runtime.relay.drain()
        return predicate()

    return bot.slack.wait_for(step, timeout=timeout)


def test_triage_is_stored_at_ingest_and_shown_with_the_item(
    bot: Bot, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    _send(bot, graph, 1, "Do you ship to Canada?")
    _send(bot, graph, 2, "This is the worst service ever, my order is still not here")
    _send(bot, graph, 3, "Love it 😍😍")
    _send(bot, graph, 4, "Saw this on the train")
    paced_slack.wait_for(lambda: len(bot.item_messages()) == 4)
    by_number = {m["text"].split()[0]: m for m in bot.item_messages()}
    assert " · Question: Do you ship" in by_number["#1"]["text"]
    assert " · Complaint: " in by_number["#2"]["text"]
    assert " · Praise: " in by_number["#3"]["text"]
    assert " · Comment: " in by_number["#4"]["text"]
    header = by_number["#1"]["blocks"][0]["text"]["text"]
    assert ":question: Question" in header


def test_x_authors_without_followers_and_days_old_accounts_are_filtered_with_reasons(
    bot: Bot, paced_slack: FakeSlack, x_api: FakeX
) -> None:
    x_api.add_mention(
        text="@shop great deals here x.co/abc",
        username="fresh",
        name="Fresh",
        followers=0,
        account_created_at=datetime.now(UTC) - timedelta(days=2),
    )
    x_api.add_mention(text="@shop do you open on Sundays?", username="regular", name="Regular")
    bot.runtime.pollers["x"].poll()
    paced_slack.wait_for(lambda: len(bot.item_messages()) == 1 and _groups(paced_slack, "spam"))
    assert "Sundays" in bot.item_messages()[0]["text"]
    digest = _groups(paced_slack, "spam")[0]
    assert "Filtered as likely spam" in digest["text"]
    line = digest["blocks"][1]
    assert "new X account (2 days) with no followers" in line["text"]["text"]
    assert line["accessory"]["action_id"] == ActionId.NOT_SPAM


def test_questions_and_complaints_reach_slack_before_praise_whatever_the_order(
    bot: Bot, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    bot.runtime.relay.stop()  # a backlog: everything arrives before the relay looks
    for n in range(1, 6):
        _send(bot, graph, n, "Congrats, looks great!")
    _send(bot, graph, 6, "This is broken and nobody answers, I want my money back")
    _send(bot, graph, 7, "How much is shipping to Spain?")
    _drained(bot, lambda: len(bot.item_messages()) == 7)
    assert _item_numbers(bot) == [7, 6, 1, 2, 3, 4, 5]
    assert paced_slack.paced_out == []


def test_praise_waiting_for_the_reserve_does_not_hold_back_a_question_on_its_channel(
    make_bot: Any, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    # A slow pace (one post per 10 s), so a wait for the reserve is long and its effect plain.
    bot = _stopped_bot(make_bot, paced_slack, per_second=0.1, burst=10)
    for n in range(1, 7):
        _send(bot, graph, n, "Congrats, looks great!")
    # Praise one by one leaves half the burst: five go, the sixth waits for the reserve to refill.
    _drained(bot, lambda: len(bot.item_messages()) == 5)
    _send(bot, graph, 7, "How much is shipping to Spain?")
    # The question takes a token of the reserve at once; the sixth praise is still waiting.
    _drained(bot, lambda: len(bot.item_messages()) == 6, timeout=5)
    assert _item_numbers(bot) == [1, 2, 3, 4, 5, 7]
    assert paced_slack.paced_out == []


def test_a_backlog_of_praise_is_grouped_and_an_action_promotes_an_item_to_its_own_message(
    bot: Bot, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    bot.runtime.relay.stop()
    for n in range(1, 81):
        _send(bot, graph, n, f"Amazing work, love it <!channel> {n}")
    _send(bot, graph, 81, "Is this available in blue?")
    _drained(bot, lambda: len(_groups(paced_slack, "items")) == 2 and bot.item_messages())
    assert _item_numbers(bot) == [81]
    first, second = _groups(paced_slack, "items")
    lines = [b for g in (first, second) for b in g["blocks"] if b.get("block_id", "").startswith("line:")]
    assert len(first["blocks"]) <= 50 and len(lines) == 80
    assert "#1 " in first["text"] and "#40" in first["text"] and "#41 " in second["text"]
    line = first["blocks"][1]
    assert line["text"]["text"] == "*#1* · :heart: Praise"
    # Who wrote what, as plain text: `<!channel>` is shown literally and never pings.
    assert [f["type"] for f in line["fields"]] == ["plain_text", "plain_text"]
    assert line["fields"][0]["text"] == "Jane Doe 1"
    assert line["fields"][1]["text"] == "Amazing work, love it <!channel> 1"
    menu = line["accessory"]
    assert menu["type"] == "overflow"
    assert [o["text"]["text"] for o in menu["options"]] == ["Reply", "Ask owner", "Claim", "Ignore", "Spam"]

    # Claim from the menu: #7 gets its own message, its thread says who claimed it, the group line points to it.
    response, name = bot.click(ActionId.GROUP_MENU, selected="claim:7", message_ts=first["ts"])
    assert response.status_code == 200
    assert paced_slack.wait_for(lambda: paced_slack.responses(name))[-1]["text"] == "You claimed #7."
    own = _drained(bot, lambda: next((m for m in bot.item_messages() if m["text"].startswith("#7 ")), None))
    thread = _drained(bot, lambda: paced_slack.thread(INBOX, own["ts"]))
    assert f"<@{ALICE}> claimed this" in thread[0]["text"]
    _drained(
        bot,
        lambda: "in its own message" in paced_slack.message(INBOX, first["ts"])["blocks"][7]["text"]["text"],
    )

    # Ignore from the menu closes #8 where it is: no message of its own, its line says so.
    bot.click(ActionId.GROUP_MENU, selected="ignore:8", message_ts=first["ts"])
    _drained(bot, lambda: "_ignored_" in paced_slack.message(INBOX, first["ts"])["blocks"][8]["text"]["text"])
    assert not any(m["text"].startswith("#8 ") for m in bot.item_messages())

    # Every grouped item stays usable through /social: a draft for #9 gives it a message and a thread.
    bot.command("draft 9 Thank you!")
    _drained(bot, lambda: any(m["text"].startswith("#9 ") for m in bot.item_messages()))
    assert paced_slack.paced_out == []


def test_a_storm_of_questions_is_listed_first_then_each_gets_its_own_message_oldest_first(
    make_bot: Any, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = _stopped_bot(make_bot, paced_slack, per_second=2, burst=4)
    _ask(bot, graph, range(1, 21))
    for n in range(21, 31):
        _send(bot, graph, n, "Congrats!!")
    _drained(bot, lambda: len(bot.item_messages()) == 20, timeout=30)
    posted = [p for p in paced_slack.posted(INBOX) if not p.get("thread_ts")]
    kinds = [(p.get("metadata") or {}).get("event_payload", {}).get("purpose", "item") for p in posted]
    # The listing shows all twenty before any gets its own message; praise is grouped, not left behind.
    assert kinds[0] == "listing" and kinds.count("items") == 1
    # Praise does not wait for all twenty: its group goes out once it has waited a moment to fill.
    assert kinds.index("items") < len(kinds) - 5
    assert _item_numbers(bot) == list(range(1, 21))
    listing = _groups(paced_slack, "listing")[0]
    assert all(f"#{n}" in listing["text"] for n in range(1, 21))
    assert paced_slack.paced_out == []


def test_questions_arriving_after_a_storm_listing_join_it_instead_of_going_ahead_of_the_praise(
    make_bot: Any, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = _stopped_bot(make_bot, paced_slack, per_second=2, burst=4)
    _ask(bot, graph, range(1, 21))
    _drained(bot, lambda: _groups(paced_slack, "listing"))
    # The storm goes on: three more questions and a backlog of praise.
    _ask(bot, graph, range(21, 24))
    for n in range(24, 64):
        _send(bot, graph, n, "Congrats!!")
    _drained(bot, lambda: _groups(paced_slack, "items"), timeout=30)
    listing = _groups(paced_slack, "listing")
    # The three are in the storm's listing (edited), not in a listing or a message of their own.
    assert len(listing) == 1
    assert [w for w in listing[0]["text"].split() if w.startswith("#")] == [f"#{n}" for n in range(1, 24)]
    own_before_praise = {n for n in _item_numbers(bot) if n > 20}
    assert own_before_praise == set()
    # Each still gets its own message, after the older ones.
    _drained(bot, lambda: len(bot.item_messages()) == 23, timeout=40)
    assert _item_numbers(bot) == list(range(1, 24))
    assert paced_slack.paced_out == []


def test_not_spam_gives_the_item_its_own_message_and_spam_list_shows_the_filtered(
    bot: Bot, paced_slack: FakeSlack, graph: FakeGraph
) -> None:
    _send(bot, graph, 1, "https://bit.ly/free-money")
    _send(bot, graph, 2, "@ann @bob @cid")
    digest = paced_slack.wait_for(
        lambda: (d := _groups(paced_slack, "spam")) and "#2" in d[0]["text"] and d[0]
    )
    assert bot.item_messages() == []
    _, name = bot.command("spam-list")
    listed = paced_slack.responses(name)[-1]
    shown = [f["text"] for b in listed["blocks"] for f in b.get("fields", [])]
    assert shown[0] == "*#2* · _only mentions (3 people tagged)_" and shown[2] == "*#1* · _link only_"
    assert shown[3] == "Jane Doe 1: https://bit.ly/free-money"
    response, name = bot.click(ActionId.NOT_SPAM, value="1", message_ts=digest["ts"])
    assert response.status_code == 200
    paced_slack.wait_for(lambda: any(m["text"].startswith("#1 ") for m in bot.item_messages()))
    paced_slack.wait_for(
        lambda: "in its own message" in paced_slack.message(INBOX, digest["ts"])["blocks"][1]["text"]["text"]
    )
    assert "is not spam" in paced_slack.responses(name)[-1]["text"]


@pytest.mark.timeout(120)
def test_two_processes_share_the_channel_pace(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    slack.enforce_post_rate(per_second=2, burst=4)
    settings = settings_for(
        database_url=database_url,
        slack=slack,
        x_api=x_api,
        graph=graph,
        slack_posts_per_second=2,
        slack_burst=4,
    )
    with (
        BotProcess(settings, cwd=tmp_path, name="a") as one,
        BotProcess(settings, cwd=tmp_path, name="b") as two,
    ):
        for n in range(1, 13):
            body = json.dumps(facebook_comment(graph, n=n, text=f"Can I pay by card, question {n}?")).encode()
            target = one if n % 2 else two
            answer = requests.post(
                target.url + "/webhooks/meta", data=body, timeout=10, headers=signed_headers(body, APP_SECRET)
            )
            assert answer.status_code == 200
        slack.wait_for(lambda: len(slack.posted(INBOX)) == 12, timeout=30)
    assert slack.paced_out == []
