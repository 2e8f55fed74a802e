"""Messenger and Instagram direct messages end to end: the `messages` webhook in, the Send API out.

The real Bolt app, facebook-sdk against the Graph fake (which refuses messages outside
Meta's 24-hour window as the Send API does), a test clock shared by bot and fake.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.message_builder.ids import ActionId
from bot.platforms.base import IncomingItem
from bot.platforms.messenger import parse_messaging
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import message_event, messaging_delivery
from tests.fakes.slack_api import FakeSlack
from tests.harness import BOB, IG_ID, INBOX, PAGE_ID, Bot

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CUSTOMER = "24680135792468"  # a page-scoped id (PSID)


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    """The Graph fake for the Page and Instagram account the bot is configured with."""
    fake = FakeGraph(page_id=PAGE_ID, ig_user_id=IG_ID)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def clock(graph: FakeGraph) -> FakeClock:
    clock = FakeClock(START)
    graph.set_clock(clock.now)
    return clock


@pytest.fixture
def team(make_bot: Any, clock: FakeClock) -> Bot:
    return make_bot(clock=clock, approver_slack_users=BOB)  # type: ignore[no-any-return]


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _customer_writes(
    bot: Bot,
    graph: FakeGraph,
    clock: FakeClock,
    text: str,
    *,
    customer: str = CUSTOMER,
    instagram: bool = False,
) -> str:
    mid = graph.customer_wrote(customer_id=customer, at=clock.now(), instagram=instagram)
    payload = message_event(
        account_id=IG_ID if instagram else PAGE_ID,
        customer_id=customer,
        mid=mid,
        text=text,
        timestamp_ms=_millis(clock.now()),
        instagram=instagram,
    )
    assert bot.meta(payload).status_code == 200
    bot.ingested()  # stored before the 200, turned into an item just after it
    return mid


def _item(bot: Bot, slack: FakeSlack, n: int) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next((m for m in slack.posted(INBOX) if m["text"].startswith(f"#{n} ")), None)
    )


def _button(message: dict[str, Any], action_id: ActionId) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def _draft(slack: FakeSlack, root: dict[str, Any]) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "Draft reply" in m.get("text", "")), None)
    )


def _ephemeral(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def _blocks(slack: FakeSlack, message: dict[str, Any]) -> str:
    return str(slack.message(INBOX, message["ts"])["blocks"])  # type: ignore[index]


def test_two_messages_from_one_customer_are_one_item_with_the_second_in_its_thread(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    first = _customer_writes(team, graph, clock, "Hi! Is the <!channel> cake gluten free?")
    root = _item(team, slack, 1)
    assert root["text"].startswith("#1 Messenger message from")
    assert "Is the <!channel> cake gluten free?" in str(root["blocks"])  # plain text: never pings
    assert "Reply window: 24 h 0 min left" in str(root["blocks"])

    clock.advance(minutes=5)
    _customer_writes(team, graph, clock, "And do you deliver?")
    second = _item(team, slack, 2)
    assert second.get("thread_ts") == root["ts"]
    # Meta redelivers; our own reply comes back as an echo; reads and deliveries are not messages.
    echo = {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": CUSTOMER},
        "timestamp": _millis(clock.now()),
        "message": {"mid": "m_echo", "text": "Thanks!", "is_echo": True},
    }
    read = {"sender": {"id": CUSTOMER}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 1}}
    delivery = {"sender": {"id": CUSTOMER}, "recipient": {"id": PAGE_ID}, "delivery": {"mids": [first]}}
    reaction = {
        "sender": {"id": CUSTOMER},
        "recipient": {"id": PAGE_ID},
        "reaction": {"mid": first, "action": "react", "emoji": "❤"},
    }
    redelivered = message_event(
        account_id=PAGE_ID, customer_id=CUSTOMER, mid=first, text="Hi!", timestamp_ms=_millis(START)
    )
    assert team.meta(redelivered).status_code == 200
    assert (
        team.meta(messaging_delivery(account_id=PAGE_ID, events=[echo, read, delivery, reaction])).status_code
        == 200
    )
    # A different customer is a different conversation, with its own item.
    _customer_writes(team, graph, clock, "Open on Sunday?", customer="13579")
    third = _item(team, slack, 3)
    assert "thread_ts" not in third or third["thread_ts"] is None
    top_level = [m["text"][:3] for m in team.item_messages() if not m.get("thread_ts")]
    assert top_level == ["#1 ", "#3 "]
    assert len([m for m in slack.posted(INBOX) if m["text"].startswith("#")]) == 3


def test_a_reply_inside_the_window_is_sent_once_through_the_send_api(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    _customer_writes(team, graph, clock, "Do you have oat milk?")
    root = _item(team, slack, 1)
    clock.advance(hours=20)
    team.command("draft 1 Yes, every day!", user=BOB)
    draft = _draft(slack, root)
    approve = _button(draft, ActionId.APPROVE)
    clicks = [
        threading.Thread(target=team.click, args=(ActionId.APPROVE,), kwargs={"value": approve, "user": BOB})
    ]
    clicks.append(threading.Thread(target=team.command, args=("approve 1",), kwargs={"user": BOB}))
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    sent = graph.wait_for(lambda: graph.messages_sent())
    slack.wait_for(lambda: "Replied" in _blocks(slack, root))
    assert [(m["platform"], m["recipient_id"], m["text"]) for m in graph.messages_sent()] == [
        ("messenger", CUSTOMER, "Yes, every day!")
    ]
    assert sent[0]["request"]["messaging_type"] == "RESPONSE"
    note = slack.wait_for(
        lambda: next(
            (m for m in slack.thread(INBOX, root["ts"]) if "Published on Messenger" in m["text"]), None
        )
    )
    assert f"<@{BOB}>" in note["text"]


def test_approval_after_the_window_closed_is_refused_with_the_reason(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    _customer_writes(team, graph, clock, "Can I change my order?")
    root = _item(team, slack, 1)
    team.command("draft 1 Sure, what would you like?", user=BOB)
    draft = _draft(slack, root)
    clock.advance(hours=24, minutes=30)

    _, by_command = team.command("approve 1", user=BOB)
    said = _ephemeral(slack, by_command)
    assert "#1 can no longer be answered on Messenger" in said and "within 24 hours" in said
    assert "30 min ago" in said
    _, by_button = team.click(ActionId.APPROVE, value=_button(draft, ActionId.APPROVE), user=BOB)
    assert "can no longer be answered" in _ephemeral(slack, by_button)
    assert graph.messages_sent() == []
    assert "Draft awaiting approval" in _blocks(slack, root)

    # The customer writes again: the window opens again and the same draft can go.
    _customer_writes(team, graph, clock, "Hello?")
    _, again = team.command("approve 1", user=BOB)
    assert "Approved #1" in _ephemeral(slack, again)
    graph.wait_for(lambda: graph.messages_sent())
    assert [m["text"] for m in graph.messages_sent()] == ["Sure, what would you like?"]


def test_the_send_apis_own_refusal_is_a_visible_failure_that_says_why(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    # Meta's record says the customer wrote longer ago than the webhook we got (a late delivery).
    mid = graph.customer_wrote(customer_id=CUSTOMER, at=clock.now() - timedelta(hours=30))
    team.meta(
        message_event(
            account_id=PAGE_ID,
            customer_id=CUSTOMER,
            mid=mid,
            text="Late one",
            timestamp_ms=_millis(clock.now()),
        )
    )
    root = _item(team, slack, 1)
    team.command("draft 1 Sorry for the wait!", user=BOB)
    _draft(slack, root)
    team.command("approve 1", user=BOB)
    failed = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "Sending failed" in m["text"]), None)
    )
    assert "24-hour window" in failed["text"] and "closed" in failed["text"]
    slack.wait_for(lambda: "Failed" in _blocks(slack, root))
    assert graph.messages_sent() == []


def test_the_one_hour_warning_is_posted_once_by_two_bots(
    make_bot: Any, team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    other = make_bot(clock=clock, approver_slack_users=BOB)
    _customer_writes(team, graph, clock, "Are you open tomorrow?")
    root = _item(team, slack, 1)
    clock.advance(hours=22)
    assert team.runtime.conversations.warn_closing() == 0  # two hours left: not yet
    clock.advance(hours=1, minutes=5)

    counts: list[int] = []
    sweeps = [
        threading.Thread(target=lambda b=b: counts.append(b.runtime.conversations.warn_closing()))
        for b in (team, other, team, other)
    ]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join()
    assert sorted(counts) == [0, 0, 0, 1]
    slack.wait_for(lambda: "55 min left" in _blocks(slack, root))
    warnings = [m for m in slack.thread(INBOX, root["ts"]) if "Less than an hour left" in m["text"]]
    assert len(warnings) == 1 and "Messenger" in warnings[0]["text"]
    assert other.runtime.conversations.warn_closing() == 0


def test_no_warning_once_the_conversation_is_answered(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    _customer_writes(team, graph, clock, "Thanks for the cake!")
    root = _item(team, slack, 1)
    team.command("ignore 1", user=BOB)
    slack.wait_for(lambda: "Ignored" in _blocks(slack, root))
    clock.advance(hours=23, minutes=30)
    assert team.runtime.conversations.warn_closing() == 0


def test_instagram_direct_message_is_answered_through_the_pages_messages_edge(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    _customer_writes(team, graph, clock, "Ciao! 🍰", customer="998877", instagram=True)
    root = _item(team, slack, 1)
    assert root["text"].startswith("#1 Instagram DM message from")
    # Instagram counts bytes: 400 cakes are 1,600 bytes.
    _, too_long = team.command("draft 1 " + "🍰" * 400, user=BOB)
    assert "1600 characters; Instagram DM allows 1000" in _ephemeral(slack, too_long)
    team.command("draft 1 Grazie!", user=BOB)
    _draft(slack, root)
    team.command("approve 1", user=BOB)
    graph.wait_for(lambda: graph.messages_sent())
    assert [(m["platform"], m["recipient_id"], m["text"]) for m in graph.messages_sent()] == [
        ("instagram_dm", "998877", "Grazie!")
    ]


def test_a_new_bot_on_the_same_database_keeps_the_conversation(
    make_bot: Any, team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    _customer_writes(team, graph, clock, "First")
    root = _item(team, slack, 1)
    team.stop()
    later = make_bot(clock=clock, approver_slack_users=BOB)
    clock.advance(hours=1)
    _customer_writes(later, graph, clock, "Second")
    second = _item(later, slack, 2)
    assert second.get("thread_ts") == root["ts"]


# -- the parser on odd and hostile deliveries ------------------------------------------------------


def _event(**message: Any) -> dict[str, Any]:
    return {
        "sender": {"id": CUSTOMER},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1764147600000,
        "message": message,
    }


def test_odd_events_are_skipped_one_by_one_and_the_rest_of_the_delivery_is_read() -> None:
    events: list[Any] = [
        "not an object",
        {"sender": {"id": CUSTOMER}, "recipient": {"id": PAGE_ID}},  # neither message nor anything known
        {"sender": {"id": True}, "message": {"mid": "m_bool", "text": "x"}},
        {"message": {"mid": "m_nobody", "text": "no sender"}},
        _event(text="no mid"),
        _event(mid="m_ok", text="nul\x00 and lone \ud800 surrogate, <@U123> & <!here>"),
        _event(mid="m_pic", attachments=[{"type": "image", "payload": {"url": "https://x"}}, "junk"]),
        _event(mid="m_gone", is_deleted=True),
    ]
    parsed = parse_messaging(
        messaging_delivery(account_id=PAGE_ID, events=events), page_ids={PAGE_ID}, instagram_account_ids=set()
    )
    assert [(type(p).__name__, p.external_id) for p in parsed] == [
        ("IncomingItem", "m_ok"),
        ("IncomingItem", "m_pic"),
        ("ItemChange", "m_gone"),
    ]
    first, picture = parsed[0], parsed[1]
    assert isinstance(first, IncomingItem) and isinstance(picture, IncomingItem)
    assert first.text == "nul\ufffd and lone \ufffd surrogate, <@U123> & <!here>"
    assert first.created_at == datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
    assert first.direct and first.conversation_id == CUSTOMER and first.account_external_id == PAGE_ID
    assert picture.text == "[image, file]"


def test_messages_for_accounts_we_do_not_serve_and_comment_changes_are_not_messages() -> None:
    other_page = message_event(account_id="999", customer_id=CUSTOMER, mid="m_1", text="hi")
    assert parse_messaging(other_page, page_ids={PAGE_ID}, instagram_account_ids={IG_ID}) == []
    instagram = message_event(account_id=IG_ID, customer_id="55", mid="ig_1", text="ciao", instagram=True)
    [item] = parse_messaging(instagram, page_ids={PAGE_ID}, instagram_account_ids={IG_ID})
    assert isinstance(item, IncomingItem) and item.platform == "instagram_dm"
    for odd in ({"object": "page"}, {"object": "user", "entry": []}, [], {"object": "page", "entry": [1]}):
        assert parse_messaging(odd, page_ids={PAGE_ID}, instagram_account_ids={IG_ID}) == []


def test_a_signed_delivery_with_an_odd_event_still_stores_the_good_message(
    team: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    mid = graph.customer_wrote(customer_id=CUSTOMER, at=clock.now())
    good = message_event(
        account_id=PAGE_ID,
        customer_id=CUSTOMER,
        mid=mid,
        text="Still there?",
        timestamp_ms=_millis(clock.now()),
    )
    good["entry"][0]["messaging"].insert(0, {"sender": "?", "message": {"mid": 5, "text": ["no"]}})
    assert team.meta(good).status_code == 200
    assert "Still there?" in str(_item(team, slack, 1)["blocks"])
