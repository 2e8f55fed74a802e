"""`/social inbox` with more items than a page: the total, paging, and each filter, through the real Bolt app.

The rows are written straight into the database (no Slack messages of their own): what is asserted
is what the person typing the command reads, not how the items arrived.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from bot.storage.models import CLOSED_STATES, INBOX_ITEM_SQL, Account, Item, ItemState, OwnerQuestion
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, Bot

BOB = "U0BOB"
START = datetime(2026, 11, 1, tzinfo=UTC)
OPEN = [s for s in ItemState if s not in CLOSED_STATES]


def _listing(bot: Bot, slack: FakeSlack, words: str) -> tuple[str, list[int]]:
    """The header line and the `#N`s of one answer to `/social WORDS`, in the order shown."""
    _, name = bot.command(words, user=ALICE)
    blocks: list[dict[str, Any]] = slack.responses(name)[-1]["blocks"]
    texts = [str(block.get("text", {}).get("text", "")) for block in blocks]
    texts += [str(e.get("text", "")) for block in blocks for e in block.get("elements", [])]
    shown = [int(n) for t in texts for n in re.findall(r"^\*#(\d+)\*", t)]
    return "\n".join(texts), shown


@pytest.fixture
def crowded(bot: Bot) -> dict[str, list[int]]:
    """130 items to list among closed, removed and likely-spam ones, oldest first by received_at."""
    with bot.runtime.db.session() as session:
        facebook = Account(platform="facebook", external_id="crowd-page", slack_channel="C0INBOX")
        x = Account(platform="x", external_id="crowd-x", slack_channel="C0INBOX")
        session.add_all([facebook, x])
        session.flush()
        rows, expected = [], {"open": [], "x": [], "mine": [], "waiting": []}
        # ids 1000+ so they never meet an item the bot made; received in the reverse of id order
        # for half of them, so "oldest first" is not "lowest number first".
        for n in range(200):
            item_id = 1000 + n
            on_x = n % 3 == 0
            state = OPEN[n % len(OPEN)] if n % 5 else ItemState.REPLIED
            removed, spam = n == 7, n == 11
            mine = state != ItemState.NEW and n % 4 == 1
            rows.append(
                {
                    "id": item_id,
                    "platform": "x" if on_x else "facebook",
                    "external_id": f"crowd{n}",
                    "account_id": (x if on_x else facebook).id,
                    "text": f"comment {n}",
                    "received_at": START + timedelta(minutes=(200 - n) if n < 100 else n),
                    "created_at": START,
                    "state": state,
                    "claimed_by": ALICE if mine else (BOB if state != ItemState.NEW else None),
                    "removed": removed,
                    "spam": spam,
                    "spam_reasons": "link only" if spam else "",
                }
            )
            if state not in CLOSED_STATES and not removed and not spam:
                expected["open"].append(item_id)
                expected["x"] += [item_id] if on_x else []
                expected["mine"] += [item_id] if mine else []
        session.execute(insert(Item), rows)
        # Unanswered questions on two listed items and a closed one; an answered one on a third.
        questions = [(1002, None), (1196, None), (1005, None), (1003, START)]
        session.execute(
            insert(OwnerQuestion),
            [
                {
                    "item_id": i,
                    "question": "ok?",
                    "asked_by": BOB,
                    "asked_at": START,
                    "answered_at": at,
                    "answer": at and "yes",
                }
                for i, at in questions
            ],
        )
        expected["waiting"] = [1002, 1196]
    received = {row["id"]: row["received_at"] for row in rows}
    return {key: sorted(ids, key=lambda i: received[i]) for key, ids in expected.items()}


def test_the_inbox_pages_through_every_open_item_with_the_total(
    bot: Bot, slack: FakeSlack, crowded: dict[str, list[int]]
) -> None:
    listed = crowded["open"]
    assert len(listed) == 158  # 200, less 40 replied, one removed, one likely spam
    header, first = _listing(bot, slack, "inbox")
    assert "158 open · page 1 of 4" in header
    assert first == listed[:40]
    assert "Next page: `/social inbox page 2`" in header

    header, third = _listing(bot, slack, "inbox page 3")
    assert "158 open · page 3 of 4" in header and third == listed[80:120]
    header, last = _listing(bot, slack, "inbox page 4")
    assert "page 4 of 4" in header and last == listed[120:] and "Next page" not in header
    # Past the end: the last page, not an empty one.
    header, beyond = _listing(bot, slack, "inbox page 99")
    assert "page 4 of 4" in header and beyond == listed[120:]
    seen = first + _listing(bot, slack, "inbox page 2")[1] + third + last
    assert seen == listed  # every open item once, none of the replied, removed or spam ones


def test_each_filter_counts_and_lists_only_its_items(
    bot: Bot, slack: FakeSlack, crowded: dict[str, list[int]]
) -> None:
    header, shown = _listing(bot, slack, "inbox x")
    total = len(crowded["x"])
    assert 40 < total <= 80 and f"{total} open (x) · page 1 of 2" in header and shown == crowded["x"][:40]
    header, shown = _listing(bot, slack, "inbox x page 2")
    assert shown == crowded["x"][40:] and "Next page" not in header

    header, shown = _listing(bot, slack, "inbox mine")
    assert len(crowded["mine"]) <= 40
    assert f"{len(crowded['mine'])} open (mine) · page 1 of 1" in header and shown == crowded["mine"]

    header, shown = _listing(bot, slack, "inbox waiting")
    assert "2 open (waiting) · page 1 of 1" in header and shown == crowded["waiting"]
    assert header.count(":hourglass_flowing_sand: waiting for owner") == 2

    header, shown = _listing(bot, slack, "inbox mine x")
    both = [i for i in crowded["mine"] if i in crowded["x"]]
    assert both and f"{len(both)} open (mine x)" in header and shown == both


def test_the_inbox_query_repeats_its_partial_index_predicate_and_the_open_states() -> None:
    # SQLite uses ix_item_inbox only when the query repeats the index's WHERE as written, and the
    # migration wrote that WHERE once: a new closed state must change both, with a migration.
    closed = ", ".join(f"'{s.value}'" for s in ItemState if s in CLOSED_STATES)
    assert f"state NOT IN ({closed}) AND NOT removed AND NOT spam" == INBOX_ITEM_SQL
