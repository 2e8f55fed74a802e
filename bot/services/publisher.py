"""The outbox: approved replies go to their platform at most once.

A draft is claimed with a conditional UPDATE (APPROVED -> PUBLISHING, with a lease)
before the platform call, and its platform id is recorded after. A double click, two
processes or a retry can never claim it twice. A claim whose lease ran out means a
process died mid-call: whether the platform got it is unknown, so it is shown as
failed with a Retry button instead of being sent again on a guess.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import duration, escape, link
from bot.platforms.base import Platform, PlatformError, Published, ReplyTarget, TransientError
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.accounts import PlatformRegistry
from bot.services.errors import UserError
from bot.services.transitions import Audit, move_draft, move_item
from bot.storage.db import Database
from bot.storage.models import CLOSED_STATES, Draft, DraftStatus, Item, ItemState

log = logging.getLogger(__name__)


@dataclass
class Publisher:
    db: Database
    platforms: PlatformRegistry
    clock: Clock
    wake: Callable[[], None]
    max_attempts: int = 5
    lease: timedelta = timedelta(minutes=5)
    base_backoff: timedelta = timedelta(seconds=2)
    workers: int = 4
    # A last look before a scheduled send (bot.services.presend); False: it ended the claim itself.
    pre_send: Callable[[Draft, Item, Platform], bool] = lambda draft, item, platform: True
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    # -- entry points ------------------------------------------------------------------------

    def publish_due(self) -> int:
        """Send every approved reply that is due; returns how many went out."""
        now = self.clock.now()
        with self.db.session() as session:
            due = session.exec(
                select(Draft.id)
                .where(
                    Draft.status == DraftStatus.APPROVED,
                    or_(col(Draft.send_at).is_(None), col(Draft.send_at) <= now),
                    or_(col(Draft.next_attempt_at).is_(None), col(Draft.next_attempt_at) <= now),
                )
                .order_by(col(Draft.send_at), col(Draft.id))
            ).all()
        if not due:
            return 0
        if len(due) == 1:
            return int(self.publish(due[0] or 0))
        pool = self._executor()
        return sum(pool.map(lambda draft_id: int(self.publish(draft_id or 0)), due))

    def publish(self, draft_id: int) -> bool:
        """Claim and send one draft if it is approved and due; True when it was published."""
        draft = self._claim(draft_id)
        if draft is None:
            return False
        with self.db.session() as session:
            item = session.get(Item, draft.item_id)
            assert item is not None
        platform = self.platforms.for_item(item)
        if platform is None:
            self._failed(draft, item, reason=f"{item.platform} is not connected", transient=False)
            return False
        if not self.pre_send(draft, item, platform):
            return False
        target = ReplyTarget(
            external_id=item.external_id,
            author_handle=item.author_handle,
            conversation_id=item.conversation_id,
        )
        try:
            published = platform.publish_reply(target=target, text=draft.text)
        except PlatformError as exc:
            self._failed(
                draft,
                item,
                reason=exc.reason,
                transient=isinstance(exc, TransientError),
                retry_after=exc.retry_after if isinstance(exc, TransientError) else None,
            )
            return False
        except Exception as exc:  # an adapter bug must not leave the claim hanging silently
            log.exception("publish.crashed draft=%s", draft.id)
            self._failed(draft, item, reason=f"unexpected error: {type(exc).__name__}", transient=False)
            return False
        self._published(draft, item, published, platform)
        return True

    def kick(self, draft_id: int) -> None:
        """Publish soon on the publisher's own threads, so a click's listener is free at once."""
        self._executor().submit(self._publish_logged, draft_id)

    def _publish_logged(self, draft_id: int) -> None:
        try:
            self.publish(draft_id)
        except Exception:  # a thread of the pool has nobody else to tell
            log.exception("publish.kick_failed draft=%s", draft_id)

    def recover_interrupted(self) -> int:
        """Claims whose lease ran out: a process died mid-send. Show them; never resend blindly."""
        now = self.clock.now()
        with self.db.session() as session:
            stale = session.exec(
                select(Draft).where(Draft.status == DraftStatus.PUBLISHING, col(Draft.claimed_until) < now)
            ).all()
        count = 0
        for draft in stale:
            with self.db.session() as session:
                if not move_draft(
                    session,
                    draft_id=draft.id or 0,
                    item_id=draft.item_id,
                    to=DraftStatus.FAILED,
                    only_from=(DraftStatus.PUBLISHING,),
                    where=(col(Draft.claimed_until) < now,),
                    values={
                        "claimed_until": None,
                        "last_error": "interrupted mid-send; check the platform before retrying",
                    },
                    audit=Audit(actor="system", action="interrupted", detail=f"draft {draft.id}"),
                ):
                    continue
                item = session.get(Item, draft.item_id)
                assert item is not None
                move_item(session, item_id=draft.item_id, to=ItemState.FAILED)
                self._note(
                    session, draft.item_id, strings.NOTE_INTERRUPTED.format(platform=self._label(item))
                )
            count += 1
        if count:
            log.warning("publish.interrupted count=%s", count)
            self.wake()
        return count

    def retry(self, *, draft_id: int, user: str) -> Draft:
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            if draft is None or draft.status != DraftStatus.FAILED:
                raise UserError(strings.RETRY_NOT_FAILED)
            item = session.get(Item, draft.item_id)
            assert item is not None
            if item.state in CLOSED_STATES:
                raise UserError(strings.ITEM_CLOSED.format(n=item.id, state=item.state.value))
            if not move_draft(
                session,
                draft_id=draft_id,
                item_id=draft.item_id,
                to=DraftStatus.APPROVED,
                only_from=(DraftStatus.FAILED,),
                values={"attempts": 0, "next_attempt_at": None, "last_error": None},
                audit=Audit(actor=user, action="retry", detail=f"draft {draft_id}"),
            ):
                raise UserError(strings.RETRY_NOT_FAILED)
            move_item(session, item_id=draft.item_id, to=ItemState.DRAFT)
            self._note(session, draft.item_id, strings.NOTE_RETRY.format(user=user))
        self.wake()
        return draft

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    # -- steps -----------------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="publish")
            return self._pool

    def _claim(self, draft_id: int) -> Draft | None:
        now = self.clock.now()
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            if draft is None or not move_draft(
                session,
                draft_id=draft_id,
                item_id=draft.item_id,
                to=DraftStatus.PUBLISHING,
                only_from=(DraftStatus.APPROVED,),
                where=(
                    or_(col(Draft.send_at).is_(None), col(Draft.send_at) <= now),
                    or_(col(Draft.next_attempt_at).is_(None), col(Draft.next_attempt_at) <= now),
                ),
                values={"claimed_until": now + self.lease, "attempts": Draft.attempts + 1},
                # Published or failed follows within seconds and re-renders then.
                rerender=False,
            ):
                return None
            session.refresh(draft)
            return draft

    def _published(self, draft: Draft, item: Item, published: Published, platform: Platform) -> None:
        now = self.clock.now()
        item_id = item.id or 0
        with self.db.session() as session:
            move_draft(
                session,
                draft_id=draft.id or 0,
                item_id=item_id,
                to=DraftStatus.PUBLISHED,
                only_from=(DraftStatus.PUBLISHING,),
                values={
                    "published_id": published.external_id,
                    "published_url": published.url,
                    "published_at": now,
                    "claimed_until": None,
                    "last_error": None,
                },
                audit=Audit(
                    actor=draft.decided_by or "system", action="published", detail=published.external_id
                ),
            )
            move_item(session, item_id=item_id, to=ItemState.REPLIED)
            late = ""
            if draft.send_at is not None and now - draft.send_at > timedelta(seconds=60):
                late = f" ({duration(now - draft.send_at)} after its scheduled time)"
            note = (
                strings.NOTE_PUBLISHED.format(
                    platform=platform.label, by=draft.decided_by, link=link(published.url, "see reply")
                )
                + late
            )
            self._note(session, item_id, note)
        log.info("publish.done item=%s draft=%s platform=%s", item.id, draft.id, platform.name)
        self.wake()

    def _failed(
        self, draft: Draft, item: Item, *, reason: str, transient: bool, retry_after: float | None = None
    ) -> None:
        label = self._label(item)
        final = not transient or draft.attempts >= self.max_attempts
        item_id = item.id or 0
        audit = Audit(actor="system", action="failed" if final else "retrying", detail=reason)
        with self.db.session() as session:
            if final:
                move_draft(
                    session,
                    draft_id=draft.id or 0,
                    item_id=item_id,
                    to=DraftStatus.FAILED,
                    only_from=(DraftStatus.PUBLISHING,),
                    values={"claimed_until": None, "last_error": reason[:500]},
                    audit=audit,
                )
                move_item(session, item_id=item_id, to=ItemState.FAILED)
                note = strings.NOTE_FAILED.format(reason=escape(reason))
            else:
                delay = (
                    timedelta(seconds=retry_after)
                    if retry_after
                    else self.base_backoff * 2 ** (draft.attempts - 1)
                )
                move_draft(
                    session,
                    draft_id=draft.id or 0,
                    item_id=item_id,
                    to=DraftStatus.APPROVED,
                    only_from=(DraftStatus.PUBLISHING,),
                    values={
                        "claimed_until": None,
                        "last_error": reason[:500],
                        "next_attempt_at": self.clock.now() + delay,
                    },
                    audit=audit,
                )
                note = strings.NOTE_RETRYING.format(
                    platform=label, reason=escape(reason), attempt=draft.attempts + 1, limit=self.max_attempts
                )
            self._note(session, item_id, note)
        log.warning(
            "publish.%s item=%s draft=%s reason=%s", "failed" if final else "retry", item.id, draft.id, reason
        )
        self.wake()

    @staticmethod
    def _note(session: Session, item_id: int, text: str) -> None:
        enqueue(session, TaskKind.NOTE, item_id=item_id, text=text)

    def _label(self, item: Item) -> str:
        platform = self.platforms.for_item(item)
        return platform.label if platform else item.platform
