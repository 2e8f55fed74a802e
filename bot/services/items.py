"""Items as the team handles them: look-up, claim, assign, close, the open list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, TextClause, func, text
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.platforms.base import ReplyTarget
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.errors import UserError
from bot.services.transitions import Audit, move_draft, move_item
from bot.storage.db import Database
from bot.storage.models import (
    CLOSED_STATES,
    INBOX_ITEM_SQL,
    Draft,
    DraftStatus,
    Item,
    ItemMessage,
    ItemState,
    OwnerQuestion,
)
from bot.storage.queries import among, audit, not_for_index

STATE_WORDS = {ItemState.REPLIED: "replied", ItemState.IGNORED: "ignored", ItemState.SPAM: "marked as spam"}


def get_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise UserError(strings.UNKNOWN_ITEM.format(n=item_id))
    return item


def ensure_open(item: Item) -> None:
    if item.state in CLOSED_STATES:
        raise UserError(strings.ITEM_CLOSED.format(n=item.id, state=STATE_WORDS[item.state]))


def closed_meanwhile(session: Session, item: Item) -> UserError:
    """The refusal for a move lost to a writer who closed the item a moment ago."""
    session.refresh(item)
    try:
        ensure_open(item)
    except UserError as exc:
        return exc
    return UserError(strings.BEING_SENT.format(n=item.id))


def refresh(session: Session, item: Item, *, note: str | None = None) -> None:
    """Queue a re-render of the item's message, and a note in its thread."""
    assert item.id is not None
    session.add(item)
    enqueue(session, TaskKind.UPDATE_ITEM, item_id=item.id)
    if note:
        enqueue(session, TaskKind.NOTE, item_id=item.id, text=note)


@dataclass(frozen=True)
class OpenItem:
    item: Item
    received_at: datetime
    waiting_owner: bool


@dataclass(frozen=True)
class InboxFilter:
    brand_keys: list[str] | None = None  # a brand's channel shows its own items only
    platform: str | None = None
    claimed_by: str | None = None  # "mine"
    waiting_owner: bool = False
    page: int = 1  # from 1


@dataclass(frozen=True)
class InboxPage:
    items: list[OpenItem]
    total: int  # open items matching the filter, on every page
    page: int
    pages: int


@dataclass
class Items:
    db: Database
    clock: Clock
    wake: Callable[[], None]
    # Platforms whose Spam action also hides the comment there (ModeratedPlatform).
    holds_for_review: frozenset[str] = frozenset()

    def open_item(self, item_id: int) -> Item:
        """The item, if it can still be worked on; raises with why not."""
        with self.db.session() as session:
            item = get_item(session, item_id)
        ensure_open(item)
        return item

    def item(self, item_id: int) -> Item:
        """The item whatever its state: for reading, such as its full text."""
        with self.db.session() as session:
            return get_item(session, item_id)

    def item_in_thread(self, *, channel: str, thread_ts: str) -> int | None:
        """The item whose Slack message starts this thread, if any."""
        with self.db.session() as session:
            message = session.exec(
                select(ItemMessage).where(ItemMessage.channel == channel, ItemMessage.ts == thread_ts)
            ).first()
        return message.item_id if message else None

    def claim(self, *, item_id: int, user: str) -> None:
        self._take(item_id=item_id, by=user, to=user, note=strings.NOTE_CLAIMED.format(user=user))

    def assign(self, *, item_id: int, user: str, assignee: str) -> None:
        self._take(
            item_id=item_id, by=user, to=assignee, note=strings.NOTE_ASSIGNED.format(by=user, user=assignee)
        )

    def _take(self, *, item_id: int, by: str, to: str, note: str) -> None:
        with self.db.session() as session:
            item = get_item(session, item_id)
            ensure_open(item)
            item.claimed_by = to
            session.add(item)
            move_item(
                session, item_id=item_id, to=ItemState.CLAIMED, only_from=(ItemState.NEW, ItemState.FAILED)
            )
            refresh(session, item, note=note)
            audit(session, item_id=item_id, actor=by, action="assigned" if by != to else "claimed", detail=to)
        self.wake()

    def close(self, *, item_id: int, user: str, spam: bool) -> ItemState:
        state = ItemState.SPAM if spam else ItemState.IGNORED
        with self.db.session() as session:
            item = get_item(session, item_id)
            ensure_open(item)
            if session.exec(
                select(Draft.id).where(Draft.item_id == item_id, Draft.status == DraftStatus.PUBLISHING)
            ).first():
                raise UserError(strings.BEING_SENT.format(n=item_id))
            for draft in session.exec(
                select(Draft).where(
                    Draft.item_id == item_id,
                    col(Draft.status).in_([DraftStatus.PENDING, DraftStatus.APPROVED, DraftStatus.HELD]),
                )
            ).all():
                move_draft(
                    session,
                    draft_id=draft.id or 0,
                    item_id=item_id,
                    to=DraftStatus.CANCELLED,
                    only_from=(DraftStatus.PENDING, DraftStatus.APPROVED, DraftStatus.HELD),
                )
            if not move_item(session, item_id=item_id, to=state, audit=Audit(actor=user, action=state.value)):
                raise closed_meanwhile(session, item)
            # An item shown only as a line of a group has no thread; its line shows the new state.
            threadless = item.group_id is not None and session.get(ItemMessage, item_id) is None
            note = None if threadless else strings.NOTE_CLOSED.format(user=user, state=state.value)
            refresh(session, item, note=note)
            if spam and item.platform in self.holds_for_review:
                enqueue(session, TaskKind.HOLD_FOR_REVIEW, item_id=item_id)
        self.wake()
        return state

    def open_items(self, *, brand_keys: list[str] | None = None, limit: int = 50) -> list[OpenItem]:
        """The oldest open items; only those of `brand_keys` when given (a brand's channel)."""
        return self.inbox(where=InboxFilter(brand_keys=brand_keys), page_size=limit).items

    def inbox(self, *, where: InboxFilter = InboxFilter(), page_size: int = 40) -> InboxPage:
        """Open items oldest first, one page of them, and how many match in all."""
        with self.db.session() as session:
            total = session.exec(self._count(where)).one()
            pages = max(1, -(-total // page_size))
            page = min(max(1, where.page), pages)
            items = session.exec(self._page(where, page=page, page_size=page_size)).all()
            asked = set(
                session.exec(
                    select(OwnerQuestion.item_id).where(
                        col(OwnerQuestion.item_id).in_([i.id for i in items]),
                        col(OwnerQuestion.answered_at).is_(None),
                    )
                ).all()
            )
        return InboxPage(
            items=[
                OpenItem(item=item, received_at=item.received_at, waiting_owner=item.id in asked)
                for item in items
            ],
            total=total,
            page=page,
            pages=pages,
        )

    def inbox_statements(self, *, where: InboxFilter, page_size: int = 40) -> dict[str, Any]:
        """The count and the page query of `inbox` (the bench prints their plans)."""
        return {"count": self._count(where), "page": self._page(where, page=1, page_size=page_size)}

    @staticmethod
    def _conditions(where: InboxFilter) -> list[ColumnElement[bool] | TextClause]:
        # The partial index's own text (see INBOX_ITEM_SQL), then filters on columns of that index,
        # so even the count reads the index alone. On SQLite each filter is kept from the column's
        # own index (ix_item_brand_key, the platform's unique index), or its planner reads the
        # 330,000 rows of a brand at a million items instead of 100,000 index entries (~300 ms).
        conditions: list[ColumnElement[bool] | TextClause] = [text(INBOX_ITEM_SQL)]
        if where.brand_keys is not None:
            conditions.append(not_for_index(col(Item.brand_key)).in_(where.brand_keys))
        if where.platform:
            conditions.append(not_for_index(col(Item.platform)) == where.platform)
        if where.claimed_by:
            conditions.append(not_for_index(col(Item.claimed_by)) == where.claimed_by)
        if where.waiting_owner:
            # From the few unanswered questions to their items, not a probe per open item.
            unanswered = select(OwnerQuestion.item_id).where(text("answered_at IS NULL"))
            conditions.append(among(col(Item.id), unanswered))
        return conditions

    def _count(self, where: InboxFilter) -> Any:
        return select(func.count()).select_from(Item).where(*self._conditions(where))

    def _page(self, where: InboxFilter, *, page: int, page_size: int) -> Any:
        return (
            select(Item)
            .where(*self._conditions(where))
            .order_by(col(Item.received_at), col(Item.id))
            .offset((page - 1) * page_size)
            .limit(page_size)
        )


def reply_target(item: Item) -> ReplyTarget:
    """What a platform needs to reply to the item, or to look for it (the publisher, the pre-send look)."""
    return ReplyTarget(
        external_id=item.external_id, author_handle=item.author_handle, conversation_id=item.conversation_id
    )
