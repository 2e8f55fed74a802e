"""The first-response clock: due and nudge instants stamped at ingest, notes sent once, the time left shown.

The arithmetic (business hours, time zones, daylight saving) is `business_hours`; this module
decides what the clock means for an item. The instants live on the item's row, so any process
can sweep them, and a conditional UPDATE on `nudged_at` / `overdue_at` makes each note go out
once however many processes sweep at the same moment.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from bot.brands import Brand, Brands
from bot.clock import Clock
from bot.message_builder import strings
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.business_hours import (
    BusinessSchedule,
    Target,
    advance,
    business_left,
    deadline,
    parse_schedule,
)
from bot.storage.db import Database
from bot.storage.models import CLOSED_STATES, Item

log = logging.getLogger(__name__)

_HOUR, _FIVE_MINUTES, _MINUTE = 3600, 300, 60
_BATCH = 200  # per sweep and kind: a backlog drains over a few sweeps without one long transaction


@dataclass(frozen=True)
class ClockPolicy:
    """One brand's clock: its business hours in its time zone, and its first-response target."""

    schedule: BusinessSchedule
    target: Target


def policy_for_brand(brand: Brand) -> ClockPolicy:
    return ClockPolicy(
        schedule=parse_schedule(hours=brand.hours, timezone=brand.timezone.key),
        target=brand.first_response,
    )


def clocks_by_brand(brands: Brands) -> Callable[[Item], ClockPolicy | None]:
    """Each item runs on its own brand's clock: that brand's hours, time zone and target.

    An item of a brand no longer in the file has no clock: nobody is counting on it.
    """
    policies = {brand.key: policy_for_brand(brand) for brand in brands}

    def policy_for(item: Item) -> ClockPolicy | None:
        return policies.get(item.brand_key)

    return policy_for


def _step(left: timedelta) -> int:
    """How finely the time left is shown: hours far out, five minutes within two hours, minutes at the end."""
    seconds = left.total_seconds()
    if seconds > 2 * _HOUR:
        return _HOUR
    if seconds > 10 * _MINUTE:
        return _FIVE_MINUTES
    return _MINUTE


def shown_left(left: timedelta) -> timedelta:
    """The time left as the message shows it: rounded up to its step, so '1m left' means under a minute."""
    step = _step(left)
    return timedelta(seconds=math.ceil(left.total_seconds() / step) * step)


def next_boundary(left: timedelta) -> timedelta:
    """The largest time left below `left` at which the shown value changes."""
    step = _step(left)
    return timedelta(seconds=(math.ceil(left.total_seconds() / step) - 1) * step)


def duration_text(amount: timedelta) -> str:
    minutes = int(amount.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p) or "0m"


def clock_text(left: timedelta) -> str:
    """What the item's message shows: the time left, or *Overdue*."""
    if left <= timedelta(0):
        return strings.CLOCK_OVERDUE
    return strings.CLOCK_LEFT.format(left=duration_text(shown_left(left)))


@dataclass
class FirstResponse:
    db: Database
    clock: Clock
    # Which clock an item runs on (None: it has none); `clocks_by_brand` in the app.
    policy_for: Callable[[Item], ClockPolicy | None]
    wake: Callable[[], None] = lambda: None

    def stamp(self, item: Item) -> None:
        """Set the item's due, nudge and first re-render instants (before it is stored)."""
        policy = self.policy_for(item)
        if policy is None:
            return
        now = self.clock.now()
        times = deadline(schedule=policy.schedule, received=now, target=policy.target)
        item.due_at, item.nudge_at = times.due, times.nudge
        item.clock_render_at = self._next_render(policy, now=now, due=times.due)

    def left(self, item: Item) -> timedelta | None:
        """Business time left to the first reply; None when the item has no running clock."""
        if item.due_at is None or item.state in CLOSED_STATES or item.removed:
            return None
        policy = self.policy_for(item)
        if policy is None:
            return None
        return business_left(schedule=policy.schedule, now=self.clock.now(), due=item.due_at)

    def label(self, item: Item) -> str | None:
        if item.due_at is not None and item.due_at <= self.clock.now() and item.state not in CLOSED_STATES:
            # Past the target there is nothing to count: *Overdue*, without walking the hours since.
            return None if item.removed else strings.CLOCK_OVERDUE
        left = self.left(item)
        return None if left is None else clock_text(left)

    def sweep(self) -> None:
        """Send the notes that are due (each once) and re-render messages whose time left changed."""
        sent = self._nudge() + self._overdue() + self._rerender()
        if sent:
            self.wake()

    def _open(self) -> list[ColumnElement[bool]]:
        return [col(Item.state).not_in(sorted(CLOSED_STATES)), col(Item.removed).is_(False)]

    def _nudge(self) -> int:
        now, sent = self.clock.now(), 0
        with self.db.session() as session:
            ids = session.exec(
                select(Item.id)
                .where(
                    col(Item.nudged_at).is_(None),
                    col(Item.nudge_at) <= now,
                    col(Item.due_at) > now,
                    *self._open(),
                )
                .order_by(col(Item.nudge_at))
                .limit(_BATCH)
            ).all()
        for item_id in ids:
            with self.db.session() as session:
                won = session.execute(
                    update(Item)
                    .where(col(Item.id) == item_id, col(Item.nudged_at).is_(None))
                    .values(nudged_at=now)
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another process sent it
                item = session.get(Item, item_id)
                assert item is not None and item.id is not None
                left = self.left(item) or timedelta(0)
                _tell(
                    session,
                    item,
                    strings.NOTE_NUDGE.format(
                        n=item.id, left=duration_text(shown_left(left)), who=_who(item)
                    ),
                )
            log.info("clock.nudged item=%s", item_id)
            sent += 1
        return sent

    def _overdue(self) -> int:
        now, sent = self.clock.now(), 0
        with self.db.session() as session:
            ids = session.exec(
                select(Item.id)
                .where(col(Item.overdue_at).is_(None), col(Item.due_at) <= now, *self._open())
                .order_by(col(Item.due_at))
                .limit(_BATCH)
            ).all()
        for item_id in ids:
            with self.db.session() as session:
                won = session.execute(
                    update(Item)
                    .where(col(Item.id) == item_id, col(Item.overdue_at).is_(None))
                    # A nudge not sent before the target passed (a stopped bot) is not sent late.
                    .values(
                        overdue_at=now,
                        nudged_at=func.coalesce(col(Item.nudged_at), now),
                        clock_render_at=None,
                    )
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                item = session.get(Item, item_id)
                assert item is not None and item.id is not None
                _tell(session, item, strings.NOTE_OVERDUE.format(n=item.id, who=_who(item)))
            log.info("clock.overdue item=%s", item_id)
            sent += 1
        return sent

    def _rerender(self) -> int:
        now, sent = self.clock.now(), 0
        with self.db.session() as session:
            rows = session.exec(
                select(Item)
                .where(col(Item.clock_render_at) <= now, col(Item.due_at) > now, *self._open())
                .order_by(col(Item.clock_render_at))
                .limit(_BATCH)
            ).all()
            for item in rows:
                policy = self.policy_for(item)
                assert item.id is not None and item.due_at is not None
                following = self._next_render(policy, now=now, due=item.due_at) if policy else None
                won = session.execute(
                    update(Item)
                    .where(col(Item.id) == item.id, col(Item.clock_render_at) <= now)
                    .values(clock_render_at=following)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    enqueue(session, TaskKind.UPDATE_ITEM, item_id=item.id)
                    sent += 1
        return sent

    @staticmethod
    def _next_render(policy: ClockPolicy, *, now: datetime, due: datetime) -> datetime | None:
        """The instant the shown time left next changes (None once only *Overdue* is left to show)."""
        left = business_left(schedule=policy.schedule, now=now, due=due)
        if left <= timedelta(0):
            return None
        boundary = next_boundary(left)
        if boundary <= timedelta(0):
            return None  # the overdue sweep re-renders at the target
        return advance(schedule=policy.schedule, start=now, amount=left - boundary)


def _who(item: Item) -> str:
    """Who the note is for: whoever claimed the item, or that nobody has."""
    return strings.NUDGE_CLAIMED.format(user=item.claimed_by) if item.claimed_by else strings.NUDGE_UNCLAIMED


def _tell(session: Session, item: Item, text: str) -> None:
    """A note in the item's thread, and its message re-rendered (its clock now says so)."""
    enqueue(session, TaskKind.NOTE, item_id=item.id or 0, text=text)
    enqueue(session, TaskKind.UPDATE_ITEM, item_id=item.id or 0)
