"""Draft replies and their approval. Nothing reaches a platform without an approval on record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.brands import Brand, Brands
from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import duration, escape, slack_date
from bot.message_builder.notes import rejected_note
from bot.platforms.base import Platform, WindowedPlatform
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.accounts import PlatformRegistry
from bot.services.conversations import last_customer_message
from bot.services.errors import UserError
from bot.services.items import closed_meanwhile, ensure_open, get_item, refresh
from bot.services.scope import brand_or_refuse
from bot.services.transitions import Audit, move_draft, move_item
from bot.slack_text import slack_only
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, Item, ItemState

log = logging.getLogger(__name__)

UNSENT = (
    DraftStatus.PENDING,
    DraftStatus.APPROVED,
    DraftStatus.REJECTED,
    DraftStatus.FAILED,
    DraftStatus.HELD,
)


def limit_note(platform: Platform) -> str:
    return strings.X_LINK_NOTE if platform.name == "x" else ""


@dataclass
class Replies:
    db: Database
    platforms: PlatformRegistry
    clock: Clock
    brands: Brands  # approvers are per brand
    wake: Callable[[], None]
    on_approved: Callable[[int], object] = lambda draft_id: None  # the publisher's kick

    # -- who may ---------------------------------------------------------------------------

    def require_approver(self, user: str, *, verb: str, brand: Brand) -> None:
        if not brand.may_approve(user):
            names = ", ".join(f"<@{a}>" for a in brand.approvers)
            raise UserError(strings.ONLY_APPROVERS.format(verb=verb, approvers=names))

    def platform_names(self) -> frozenset[str]:
        return frozenset(self.platforms.names())

    def require_approver_of(self, session: Session, user: str, *, verb: str, item_id: int) -> None:
        """The approvers of the item's own brand decide, wherever the request came from."""
        item = get_item(session, item_id)
        brand = brand_or_refuse(self.brands, key=item.brand_key, n=item_id)
        self.require_approver(user, verb=verb, brand=brand)

    def platform(self, item: Item) -> Platform:
        platform = self.platforms.for_item(item)
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

    def draft(
        self,
        *,
        item_id: int,
        text: str,
        author: str,
        send_at: datetime | None = None,
        source: str | None = None,
    ) -> Draft:
        """`source` names the Slack request that made it: a retry or replay of it returns the same draft."""
        if source is not None:
            made = self._made_by(source)
            if made is not None:
                log.info("replies.replayed item=%s draft=%s", made.item_id, made.id)
                return made
        try:
            return self._draft(item_id=item_id, text=text, author=author, send_at=send_at, source=source)
        except IntegrityError:
            # The same request, delivered twice at once: the other delivery made the draft.
            made = self._made_by(source) if source is not None else None
            if made is None:
                raise
            return made

    def _made_by(self, source: str) -> Draft | None:
        with self.db.session() as session:
            return session.exec(select(Draft).where(Draft.source == source)).first()

    def _draft(
        self, *, item_id: int, text: str, author: str, send_at: datetime | None, source: str | None
    ) -> Draft:
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
                move_draft(
                    session,
                    draft_id=older.id or 0,
                    item_id=item_id,
                    to=DraftStatus.SUPERSEDED,
                    only_from=UNSENT,
                )
            draft = Draft(
                item_id=item_id,
                text=text,
                author=author,
                send_at=send_at,
                scheduled_by=author if send_at else None,
                source=source,
            )
            session.add(draft)
            session.flush()
            if not move_item(
                session,
                item_id=item_id,
                to=ItemState.SCHEDULED if send_at else ItemState.DRAFT,
                audit=Audit(actor=author, action="drafted", detail=text),
            ):
                raise closed_meanwhile(session, item)
            enqueue(session, TaskKind.DRAFT_MESSAGE, item_id=item_id, ref_id=draft.id)
            scheduled = (
                strings.NOTE_SCHEDULED.format(user=author, when=slack_date(send_at)) if send_at else None
            )
            refresh(session, item, note=scheduled)
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
            raise UserError(strings.DRAFT_GONE)
        if draft.status == DraftStatus.SUPERSEDED:
            raise UserError(strings.DRAFT_SUPERSEDED)
        if draft.status != DraftStatus.PENDING:
            raise UserError(strings.DRAFT_NOT_PENDING.format(status=_status_words(draft), verb=verb))
        return draft

    def approve(self, *, user: str, draft_id: int | None = None, item_id: int | None = None) -> Draft:
        with self.db.session() as session:
            self._require_deciding(session, user, verb="approve", draft_id=draft_id, item_id=item_id)
            draft = self._decidable(session, draft_id=draft_id, item_id=item_id, verb="approved")
            markup = slack_only(draft.text)
            if markup:
                shown = ", ".join(f"`{escape(m)}`" for m in markup)
                raise UserError(strings.SLACK_MARKUP.format(n=draft.item_id, markup=shown))
            draft_id = draft.id
            now = self.clock.now()
            self._check_window(session, draft=draft, now=now)
            # Conditional update: of two approvers clicking at once, exactly one wins.
            if not move_draft(
                session,
                draft_id=draft.id or 0,
                item_id=draft.item_id,
                to=DraftStatus.APPROVED,
                only_from=(DraftStatus.PENDING,),
                values={"decided_by": user, "decided_at": now},
                audit=Audit(actor=user, action="approved", detail=f"draft {draft_id}"),
            ):
                raise UserError(strings.DRAFT_NOT_PENDING.format(status="already decided", verb="approved"))
            enqueue(session, TaskKind.UPDATE_ITEM, item_id=draft.item_id)
            if draft.send_at is not None and draft.send_at < now:
                late = strings.NOTE_LATE_APPROVAL.format(late=duration(now - draft.send_at))
                enqueue(session, TaskKind.NOTE, item_id=draft.item_id, text=late)
            session.refresh(draft)
        log.info("replies.approved item=%s draft=%s", draft.item_id, draft_id)
        self.wake()
        self.on_approved(draft.id or 0)
        return draft

    def _check_window(self, session: Session, *, draft: Draft, now: datetime) -> None:
        """Meta refuses a message outside its window: refuse the approval now, saying why."""
        item = get_item(session, draft.item_id)
        platform = self.platforms.for_item(item)
        if not isinstance(platform, WindowedPlatform):
            return
        last = last_customer_message(session, item)
        if last is None:
            return
        window = platform.reply_window
        closes = last + window
        hours = int(window.total_seconds() // 3600)
        if now >= closes:
            log.info("replies.window_closed item=%s", item.id)
            raise UserError(
                strings.WINDOW_CLOSED.format(
                    n=item.id,
                    platform=platform.label,
                    hours=hours,
                    ago=duration(now - closes),
                    when=slack_date(closes),
                )
            )
        if draft.send_at is not None and draft.send_at >= closes:
            raise UserError(
                strings.WINDOW_CLOSES_BEFORE_SEND.format(
                    n=item.id,
                    send_at=slack_date(draft.send_at),
                    hours=hours,
                    platform=platform.label,
                    closes=slack_date(closes),
                )
            )

    def reject(
        self, *, user: str, reason: str = "", draft_id: int | None = None, item_id: int | None = None
    ) -> Draft:
        with self.db.session() as session:
            self._require_deciding(session, user, verb="reject", draft_id=draft_id, item_id=item_id)
            draft = self._decidable(session, draft_id=draft_id, item_id=item_id, verb="rejected")
            why = reason.strip() or None
            if not move_draft(
                session,
                draft_id=draft.id or 0,
                item_id=draft.item_id,
                to=DraftStatus.REJECTED,
                only_from=(DraftStatus.PENDING,),
                values={"decided_by": user, "decided_at": self.clock.now(), "reason": why},
                audit=Audit(actor=user, action="rejected", detail=why or ""),
            ):
                raise UserError(strings.DRAFT_NOT_PENDING.format(status="already decided", verb="rejected"))
            session.refresh(draft)
            item = get_item(session, draft.item_id)
            move_item(
                session, item_id=draft.item_id, to=ItemState.CLAIMED if item.claimed_by else ItemState.NEW
            )
            refresh(session, item)
            note, blocks = rejected_note(by=user, author=draft.author, reason=why)
            enqueue(session, TaskKind.NOTE, item_id=draft.item_id, text=note, blocks=blocks)
        self.wake()
        return draft

    def get_draft(self, draft_id: int) -> Draft:
        """The draft whatever its status: for reading, such as its full text."""
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
        if draft is None:
            raise UserError(strings.DRAFT_GONE)
        return draft

    def _require_deciding(
        self, session: Session, user: str, *, verb: str, draft_id: int | None, item_id: int | None
    ) -> None:
        """Who may decide is asked first, so a non-approver learns nothing about the draft."""
        if draft_id is not None:
            draft = session.get(Draft, draft_id)
            if draft is None:
                raise UserError(strings.DRAFT_GONE)
            item_id = draft.item_id
        assert item_id is not None
        self.require_approver_of(session, user, verb=verb, item_id=item_id)

    def check_approver(self, user: str, *, verb: str, draft_id: int) -> None:
        """Refuse before a modal opens, so a non-approver never types a reason for nothing."""
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            if draft is None:
                raise UserError(strings.DRAFT_GONE)
            self.require_approver_of(session, user, verb=verb, item_id=draft.item_id)

    def editable(self, *, draft_id: int) -> tuple[Draft, Item]:
        with self.db.session() as session:
            held = session.get(Draft, draft_id)
            if held is not None and held.status == DraftStatus.HELD:
                return held, get_item(session, held.item_id)  # its edit replaces it with a new draft
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
    }.get(draft.status, draft.status)
