"""Items without Slack: what a claim, an assignment and a close write, and what they refuse."""

from __future__ import annotations

import pytest

from bot.services.errors import UserError
from bot.services.items import Items
from bot.storage.db import Database
from bot.storage.models import DraftStatus, ItemMessage, ItemState
from tests.clock import FakeClock
from tests.rows import a_draft, an_item, audit_actions, draft_status, item_state, tasks


@pytest.fixture
def woken() -> list[int]:
    return []


@pytest.fixture
def items(db: Database, woken: list[int]) -> Items:
    return Items(db=db, clock=FakeClock(), wake=lambda: woken.append(1))


def test_a_claim_moves_a_new_item_and_queues_its_rerender_and_note(
    db: Database, items: Items, woken: list[int]
) -> None:
    item = an_item(db)
    items.claim(item_id=item, user="U0ALICE")
    assert item_state(db, item) is ItemState.CLAIMED
    assert tasks(db, item) == [("update_item", None), ("note", None)]
    assert audit_actions(db, item) == ["claimed"] and woken


def test_an_assignment_of_a_drafted_item_keeps_its_state(db: Database, items: Items) -> None:
    item = an_item(db, state=ItemState.DRAFT)
    items.assign(item_id=item, user="U0ALICE", assignee="U0BOB")
    assert item_state(db, item) is ItemState.DRAFT
    assert items.open_item(item).claimed_by == "U0BOB"
    assert audit_actions(db, item) == ["assigned"]


def test_closing_cancels_unsent_drafts(db: Database, items: Items) -> None:
    item = an_item(db, state=ItemState.DRAFT)
    pending, rejected = a_draft(db, item_id=item), a_draft(db, item_id=item, status=DraftStatus.REJECTED)
    assert items.close(item_id=item, user="U0ALICE", spam=True) is ItemState.SPAM
    assert item_state(db, item) is ItemState.SPAM
    assert draft_status(db, pending) is DraftStatus.CANCELLED
    assert draft_status(db, rejected) is DraftStatus.REJECTED
    assert ("update_draft", pending) in tasks(db, item)


def test_a_closed_item_refuses_everything_and_nothing_is_written(db: Database, items: Items) -> None:
    item = an_item(db, state=ItemState.IGNORED)
    for attempt in (
        lambda: items.claim(item_id=item, user="U0ALICE"),
        lambda: items.close(item_id=item, user="U0ALICE", spam=True),
        lambda: items.open_item(item),
    ):
        with pytest.raises(UserError, match="ignored"):
            attempt()
    assert item_state(db, item) is ItemState.IGNORED
    assert tasks(db, item) == [] and audit_actions(db, item) == []


def test_a_publishing_draft_blocks_closing(db: Database, items: Items) -> None:
    item = an_item(db, state=ItemState.DRAFT)
    a_draft(db, item_id=item, status=DraftStatus.PUBLISHING)
    with pytest.raises(UserError, match="being sent"):
        items.close(item_id=item, user="U0ALICE", spam=False)
    assert item_state(db, item) is ItemState.DRAFT


def test_an_unknown_item_is_named(items: Items) -> None:
    with pytest.raises(UserError, match="#999"):
        items.open_item(999)


def test_the_item_of_a_thread_is_found_by_its_message(db: Database, items: Items) -> None:
    item = an_item(db)
    with db.session() as session:
        session.add(ItemMessage(item_id=item, channel="C0INBOX", ts="1.5", thread_ts="1.5"))
    assert items.item_in_thread(channel="C0INBOX", thread_ts="1.5") == item
    assert items.item_in_thread(channel="C0INBOX", thread_ts="2.5") is None
    assert items.item_in_thread(channel="C0OTHER", thread_ts="1.5") is None
