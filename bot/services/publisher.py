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
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import duration, escape, link
from bot.platforms.base import Platform, PlatformError, Published, ReplyTarget, TransientError
from bot.services.errors import UserError
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, Item, ItemState
from bot.storage.queries import audit, enqueue

log = logging.getLogger(__name__)


@dataclass
class Publisher:
    db: Database
    platforms: Mapping[str, Platform]
    clock: Clock
    wake: Callable[[], None]
    max_attempts: int = 5
    lease: timedelta = timedelta(minutes=5)
    base_backoff: timedelta = timedelta(seconds=2)
    workers: int = 4
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
        platform = self.platforms.get(item.platform)
        if platform is None:
            self._failed(draft, item, reason=f"{item.platform} is not connected", transient=False)
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
                won = session.execute(
                    update(Draft)
                    .where(
                        col(Draft.id) == draft.id,
                        col(Draft.status) == DraftStatus.PUBLISHING,
                        col(Draft.claimed_until) < now,
                    )
                    .values(
                        status=DraftStatus.FAILED,
                        claimed_until=None,
                        last_error="interrupted mid-send; check the platform before retrying",
                    )
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                item = session.get(Item, draft.item_id)
                assert item is not None
                item.state = ItemState.FAILED
                session.add(item)
                label = self._label(item)
                enqueue(
                    session,
                    kind="note",
                    item_id=item.id or 0,
                    text=strings.NOTE_INTERRUPTED.format(platform=label),
                )
                enqueue(session, kind="update_draft", item_id=item.id or 0, ref_id=draft.id)
                enqueue(session, kind="update_item", item_id=item.id or 0)
                audit(
                    session, item_id=item.id, actor="system", action="interrupted", detail=f"draft {draft.id}"
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
            if ItemState(item.state) in (ItemState.IGNORED, ItemState.SPAM, ItemState.REPLIED):
                raise UserError(strings.ITEM_CLOSED.format(n=item.id, state=item.state))
            won = session.execute(
                update(Draft)
                .where(col(Draft.id) == draft_id, col(Draft.status) == DraftStatus.FAILED)
                .values(status=DraftStatus.APPROVED, attempts=0, next_attempt_at=None, last_error=None)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise UserError(strings.RETRY_NOT_FAILED)
            item.state = ItemState.DRAFT
            session.add(item)
            enqueue(session, kind="note", item_id=item.id or 0, text=strings.NOTE_RETRY.format(user=user))
            enqueue(session, kind="update_draft", item_id=item.id or 0, ref_id=draft_id)
            enqueue(session, kind="update_item", item_id=item.id or 0)
            audit(session, item_id=item.id, actor=user, action="retry", detail=f"draft {draft_id}")
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
            won = session.execute(
                update(Draft)
                .where(
                    col(Draft.id) == draft_id,
                    col(Draft.status) == DraftStatus.APPROVED,
                    or_(col(Draft.send_at).is_(None), col(Draft.send_at) <= now),
                    or_(col(Draft.next_attempt_at).is_(None), col(Draft.next_attempt_at) <= now),
                )
                .values(
                    status=DraftStatus.PUBLISHING, claimed_until=now + self.lease, attempts=Draft.attempts + 1
                )
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(Draft, draft_id)

    def _published(self, draft: Draft, item: Item, published: Published, platform: Platform) -> None:
        now = self.clock.now()
        with self.db.session() as session:
            session.execute(
                update(Draft)
                .where(col(Draft.id) == draft.id)
                .values(
                    status=DraftStatus.PUBLISHED,
                    published_id=published.external_id,
                    published_url=published.url,
                    published_at=now,
                    claimed_until=None,
                    last_error=None,
                )
            )
            stored = session.get(Item, item.id)
            assert stored is not None
            stored.state = ItemState.REPLIED
            session.add(stored)
            late = ""
            if draft.send_at is not None and now - draft.send_at > timedelta(seconds=60):
                late = f" ({duration(now - draft.send_at)} after its scheduled time)"
            note = (
                strings.NOTE_PUBLISHED.format(
                    platform=platform.label, by=draft.decided_by, link=link(published.url, "see reply")
                )
                + late
            )
            enqueue(session, kind="note", item_id=item.id or 0, text=note)
            enqueue(session, kind="update_draft", item_id=item.id or 0, ref_id=draft.id)
            enqueue(session, kind="update_item", item_id=item.id or 0)
            audit(
                session,
                item_id=item.id,
                actor=draft.decided_by or "system",
                action="published",
                detail=published.external_id,
            )
        log.info("publish.done item=%s draft=%s platform=%s", item.id, draft.id, platform.name)
        self.wake()

    def _failed(
        self, draft: Draft, item: Item, *, reason: str, transient: bool, retry_after: float | None = None
    ) -> None:
        label = self._label(item)
        final = not transient or draft.attempts >= self.max_attempts
        with self.db.session() as session:
            if final:
                session.execute(
                    update(Draft)
                    .where(col(Draft.id) == draft.id)
                    .values(status=DraftStatus.FAILED, claimed_until=None, last_error=reason[:500])
                )
                stored = session.get(Item, item.id)
                assert stored is not None
                stored.state = ItemState.FAILED
                session.add(stored)
                note = strings.NOTE_FAILED.format(reason=escape(reason))
                enqueue(session, kind="update_item", item_id=item.id or 0)
            else:
                delay = (
                    timedelta(seconds=retry_after)
                    if retry_after
                    else self.base_backoff * 2 ** (draft.attempts - 1)
                )
                session.execute(
                    update(Draft)
                    .where(col(Draft.id) == draft.id)
                    .values(
                        status=DraftStatus.APPROVED,
                        claimed_until=None,
                        last_error=reason[:500],
                        next_attempt_at=self.clock.now() + delay,
                    )
                )
                note = strings.NOTE_RETRYING.format(
                    platform=label, reason=escape(reason), attempt=draft.attempts + 1, limit=self.max_attempts
                )
            enqueue(session, kind="note", item_id=item.id or 0, text=note)
            enqueue(session, kind="update_draft", item_id=item.id or 0, ref_id=draft.id)
            audit(
                session,
                item_id=item.id,
                actor="system",
                action="failed" if final else "retrying",
                detail=reason,
            )
        log.warning(
            "publish.%s item=%s draft=%s reason=%s", "failed" if final else "retry", item.id, draft.id, reason
        )
        self.wake()

    def _label(self, item: Item) -> str:
        platform = self.platforms.get(item.platform)
        return platform.label if platform else item.platform
