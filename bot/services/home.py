"""What the App Home tab shows one person: their items, the open queue, their approvals, questions, sends.

Each list is read with a LIMIT and counted separately, so the page costs the same with a
hundred open items or a hundred thousand, and the view stays inside Slack's 100 blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.models import (
    CLOSED_STATES,
    Draft,
    DraftStatus,
    Item,
    ItemMessage,
    ItemState,
    OwnerQuestion,
)

T = TypeVar("T")
OPEN_STATES = sorted(set(ItemState) - CLOSED_STATES)

CLAIMED_ROWS, OPEN_ROWS, APPROVAL_ROWS, QUESTION_ROWS, SCHEDULED_ROWS = 8, 10, 8, 5, 5


@dataclass(frozen=True)
class HomeItem:
    id: int
    platform: str
    author: str
    text: str
    received_at: datetime
    clock: str | None
    claimed_by: str | None
    channel: str | None  # where its message is (None: not posted yet)
    ts: str | None


@dataclass(frozen=True)
class HomeDraft:
    id: int
    item: HomeItem
    text: str
    author: str
    send_at: datetime | None


@dataclass(frozen=True)
class HomeQuestion:
    id: int
    item: HomeItem
    question: str
    asked_by: str
    asked_at: datetime


@dataclass(frozen=True)
class Section(Generic[T]):
    rows: tuple[T, ...]
    total: int


@dataclass(frozen=True)
class HomePage:
    user: str
    now: datetime
    claimed: Section[HomeItem]
    open: Section[HomeItem]
    approvals: Section[HomeDraft] | None  # None: the person is not an approver
    questions: Section[HomeQuestion]
    scheduled: Section[HomeDraft]
    is_owner: bool
    notice: str | None = None  # why the last action from the tab was refused


@dataclass
class Home:
    db: Database
    clock: Clock
    clock_label: Callable[[Item], str | None]
    may_approve: Callable[[str], bool]
    owner: str | None

    def page(self, *, user: str, notice: str | None = None) -> HomePage:
        with self.db.session() as session:
            # IN over the open states, not NOT IN the closed ones: the state index then finds them.
            open_items: list[ColumnElement[bool]] = [
                col(Item.state).in_(OPEN_STATES),
                col(Item.removed).is_(False),
            ]
            claimed_where = [*open_items, col(Item.claimed_by) == user]
            claimed = self._items(session, claimed_where, limit=CLAIMED_ROWS)
            queue = self._items(session, open_items, limit=OPEN_ROWS)
            approvals = (
                self._drafts(
                    session, [col(Draft.status) == DraftStatus.PENDING], APPROVAL_ROWS, by_send=False
                )
                if self.may_approve(user)
                else None
            )
            scheduled = self._drafts(
                session,
                [col(Draft.status) == DraftStatus.APPROVED, col(Draft.send_at).is_not(None)],
                SCHEDULED_ROWS,
                by_send=True,
            )
            questions = self._questions(session)
        return HomePage(
            user=user,
            now=self.clock.now(),
            claimed=claimed,
            open=queue,
            approvals=approvals,
            questions=questions,
            scheduled=scheduled,
            is_owner=bool(self.owner) and user == self.owner,
            notice=notice,
        )

    def _items(self, session: Session, where: list[ColumnElement[bool]], *, limit: int) -> Section[HomeItem]:
        total = session.exec(select(func.count()).select_from(Item).where(*where)).one()
        rows = session.exec(
            select(Item, ItemMessage)
            .join(ItemMessage, col(ItemMessage.item_id) == col(Item.id), isouter=True)
            .where(*where)
            .order_by(col(Item.received_at), col(Item.id))
            .limit(limit)
        ).all()
        return Section(rows=tuple(self._row(item, message) for item, message in rows), total=int(total))

    def _drafts(
        self, session: Session, where: list[ColumnElement[bool]], limit: int, *, by_send: bool
    ) -> Section[HomeDraft]:
        total = session.exec(select(func.count()).select_from(Draft).where(*where)).one()
        order = col(Draft.send_at) if by_send else col(Draft.created_at)
        rows = session.exec(
            select(Draft, Item, ItemMessage)
            .join(Item, col(Item.id) == col(Draft.item_id))
            .join(ItemMessage, col(ItemMessage.item_id) == col(Item.id), isouter=True)
            .where(*where)
            .order_by(order, col(Draft.id))
            .limit(limit)
        ).all()
        return Section(
            rows=tuple(
                HomeDraft(
                    id=draft.id or 0,
                    item=self._row(item, message),
                    text=draft.text,
                    author=draft.author,
                    send_at=draft.send_at,
                )
                for draft, item, message in rows
            ),
            total=int(total),
        )

    def _questions(self, session: Session) -> Section[HomeQuestion]:
        where = [col(OwnerQuestion.answered_at).is_(None), col(Item.state).in_(OPEN_STATES)]
        joined = (
            select(func.count())
            .select_from(OwnerQuestion)
            .join(Item, col(Item.id) == col(OwnerQuestion.item_id))
        )
        total = session.exec(joined.where(*where)).one()
        rows = session.exec(
            select(OwnerQuestion, Item, ItemMessage)
            .join(Item, col(Item.id) == col(OwnerQuestion.item_id))
            .join(ItemMessage, col(ItemMessage.item_id) == col(Item.id), isouter=True)
            .where(*where)
            .order_by(col(OwnerQuestion.asked_at), col(OwnerQuestion.id))
            .limit(QUESTION_ROWS)
        ).all()
        return Section(
            rows=tuple(
                HomeQuestion(
                    id=question.id or 0,
                    item=self._row(item, message),
                    question=question.question,
                    asked_by=question.asked_by,
                    asked_at=question.asked_at,
                )
                for question, item, message in rows
            ),
            total=int(total),
        )

    def _row(self, item: Item, message: ItemMessage | None) -> HomeItem:
        return HomeItem(
            id=item.id or 0,
            platform=item.platform,
            author=item.author_name or item.author_handle,
            text=item.text,
            received_at=item.received_at,
            clock=self.clock_label(item),
            claimed_by=item.claimed_by,
            channel=message.channel if message else None,
            ts=message.ts if message else None,
        )
