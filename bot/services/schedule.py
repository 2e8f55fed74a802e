"""Scheduled replies: WHEN read in the caller's time zone, kept in the database.

The database is the source of truth for what is due; the publisher's sweep (every
second, in every process) sends what is due through the same at-most-once outbox as
immediate replies, so restarts and several processes change nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dateparser
from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import escape, slack_date
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.errors import UserError
from bot.services.items import closed_meanwhile, ensure_open, get_item, refresh
from bot.services.timezones import TimeZones
from bot.services.transitions import Audit, move_draft, move_item
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, Item, ItemState
from bot.storage.queries import audit

log = logging.getLogger(__name__)

SCHEDULABLE = (DraftStatus.PENDING, DraftStatus.APPROVED)
_RELATIVE = re.compile(r"^\s*in\s+\d", re.IGNORECASE)


def local_format(moment: datetime, zone: ZoneInfo) -> str:
    """`Fri 27 Nov 14:00` in the given zone."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def parse_when(text: str, *, zone: ZoneInfo, now: datetime) -> datetime:
    """An aware UTC time from `in 10 minutes`, `tomorrow 9am`, `friday 14:00`, `2026-12-01 09:30`."""
    zone_name = str(zone.key)
    base = now.astimezone(zone).replace(tzinfo=None)
    # Parse to a naive wall time and attach the zone ourselves: dateparser would use the
    # offset in force *now*, which is an hour off for a time across a daylight-saving change.
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "TIMEZONE": zone_name,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": base,
            "DATE_ORDER": "YMD",
        },
    )
    if parsed is None:
        raise UserError(strings.UNREADABLE_TIME.format(when=escape(text), zone=zone_name))
    # "in 2 hours" is elapsed time, whatever the clocks do; anything else is a wall time there.
    moment = now + (parsed - base) if _RELATIVE.match(text) else parsed.replace(tzinfo=zone).astimezone(UTC)
    if moment <= now:
        raise UserError(
            strings.PAST_TIME.format(when=escape(text), local=local_format(moment, zone), zone=zone_name)
        )
    return moment


def warm_up() -> None:
    """dateparser builds its tables on first use (about 0.3 s); do it before the first command."""
    dateparser.parse("in 1 minute", languages=["en"])


@dataclass(frozen=True)
class Queued:
    draft: Draft
    item: Item


@dataclass
class Schedules:
    db: Database
    clock: Clock
    zones: TimeZones
    wake: Callable[[], None]

    def schedule(self, *, item_id: int, when: str, user: str) -> tuple[Draft, datetime, ZoneInfo]:
        if not when.strip():
            raise UserError(strings.NEEDS_WHEN.format(n=item_id))
        with self.db.session() as session:
            item = get_item(session, item_id)
            ensure_open(item)
        zone = self.zones.zone(user)
        send_at = parse_when(when, zone=zone, now=self.clock.now())
        with self.db.session() as session:
            item = get_item(session, item_id)
            draft = session.exec(
                select(Draft)
                .where(Draft.item_id == item_id, col(Draft.status).in_(SCHEDULABLE))
                .order_by(col(Draft.id).desc())
            ).first()
            if draft is None:
                raise UserError(strings.NO_UNSENT_DRAFT.format(n=item_id))
            # Conditional: if the publisher claimed it a moment ago, it is no longer ours to move.
            won = session.execute(
                update(Draft)
                .where(col(Draft.id) == draft.id, col(Draft.status).in_(SCHEDULABLE))
                .values(send_at=send_at, scheduled_by=user)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise UserError(strings.BEING_SENT.format(n=item_id))
            session.refresh(draft)
            if not move_item(session, item_id=item_id, to=ItemState.SCHEDULED):
                raise closed_meanwhile(session, item)
            refresh(session, item, note=strings.NOTE_SCHEDULED.format(user=user, when=slack_date(send_at)))
            enqueue(session, TaskKind.UPDATE_DRAFT, item_id=item_id, ref_id=draft.id)
            audit(session, item_id=item_id, actor=user, action="scheduled", detail=send_at.isoformat())
        log.info("schedule.set item=%s draft=%s", item_id, draft.id)
        self.wake()
        return draft, send_at, zone

    def cancel(self, *, item_id: int, user: str) -> None:
        with self.db.session() as session:
            item = get_item(session, item_id)
            draft = session.exec(
                select(Draft).where(
                    Draft.item_id == item_id,
                    col(Draft.status).in_(SCHEDULABLE),
                    col(Draft.send_at).is_not(None),
                )
            ).first()
            if draft is None:
                raise UserError(strings.NOT_SCHEDULED.format(n=item_id))
            # Back to awaiting approval: an approval was given for that time, not for "now".
            if not move_draft(
                session,
                draft_id=draft.id or 0,
                item_id=item_id,
                to=DraftStatus.PENDING,
                only_from=SCHEDULABLE,
                values={"send_at": None, "decided_by": None, "decided_at": None},
                audit=Audit(actor=user, action="unscheduled"),
            ):
                raise UserError(strings.BEING_SENT.format(n=item_id))
            move_item(session, item_id=item_id, to=ItemState.DRAFT)
            refresh(session, item, note=strings.NOTE_UNSCHEDULED.format(user=user))
        self.wake()

    def queue(self, *, brand_keys: list[str] | None = None) -> list[Queued]:
        query = (
            select(Draft, Item)
            .join(Item, col(Item.id) == col(Draft.item_id))
            .where(col(Draft.status).in_(SCHEDULABLE), col(Draft.send_at).is_not(None))
        )
        if brand_keys is not None:
            query = query.where(col(Item.brand_key).in_(brand_keys))
        with self.db.session() as session:
            rows = session.exec(query.order_by(col(Draft.send_at))).all()
            return [Queued(draft=draft, item=item) for draft, item in rows]
