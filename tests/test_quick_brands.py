"""Answer quickly with two brands: saved replies, the Home tab, Send anyway and reports, each per brand.

Two brands from a brands file (tests/test_brands_e2e.py's Acme and Bolt) through the real Bolt
app, the Graph fake binding each Page token to its own posts, and the injectable clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.message_builder.ids import ActionId
from bot.storage.models import Item
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import fb_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.handlers.test_home import _open_home, _sections
from tests.harness import Bot
from tests.test_brands_e2e import (
    ACME,
    ACME_BOSS,
    ACME_OWNER,
    ACME_PAGE,
    BOLT,
    BOLT_BOSS,
    BOLT_PAGE,
    MEMBER,
    _answer,
    _item,
    _shown_in,
    start_brands_bot,
)

START = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def two_brands(
    make_bot: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    graph: FakeGraph,
    x_api: FakeX,
    clock: FakeClock,
) -> Bot:
    return start_brands_bot(make_bot, tmp_path, monkeypatch, graph, x_api, clock=clock)


def _comment(
    bot: Bot, slack: FakeSlack, graph: FakeGraph, *, page: str, post: str, n: int, text: str
) -> Item:
    comment = f"{post}_{n}"
    graph.add_fb_comment(comment_id=comment, post_id=post, message=text, from_id="42", from_name="Jane")
    change = fb_comment_change(
        page_id=page, comment_id=comment, post_id=post, message=text, from_id="42", from_name="Jane"
    )
    assert bot.meta(change).status_code == 200
    return _item(bot, slack, comment)


def _say(bot: Bot, slack: FakeSlack, text: str, *, user: str, channel: str) -> str:
    _, name = bot.command(text, user=user, channel=channel)
    return _answer(slack, name)


def test_saved_replies_are_separate_per_brand_and_refused_where_no_brand_is_meant(
    two_brands: Bot, slack: FakeSlack
) -> None:
    bot = two_brands
    assert "added" in _say(bot, slack, "snippet add hours Acme bakes from 7.", user=MEMBER, channel=ACME)
    assert "added" in _say(bot, slack, "snippet add hours Bolt opens at 10.", user=MEMBER, channel=BOLT)

    acme = _say(bot, slack, "snippet list", user=MEMBER, channel=ACME)
    bolt = _say(bot, slack, "snippet list", user=MEMBER, channel=BOLT)
    assert "Acme bakes from 7." in acme and "Bolt opens at 10." not in acme
    assert "Bolt opens at 10." in bolt and "Acme bakes from 7." not in bolt

    assert "deleted" in _say(bot, slack, "snippet delete hours", user=MEMBER, channel=BOLT)
    assert "Acme bakes from 7." in _say(bot, slack, "snippet list", user=MEMBER, channel=ACME)

    # In a DM there is no telling which brand is meant: refused, naming the brands' channels.
    refused = _say(bot, slack, "snippet add hours Whose?", user=MEMBER, channel="D0MEMBER")
    assert "Saved replies belong to a brand" in refused
    assert f"<#{ACME}>" in refused and f"<#{BOLT}>" in refused
    assert "Whose?" not in _say(bot, slack, "snippet list", user=MEMBER, channel=ACME)


def test_home_shows_each_approver_only_the_drafts_of_brands_they_approve(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    acme = _comment(bot, slack, graph, page=ACME_PAGE, post="555", n=1, text="Nuts in the bread?")
    bolt = _comment(bot, slack, graph, page=BOLT_PAGE, post="666", n=1, text="Brakes fixed today?")
    _say(bot, slack, f"draft {acme.id} No nuts at all.", user=MEMBER, channel=ACME)
    _say(bot, slack, f"draft {bolt.id} Yes, before 5.", user=MEMBER, channel=BOLT)

    acme_boss = _sections(_open_home(bot, slack, ACME_BOSS))
    bolt_boss = _sections(_open_home(bot, slack, BOLT_BOSS))
    member = _sections(_open_home(bot, slack, MEMBER))

    approvals = "Drafts awaiting your approval"
    assert "No nuts at all." in acme_boss[approvals] and "Yes, before 5." not in acme_boss[approvals]
    assert "Yes, before 5." in bolt_boss[approvals] and "No nuts at all." not in bolt_boss[approvals]
    assert "1 in all" in acme_boss[approvals] and "1 in all" in bolt_boss[approvals]
    assert approvals not in member  # approves for neither brand
    # The open queue shows both brands, each row named by its brand.
    queue = member["Open items, oldest first"]
    assert "*Acme Bakery*" in queue and "*Bolt Bikes*" in queue


def test_home_offers_answer_only_on_questions_of_the_brand_the_person_owns(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    acme = _comment(bot, slack, graph, page=ACME_PAGE, post="555", n=1, text="Gluten free?")
    _say(bot, slack, f"ask-owner {acme.id} Is the rye gluten free?", user=MEMBER, channel=ACME)

    owner = _open_home(bot, slack, ACME_OWNER)
    assert any(b.get("block_id", "").startswith("home:question:") for b in owner["blocks"])
    # Bolt's approver sees the question listed, with no Answer button: Acme's owner answers it.
    other = _open_home(bot, slack, BOLT_BOSS)
    assert "Is the rye gluten free?" in _sections(other)["Questions waiting for the owner"]
    answer_buttons = [
        e
        for b in other["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.ANSWER
    ]
    assert answer_buttons == []


def test_send_anyway_is_the_drafter_or_an_approver_of_the_items_own_brand(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph, clock: FakeClock
) -> None:
    bot = two_brands
    bolt = _comment(bot, slack, graph, page=BOLT_PAGE, post="666", n=1, text="When is the sale?")
    root = _shown_in(slack, BOLT, bolt.id or 0)
    _say(bot, slack, f"draft {bolt.id} The sale starts Friday!", user=MEMBER, channel=BOLT)
    _say(bot, slack, f"schedule {bolt.id} in 10 minutes", user=MEMBER, channel=BOLT)
    _say(bot, slack, f"approve {bolt.id}", user=BOLT_BOSS, channel=BOLT)
    _comment(bot, slack, graph, page=BOLT_PAGE, post="666", n=2, text="Never mind, found it")

    clock.advance(minutes=11)
    held = slack.wait_for(
        lambda: next(
            (
                m
                for m in slack.thread(BOLT, root["ts"])
                if "the customer wrote again" in m["text"] and m.get("blocks")
            ),
            None,
        ),
        message="the held note",
    )
    value = next(
        e["value"]
        for b in held["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.SEND_ANYWAY
    )

    # Acme's approver approves nothing of Bolt's, in Bolt's channel or from Acme's.
    _, here = bot.click(ActionId.SEND_ANYWAY, value=value, user=ACME_BOSS, channel=BOLT)
    assert f"Only <@{MEMBER}>, who drafted it, or an approver" in _answer(slack, here)
    _, there = bot.click(ActionId.SEND_ANYWAY, value=value, user=ACME_BOSS, channel=ACME)
    assert "Bolt Bikes" in _answer(slack, there)
    # Edit on the held draft is scoped the same way.
    _, edit = bot.click(ActionId.EDIT, value=value, user=MEMBER, channel=ACME)
    assert "Bolt Bikes" in _answer(slack, edit)
    assert graph.fb_replies() == []

    bot.click(ActionId.SEND_ANYWAY, value=value, user=BOLT_BOSS, channel=BOLT)
    graph.wait_for(lambda: graph.fb_replies())
    assert graph.write_tokens() == {"666_1": "bolt-page-token"}
