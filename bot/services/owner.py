"""Asking the owner: a DM with the whole context; the answer comes back into the item's thread.

Each question is its own DM message, and an answer is matched by that message's ts, so
two questions about one item each get their own answer and an unrelated DM relays nothing.
Answering never approves anything: "Use as reply" makes an ordinary draft.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.brands import Brand, Brands
from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import duration
from bot.message_builder.notes import asked_note
from bot.message_builder.owner import answer_note
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.errors import UserError
from bot.services.items import ensure_open, get_item, refresh
from bot.services.scope import brand_or_refuse
from bot.services.transitions import move_item
from bot.storage.db import Database
from bot.storage.models import ItemState, OwnerQuestion
from bot.storage.queries import audit, open_question_count

log = logging.getLogger(__name__)


@dataclass
class Owner:
    db: Database
    clock: Clock
    brands: Brands  # each brand has its own owner
    reminder_every: timedelta
    max_reminders: int
    wake: Callable[[], None]

    def require_owner(self, brand: Brand) -> str:
        if not brand.owner:
            if not self.brands.from_file:
                raise UserError(strings.NO_OWNER)
            raise UserError(strings.NO_BRAND_OWNER.format(brand=brand.name, key=brand.key))
        return brand.owner

    def owner_of(self, *, item_id: int) -> str:
        """The owner of the item's brand; raises naming the brand when it has none."""
        with self.db.session() as session:
            item = get_item(session, item_id)
        return self.require_owner(brand_or_refuse(self.brands, key=item.brand_key, n=item_id))

    def ask(self, *, item_id: int, question: str, user: str) -> OwnerQuestion:
        self.owner_of(item_id=item_id)
        question = question.strip()
        if not question:
            raise UserError(strings.NEEDS_QUESTION.format(n=item_id))
        with self.db.session() as session:
            item = get_item(session, item_id)
            ensure_open(item)
            now = self.clock.now()
            asked = OwnerQuestion(
                item_id=item_id,
                question=question,
                asked_by=user,
                asked_at=now,
                next_reminder_at=now + self.reminder_every if self.max_reminders else None,
            )
            session.add(asked)
            session.flush()
            move_item(
                session,
                item_id=item_id,
                to=ItemState.WAITING_OWNER,
                only_from=(ItemState.NEW, ItemState.CLAIMED, ItemState.FAILED),
            )
            refresh(session, item)
            note, blocks = asked_note(user=user, question=question, question_id=asked.id)
            enqueue(session, TaskKind.NOTE, item_id=item_id, text=note, blocks=blocks)
            enqueue(session, TaskKind.OWNER_DM, item_id=item_id, ref_id=asked.id)
            audit(session, item_id=item_id, actor=user, action="asked_owner", detail=question)
        self.wake()
        return asked

    def question(self, question_id: int) -> OwnerQuestion:
        with self.db.session() as session:
            found = session.get(OwnerQuestion, question_id)
        if found is None:
            raise UserError(strings.QUESTION_GONE)
        return found

    def answer(self, *, question_id: int, text: str, user: str) -> OwnerQuestion:
        owner = self.owner_of(item_id=self.question(question_id).item_id)
        if user != owner:
            raise UserError(strings.NOT_OWNER.format(owner=owner))
        text = text.strip()
        if not text:
            raise UserError(strings.ANSWER_EMPTY)
        with self.db.session() as session:
            question = session.get(OwnerQuestion, question_id)
            if question is None:
                raise UserError(strings.QUESTION_GONE)
            now = self.clock.now()
            # The latest answer is the one "Use as reply" takes; follow-ups are relayed too.
            question.answer, question.next_reminder_at = text, None
            question.answered_at = question.answered_at or now
            session.add(question)
            session.flush()
            item = get_item(session, question.item_id)
            if open_question_count(session, item_id=question.item_id) == 0:
                move_item(
                    session,
                    item_id=question.item_id,
                    to=ItemState.CLAIMED if item.claimed_by else ItemState.NEW,
                    only_from=(ItemState.WAITING_OWNER,),
                )
            note, blocks = answer_note(question, answer=text)
            refresh(session, item)
            enqueue(session, TaskKind.NOTE, item_id=question.item_id, text=note, blocks=blocks)
            enqueue(session, TaskKind.OWNER_THANKS, item_id=question.item_id, ref_id=question.id)
            enqueue(session, TaskKind.UPDATE_OWNER_DM, item_id=question.item_id, ref_id=question.id)
            audit(session, item_id=question.item_id, actor=user, action="owner_answered", detail=text)
        log.info("owner.answered item=%s question=%s", question.item_id, question.id)
        self.wake()
        return question

    def answer_from_dm(self, *, channel: str, thread_ts: str, user: str, text: str) -> bool:
        """A reply in a DM thread; relayed only when it is the owner answering one of our questions."""
        if not any(brand.owner == user for brand in self.brands):
            log.info("owner.dm_not_from_owner")
            return False
        with self.db.session() as session:
            question = session.exec(
                select(OwnerQuestion).where(
                    OwnerQuestion.dm_channel == channel, OwnerQuestion.dm_ts == thread_ts
                )
            ).first()
        if question is None or question.id is None:
            log.info("owner.unmatched_dm")
            return False
        self.answer(question_id=question.id, text=text, user=user)
        return True

    def remind_due(self) -> int:
        now = self.clock.now()
        with self.db.session() as session:
            due = session.exec(
                select(OwnerQuestion).where(
                    col(OwnerQuestion.answered_at).is_(None),
                    col(OwnerQuestion.next_reminder_at).is_not(None),
                    col(OwnerQuestion.next_reminder_at) <= now,
                    OwnerQuestion.reminders_sent < self.max_reminders,
                )
            ).all()
        sent = 0
        for question in due:
            count = question.reminders_sent + 1
            with self.db.session() as session:
                # Conditional on the count we read: two processes never send the same reminder.
                won = session.execute(
                    update(OwnerQuestion)
                    .where(
                        col(OwnerQuestion.id) == question.id,
                        col(OwnerQuestion.reminders_sent) == question.reminders_sent,
                        col(OwnerQuestion.answered_at).is_(None),
                    )
                    .values(
                        reminders_sent=count,
                        next_reminder_at=now + self.reminder_every if count < self.max_reminders else None,
                    )
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                waited = duration(now - question.asked_at)
                enqueue(session, TaskKind.OWNER_REMINDER, item_id=question.item_id, ref_id=question.id)
                enqueue(
                    session,
                    TaskKind.NOTE,
                    item_id=question.item_id,
                    text=strings.NOTE_REMINDED.format(count=count, limit=self.max_reminders, waited=waited),
                )
                audit(
                    session,
                    item_id=question.item_id,
                    actor="system",
                    action="owner_reminded",
                    detail=str(count),
                )
            sent += 1
        if sent:
            self.wake()
        return sent
