"""The outbox: approved replies go to their platform at most once.

A draft is claimed with a conditional UPDATE (APPROVED -> PUBLISHING, with a lease)
before the platform call, and its platform id is recorded after. A double click, two
processes or a retry can never claim it twice.

Some failures leave the outcome unknown: the answer was lost after the request left (a
read timeout, a reset, a 5xx), or a process died mid-call and its lease ran out. Those are
never sent again on a guess: the platform is searched for our reply first; found, it is
recorded as published; otherwise the draft goes to UNKNOWN and the thread asks a person
to press Retry or Mark as sent.
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
from bot.platforms.base import (
    Platform,
    PlatformError,
    Published,
    ReplyLookup,
    ReplyTarget,
    TransientError,
    UnknownOutcome,
)
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.accounts import PlatformRegistry
from bot.services.errors import UserError
from bot.services.transitions import Audit, move_draft, move_item
from bot.storage.db import Database
from bot.storage.models import CLOSED_STATES, Draft, DraftStatus, Item, ItemState

log = logging.getLogger(__name__)

# How far before the claim our reply may be dated: the platform's clock is not ours.
_CLOCK_SKEW = timedelta(minutes=10)


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
        try:
            published = platform.publish_reply(target=_target(item), text=draft.text)
        except UnknownOutcome as exc:
            return self._settle(draft, item, platform, reason=exc.reason)
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
        """Claims whose lease ran out: a process died mid-send. Look on the platform; never resend."""
        now = self.clock.now()
        with self.db.session() as session:
            stale = session.exec(
                select(Draft).where(Draft.status == DraftStatus.PUBLISHING, col(Draft.claimed_until) < now)
            ).all()
        count = 0
        for draft in stale:
            # Take the check over with a fresh lease, so two processes never check (and note) twice.
            with self.db.session() as session:
                if not move_draft(
                    session,
                    draft_id=draft.id or 0,
                    item_id=draft.item_id,
                    to=DraftStatus.PUBLISHING,
                    only_from=(DraftStatus.PUBLISHING,),
                    where=(col(Draft.claimed_until) < now,),
                    values={"claimed_until": now + self.lease},
                    audit=Audit(actor="system", action="interrupted", detail=f"draft {draft.id}"),
                    rerender=False,
                ):
                    continue
                item = session.get(Item, draft.item_id)
                assert item is not None
            count += 1
            platform = self.platforms.for_item(item)
            if platform is None:
                self._unknown(draft, item, reason=strings.INTERRUPTED, checked=None)
                continue
            self._settle(draft, item, platform, reason=strings.INTERRUPTED)
        if count:
            log.warning("publish.interrupted count=%s", count)
        return count

    def mark_sent(self, *, draft_id: int, user: str) -> Draft:
        """A person saw the reply on the platform: record it as published, without a platform id."""
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            if draft is None or not move_draft(
                session,
                draft_id=draft_id,
                item_id=draft.item_id,
                to=DraftStatus.PUBLISHED,
                only_from=(DraftStatus.UNKNOWN,),
                values={"published_at": self.clock.now(), "last_error": None},
                audit=Audit(actor=user, action="marked_sent", detail=f"draft {draft_id}"),
            ):
                raise UserError(strings.NOT_IN_DOUBT)
            item = session.get(Item, draft.item_id)
            assert item is not None
            move_item(session, item_id=draft.item_id, to=ItemState.REPLIED)
            self._note(
                session, draft.item_id, strings.NOTE_MARKED_SENT.format(user=user, platform=self._label(item))
            )
        log.info("publish.marked_sent item=%s draft=%s", draft.item_id, draft_id)
        self.wake()
        return draft

    def retry(self, *, draft_id: int, user: str) -> Draft:
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            if draft is None or draft.status not in (DraftStatus.FAILED, DraftStatus.UNKNOWN):
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
                only_from=(DraftStatus.FAILED, DraftStatus.UNKNOWN),
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

    def _settle(self, draft: Draft, item: Item, platform: Platform, *, reason: str) -> bool:
        """The send may have gone through: look for it; found is published, else a person decides."""
        claimed_at = (draft.claimed_until or self.clock.now()) - self.lease
        label = platform.label
        if not isinstance(platform, ReplyLookup):
            self._unknown(
                draft, item, reason=reason, checked=strings.UNKNOWN_NO_LOOKUP.format(platform=label)
            )
            return False
        try:
            found = platform.find_reply(target=_target(item), text=draft.text, since=claimed_at - _CLOCK_SKEW)
        except PlatformError as exc:
            checked = strings.UNKNOWN_NOT_CHECKED.format(platform=label, error=exc.reason)
        except Exception as exc:  # an adapter bug: still nobody can tell, so a person decides
            log.exception("publish.lookup_crashed draft=%s", draft.id)
            checked = strings.UNKNOWN_NOT_CHECKED.format(platform=label, error=type(exc).__name__)
        else:
            if found is not None:
                log.info("publish.found item=%s draft=%s reason=%s", item.id, draft.id, reason)
                self._published(
                    draft,
                    item,
                    found,
                    platform,
                    found=strings.NOTE_FOUND.format(reason=escape(reason), platform=label),
                )
                return True
            checked = strings.UNKNOWN_NOT_FOUND.format(platform=label)
        self._unknown(draft, item, reason=reason, checked=checked)
        return False

    def _unknown(self, draft: Draft, item: Item, *, reason: str, checked: str | None) -> None:
        label = self._label(item)
        item_id = item.id or 0
        checked = checked or strings.UNKNOWN_NOT_CHECKED.format(platform=label, error="not connected")
        with self.db.session() as session:
            if not move_draft(
                session,
                draft_id=draft.id or 0,
                item_id=item_id,
                to=DraftStatus.UNKNOWN,
                only_from=(DraftStatus.PUBLISHING,),
                values={"claimed_until": None, "last_error": f"{reason}; {checked}"[:500]},
                audit=Audit(actor="system", action="unknown", detail=reason[:200]),
            ):
                return
            move_item(session, item_id=item_id, to=ItemState.FAILED)
            self._note(
                session,
                item_id,
                strings.NOTE_UNKNOWN.format(reason=escape(reason), checked=escape(checked), platform=label),
            )
        log.warning("publish.unknown item=%s draft=%s reason=%s", item.id, draft.id, reason)
        self.wake()

    def _published(
        self, draft: Draft, item: Item, published: Published, platform: Platform, *, found: str = ""
    ) -> None:
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
                + found
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


def _target(item: Item) -> ReplyTarget:
    return ReplyTarget(
        external_id=item.external_id, author_handle=item.author_handle, conversation_id=item.conversation_id
    )
