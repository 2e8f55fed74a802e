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

from bot.brands import Brands
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
    brand: str | None = None  # the brand's name, shown when there are several brands


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
    answerable: bool = False  # the person looking owns the item's brand


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
    approvals: Section[HomeDraft] | None  # None: the person approves for no brand
    questions: Section[HomeQuestion]
    scheduled: Section[HomeDraft]
    is_owner: bool
    notice: str | None = None  # why the last action from the tab was refused


@dataclass
class Home:
    db: Database
    clock: Clock
    clock_label: Callable[[Item], str | None]
    # Approvers and owner are per brand: drafts show only for brands the person may approve,
    # and Answer only on questions of brands the person owns.
    brands: Brands

    def page(self, *, user: str, notice: str | None = None) -> HomePage:
        approves = [b.key for b in self.brands if b.may_approve(user)]
        owns = frozenset(b.key for b in self.brands if b.owner and b.owner == user)
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
                    session,
                    [col(Draft.status) == DraftStatus.PENDING, col(Item.brand_key).in_(approves)],
                    APPROVAL_ROWS,
                    by_send=False,
                )
                if approves
                else None
            )
            scheduled = self._drafts(
                session,
                [col(Draft.status) == DraftStatus.APPROVED, col(Draft.send_at).is_not(None)],
                SCHEDULED_ROWS,
                by_send=True,
            )
            questions = self._questions(session, owns=owns)
        return HomePage(
            user=user,
            now=self.clock.now(),
            claimed=claimed,
            open=queue,
            approvals=approvals,
            questions=questions,
            scheduled=scheduled,
            is_owner=bool(owns),
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
        total = session.exec(
            select(func.count())
            .select_from(Draft)
            .join(Item, col(Item.id) == col(Draft.item_id))
            .where(*where)
        ).one()
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

    def _questions(self, session: Session, *, owns: frozenset[str]) -> Section[HomeQuestion]:
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
                    answerable=item.brand_key in owns,
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
            brand=self._brand_label(item.brand_key),
        )

    def _brand_label(self, key: str) -> str | None:
        if len(self.brands) == 1:
            return None  # one brand: naming it on every row says nothing
        brand = self.brands.get(key)
        return brand.name if brand is not None else key
