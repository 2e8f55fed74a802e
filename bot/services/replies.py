"""Draft replies and their approval. Nothing reaches a platform without an approval on record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.draft import draft_blocks, draft_fallback
from bot.message_builder.format import duration, slack_date
from bot.message_builder.notes import rejected_note
from bot.platforms.base import Platform
from bot.services.errors import UserError
from bot.services.items import ensure_open, get_item, refresh
from bot.services.relay import NotReady, Relay
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, Item, ItemState, SlackTask
from bot.storage.queries import audit, enqueue

log = logging.getLogger(__name__)

UNSENT = (DraftStatus.PENDING, DraftStatus.APPROVED, DraftStatus.REJECTED, DraftStatus.FAILED)


def limit_note(platform: Platform) -> str:
    return strings.X_LINK_NOTE if platform.name == "x" else ""


@dataclass
class Replies:
    db: Database
    platforms: Mapping[str, Platform]
    clock: Clock
    approvers: list[str]
    wake: Callable[[], None]
    on_approved: Callable[[int], object] = lambda draft_id: None  # the publisher's kick

    # -- who may ---------------------------------------------------------------------------

    def is_approver(self, user: str) -> bool:
        return not self.approvers or user in self.approvers

    def require_approver(self, user: str, *, verb: str) -> None:
        if not self.is_approver(user):
            names = ", ".join(f"<@{a}>" for a in self.approvers)
            raise UserError(strings.ONLY_APPROVERS.format(verb=verb, approvers=names))

    def platform(self, item: Item) -> Platform:
        platform = self.platforms.get(item.platform)
        if platform is None:
            raise UserError(
                f"{item.platform.title()} is not connected, so #{item.id} cannot be answered from here."
            )
        return platform

    # -- drafting --------------------------------------------------------------------------

    def check_text(self, *, item: Item, text: str) -> str:
        """The reply as it will be published; raises with what is wrong."""
        text = text.strip()
        if not text:
            raise UserError(strings.EMPTY_DRAFT.format(n=item.id))
        platform = self.platform(item)
        length = platform.reply_length(text)
        if length > platform.max_reply_length:
            raise UserError(
                strings.TOO_LONG.format(
                    length=length,
                    platform=platform.label,
                    limit=platform.max_reply_length,
                    note=limit_note(platform),
                )
            )
        return text

    def draft(self, *, item_id: int, text: str, author: str, send_at: datetime | None = None) -> Draft:
        with self.db.session() as session:
            item = get_item(session, item_id)
            ensure_open(item)
            text = self.check_text(item=item, text=text)
            if session.exec(
                select(Draft.id).where(Draft.item_id == item_id, Draft.status == DraftStatus.PUBLISHING)
            ).first():
                raise UserError(strings.BEING_SENT.format(n=item_id))
            for older in session.exec(
                select(Draft).where(Draft.item_id == item_id, col(Draft.status).in_(UNSENT))
            ).all():
                older.status = DraftStatus.SUPERSEDED
                session.add(older)
                enqueue(session, kind="update_draft", item_id=item_id, ref_id=older.id)
            draft = Draft(
                item_id=item_id,
                text=text,
                author=author,
                send_at=send_at,
                scheduled_by=author if send_at else None,
            )
            session.add(draft)
            session.flush()
            item.state = ItemState.SCHEDULED if send_at else ItemState.DRAFT
            enqueue(session, kind="draft_message", item_id=item_id, ref_id=draft.id)
            scheduled = (
                strings.NOTE_SCHEDULED.format(user=author, when=slack_date(send_at)) if send_at else None
            )
            refresh(session, item, note=scheduled)
            audit(session, item_id=item_id, actor=author, action="drafted", detail=text)
        log.info("replies.drafted item=%s draft=%s", item_id, draft.id)
        self.wake()
        return draft

    # -- deciding --------------------------------------------------------------------------

    def pending_draft(self, session: Session, *, item_id: int) -> Draft:
        draft = session.exec(
            select(Draft)
            .where(Draft.item_id == item_id, Draft.status == DraftStatus.PENDING)
            .order_by(col(Draft.id).desc())
        ).first()
        if draft is None:
            raise UserError(strings.NO_DRAFT.format(n=item_id))
        return draft

    def _decidable(
        self, session: Session, *, verb: str, draft_id: int | None = None, item_id: int | None = None
    ) -> Draft:
        """The draft a click names, or the pending draft of the item a command names."""
        if draft_id is None:
            assert item_id is not None
            get_item(session, item_id)
            draft_id = self.pending_draft(session, item_id=item_id).id
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise UserError("That draft no longer exists.")
        if draft.status == DraftStatus.SUPERSEDED:
            raise UserError(strings.DRAFT_SUPERSEDED)
        if draft.status != DraftStatus.PENDING:
            raise UserError(strings.DRAFT_NOT_PENDING.format(status=_status_words(draft), verb=verb))
        return draft

    def approve(self, *, user: str, draft_id: int | None = None, item_id: int | None = None) -> Draft:
        self.require_approver(user, verb="approve")
        with self.db.session() as session:
            draft = self._decidable(session, draft_id=draft_id, item_id=item_id, verb="approved")
            draft_id = draft.id
            now = self.clock.now()
            # Conditional update: of two approvers clicking at once, exactly one wins.
            won = session.execute(
                update(Draft)
                .where(col(Draft.id) == draft_id, col(Draft.status) == DraftStatus.PENDING)
                .values(status=DraftStatus.APPROVED, decided_by=user, decided_at=now)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise UserError(strings.DRAFT_NOT_PENDING.format(status="already decided", verb="approved"))
            enqueue(session, kind="update_draft", item_id=draft.item_id, ref_id=draft_id)
            enqueue(session, kind="update_item", item_id=draft.item_id)
            if draft.send_at is not None and draft.send_at < now:
                late = strings.NOTE_LATE_APPROVAL.format(late=duration(now - draft.send_at))
                enqueue(session, kind="note", item_id=draft.item_id, text=late)
            audit(session, item_id=draft.item_id, actor=user, action="approved", detail=f"draft {draft_id}")
            session.refresh(draft)
        log.info("replies.approved item=%s draft=%s", draft.item_id, draft_id)
        self.wake()
        self.on_approved(draft.id or 0)
        return draft

    def reject(
        self, *, user: str, reason: str = "", draft_id: int | None = None, item_id: int | None = None
    ) -> Draft:
        self.require_approver(user, verb="reject")
        with self.db.session() as session:
            draft = self._decidable(session, draft_id=draft_id, item_id=item_id, verb="rejected")
            draft.status = DraftStatus.REJECTED
            draft.decided_by, draft.decided_at, draft.reason = user, self.clock.now(), reason.strip() or None
            session.add(draft)
            item = get_item(session, draft.item_id)
            item.state = ItemState.CLAIMED if item.claimed_by else ItemState.NEW
            refresh(session, item)
            note, blocks = rejected_note(by=user, author=draft.author, reason=draft.reason)
            enqueue(session, kind="note", item_id=draft.item_id, text=note, blocks=blocks)
            enqueue(session, kind="update_draft", item_id=draft.item_id, ref_id=draft.id)
            audit(session, item_id=draft.item_id, actor=user, action="rejected", detail=draft.reason or "")
        self.wake()
        return draft

    def editable(self, *, draft_id: int) -> tuple[Draft, Item]:
        with self.db.session() as session:
            draft = self._decidable(session, draft_id=draft_id, verb="edited")
            return draft, get_item(session, draft.item_id)


def _status_words(draft: Draft) -> str:
    return {
        DraftStatus.APPROVED: "already approved",
        DraftStatus.PUBLISHING: "being sent",
        DraftStatus.PUBLISHED: "already published",
        DraftStatus.REJECTED: "rejected",
        DraftStatus.FAILED: "failed",
        DraftStatus.CANCELLED: "cancelled",
    }.get(DraftStatus(draft.status), draft.status)


# -- relay runners: the draft's own message in the thread ------------------------------------


def _render(relay: Relay, draft_id: int) -> tuple[Draft, str, list[dict[str, object]]]:
    with relay.db.session() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        item = session.get(Item, draft.item_id)
        assert item is not None
    platform = relay.platforms.get(item.platform)
    label = platform.label if platform else item.platform.title()
    length = platform.reply_length(draft.text) if platform else len(draft.text)
    limit = platform.max_reply_length if platform else 0
    blocks = draft_blocks(draft, item=item, platform_label=label, length=length, limit=limit)
    return draft, draft_fallback(draft, item=item), blocks


def post_draft_message(relay: Relay, task: SlackTask) -> None:
    assert task.ref_id is not None
    draft, text, blocks = _render(relay, task.ref_id)
    if draft.slack_ts:
        return
    posted = relay.post_in_thread(task.item_id, text=text, blocks=blocks)
    with relay.db.session() as session:
        session.execute(update(Draft).where(col(Draft.id) == draft.id).values(slack_ts=posted.ts))


def update_draft_message(relay: Relay, task: SlackTask) -> None:
    assert task.ref_id is not None
    draft, text, blocks = _render(relay, task.ref_id)
    if not draft.slack_ts:
        raise NotReady("draft message not posted yet")
    message = relay.message_of(task.item_id)
    relay.client.chat_update(channel=message.channel, ts=draft.slack_ts, text=text, blocks=blocks)


def register_runners(relay: Relay) -> None:
    relay.register("draft_message", post_draft_message)
    relay.register("update_draft", update_draft_message)
