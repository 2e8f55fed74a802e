"""Rows for tests that use the database without a bot: the least an item or a draft needs."""

from __future__ import annotations

import itertools

from sqlmodel import col, select

from bot.storage.db import Database
from bot.storage.models import Account, AuditEvent, Draft, DraftStatus, Item, ItemState, SlackTask

_ids = itertools.count(1)


def an_item(db: Database, *, state: ItemState = ItemState.NEW, claimed_by: str | None = None) -> int:
    with db.session() as session:
        account = Account(platform="facebook", external_id=f"page{next(_ids)}", slack_channel="C0INBOX")
        session.add(account)
        session.flush()
        item = Item(
            platform="facebook",
            external_id=f"c{next(_ids)}",
            account_id=account.id or 0,
            text="Do you ship to Canada?",
            state=state,
            claimed_by=claimed_by,
        )
        session.add(item)
        session.flush()
        return item.id or 0


def a_draft(db: Database, *, item_id: int, status: DraftStatus = DraftStatus.PENDING) -> int:
    with db.session() as session:
        draft = Draft(item_id=item_id, text="Yes!", author="U0ALICE", status=status)
        session.add(draft)
        session.flush()
        return draft.id or 0


def tasks(db: Database, item_id: int) -> list[tuple[str, int | None]]:
    """(kind, ref_id) of the item's pending tasks, in order."""
    with db.session() as session:
        rows = session.exec(
            select(SlackTask).where(SlackTask.item_id == item_id, col(SlackTask.done).is_(False))
        ).all()
        return [(row.kind, row.ref_id) for row in sorted(rows, key=lambda r: r.id or 0)]


def audit_actions(db: Database, item_id: int) -> list[str]:
    with db.session() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.item_id == item_id)).all()
        return [row.action for row in sorted(rows, key=lambda r: r.id or 0)]


def item_state(db: Database, item_id: int) -> ItemState:
    with db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        return item.state


def draft_status(db: Database, draft_id: int) -> DraftStatus:
    with db.session() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.status
