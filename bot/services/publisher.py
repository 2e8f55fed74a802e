"""The outbox: approved replies go to their platform at most once.

A draft is claimed with a conditional UPDATE (APPROVED -> PUBLISHING, with a lease)
before the platform call, and its platform id is recorded after. A double click, two
processes or a retry can never claim it twice.

Two lanes: a reply approved just now is sent on its own threads (``kick``), so it never
queues behind scheduled sends or a platform that answers slowly. Scheduled replies are
claimed in batches by one UPDATE at their exact time (a timer set a few seconds ahead,
when their pre-send look is also made; the first batch small, so sends start while the
rest is claimed), sent on a wider pool, and their results written once the sends are done,
a few per transaction.

Some failures leave the outcome unknown: the answer was lost after the request left (a
read timeout, a reset, a 5xx), or a process died mid-call and its lease ran out. Those are
never sent again on a guess: the platform is searched for our reply first; found, it is
recorded as published; otherwise the draft goes to UNKNOWN and the thread asks a person
to press Retry or Mark as sent.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from bot.clock import Clock, as_utc
from bot.message_builder import strings
from bot.message_builder.format import duration, escape, link
from bot.platforms.base import (
    Platform,
    PlatformError,
    Published,
    ReplyLookup,
    TransientError,
    UnknownOutcome,
)
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.accounts import PlatformRegistry
from bot.services.errors import UserError
from bot.services.items import reply_target
from bot.services.transitions import Audit, claim_drafts, end_claim, move_draft, move_item
from bot.storage.db import Database
from bot.storage.models import CLOSED_STATES, Draft, DraftStatus, Item, ItemState

log = logging.getLogger(__name__)

# How far before the claim our reply may be dated: the platform's clock is not ours.
_CLOCK_SKEW = timedelta(minutes=10)
# Drafts claimed (and loaded) by one statement; well under every database's parameter limit.
_CLAIM_BATCH = 500
# The first claim of a due batch is small, so its sends start while the rest is claimed.
_FIRST_CLAIM = 20
# Pre-send looks one pool thread makes in a row: spread over the pool, done in a few seconds.
_LOOKS_PER_TASK = 10
# A timer fires this much after send_at, so the claim's `send_at <= now` already holds.
_TIMER_SLACK_S = 0.002


@dataclass
class Publisher:
    db: Database
    platforms: PlatformRegistry
    clock: Clock
    wake: Callable[[], None]
    max_attempts: int = 5
    lease: timedelta = timedelta(minutes=5)
    base_backoff: timedelta = timedelta(seconds=2)
    # Scheduled and retried sends. Each platform call has its own timeout, so this bounds how
    # many sockets wait at once, not how long any of them may.
    workers: int = 32
    # Replies approved just now: their own threads, never behind due or slow scheduled sends.
    fresh_workers: int = 8
    # How far ahead due drafts are planned: their pre-send look is made and a timer set.
    look_ahead: timedelta = timedelta(seconds=5)
    # A last look before a scheduled send (bot.services.presend); False: it ended the claim itself.
    pre_send: Callable[[Draft, Item, Platform], bool] = lambda draft, item, platform: True
    # The part of that look that asks the platform, made early (before the claim) for drafts due soon.
    pre_look: Callable[[Sequence[tuple[Draft, Item, Platform]]], None] = lambda due: None
    # The part that reads the database, made for a whole claimed batch at once.
    pre_read: Callable[[Sequence[tuple[Draft, Item]]], None] = lambda claimed: None
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)
    _fresh: ThreadPoolExecutor | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    # Held while a batch of due drafts is claimed and sent (by the sweep or a timer).
    _due_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _timers: dict[datetime, threading.Timer] = field(default_factory=dict, init=False)
    _planned: dict[int, datetime] = field(default_factory=dict, init=False)  # looked at: send_at
    _stopped: bool = field(default=False, init=False)

    # -- entry points ------------------------------------------------------------------------

    def publish_due(self) -> int:
        """Send every approved reply that is due; returns how many went out.

        Drafts due within ``look_ahead`` get their pre-send look now and a timer at their
        send_at, so they leave at their time rather than at the next sweep.
        """
        now = self.clock.now()
        sent = 0
        # A timer's batch is being sent: what it has not claimed yet is its own, and a second
        # claimer would only spend the CPU those sends need. Anything left is here next second.
        if self._due_lock.acquire(blocking=False):
            try:
                sent = self._publish_batch(self._due_ids(now))
            finally:
                self._due_lock.release()
        self._plan(now)
        return sent

    def publish(self, draft_id: int) -> bool:
        """Claim and send one draft if it is approved and due; True when it was published."""
        draft = self._claim(draft_id)
        if draft is None:
            return False
        with self.db.session() as session:
            item = session.get(Item, draft.item_id)
            assert item is not None
        return self._send(draft, item)

    def _send(self, draft: Draft, item: Item, *, recorder: _Recorder | None = None) -> bool:
        """Send a claimed draft and record the outcome (with ``recorder``: in a shared transaction)."""
        now = self.clock.now()
        if draft.claimed_until is not None and now > as_utc(draft.claimed_until) - self.lease / 2:
            # Claimed in a batch but reached late: recovery may soon take this claim over as
            # interrupted, so give it back rather than send on a lease that may run out mid-call.
            self._give_back(draft)
            return False
        platform = self.platforms.for_item(item)
        if platform is None:
            self._failed(draft, item, reason=f"{item.platform} is not connected", transient=False)
            return False
        if not self.pre_send(draft, item, platform):
            return False
        try:
            published = platform.publish_reply(target=reply_target(item), text=draft.text)
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
        if recorder is None:
            self._published(draft, item, published, platform)
        else:
            recorder.add(_Sent(draft, item, published, platform))
        return True

    def kick(self, draft_id: int) -> None:
        """Publish soon on the fresh lane's threads, so a click's listener is free at once."""
        with self._lock:
            if self._fresh is None:
                self._fresh = ThreadPoolExecutor(
                    max_workers=self.fresh_workers, thread_name_prefix="publish-now"
                )
            pool = self._fresh
        pool.submit(self._publish_logged, draft_id)

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
        with self._lock:
            self._stopped = True
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        for pool in (self._fresh, self._pool):
            if pool is not None:
                pool.shutdown(wait=True)

    # -- steps -----------------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="publish")
            return self._pool

    def _due_ids(self, now: datetime) -> list[int]:
        with self.db.session() as session:
            due = session.exec(
                select(Draft.id)
                .where(Draft.status == DraftStatus.APPROVED, *_due_by(now))
                .order_by(col(Draft.send_at), col(Draft.id))
            ).all()
        return [draft_id for draft_id in due if draft_id is not None]

    def _publish_batch(self, due: list[int]) -> int:
        """Claim ``due`` a batch per UPDATE, send on the pool, record published ones together.

        The first batch is small, so sends start while the rest is claimed. A send the pool
        reaches late gives its claim back (see ``_send``) rather than race the recovery of
        expired leases. What went out is recorded once the batch's sends are done: recording
        (three conditional UPDATEs, notes and re-renders a reply) would take the CPU the sends
        of a busy minute need; a process that dies before it leaves PUBLISHING claims, which
        recovery settles by finding the replies on the platform.
        """
        recorder = _Recorder(write=self._published_many)
        send = functools.partial(self._send_pair, recorder=recorder)
        if len(due) == 1:
            claimed = self._claim_batch(due)
            self.pre_read(claimed)
            sent = send(claimed[0]) if claimed else 0
        else:
            sending = []
            for chunk in _chunks(due, first=_FIRST_CLAIM, then=_CLAIM_BATCH):
                claimed = self._claim_batch(chunk)
                self.pre_read(claimed)
                sending += [self._executor().submit(send, pair) for pair in claimed]
            sent = sum(future.result() for future in sending)
        recorder.flush()
        return sent

    def _send_pair(self, pair: tuple[Draft, Item], *, recorder: _Recorder) -> int:
        return int(self._send(*pair, recorder=recorder))

    def _claim_batch(self, draft_ids: list[int]) -> list[tuple[Draft, Item]]:
        if not draft_ids:
            return []
        now = self.clock.now()
        with self.db.session() as session:
            won = claim_drafts(
                session,
                draft_ids=draft_ids,
                where=_due_by(now),
                values={"claimed_until": now + self.lease, "attempts": Draft.attempts + 1},
            )
            if not won:
                return []
            rows = session.exec(
                select(Draft, Item)
                .join(Item, col(Item.id) == col(Draft.item_id))
                .where(col(Draft.id).in_(won))
                .order_by(col(Draft.send_at), col(Draft.id))
                .execution_options(populate_existing=True)
            ).all()
        return [(draft, item) for draft, item in rows]

    def _plan(self, now: datetime) -> None:
        """Drafts due before the look-ahead ends: look at the platform now, wake at their send_at."""
        # Ids and times only: the sweep runs every second, and a busy minute's drafts are already
        # planned by the time the next sweep sees them (loading them all again costs CPU the sends
        # of that minute need). Only new ones are loaded, for their look.
        with self.db.session() as session:
            soon = session.exec(
                select(Draft.id, Draft.send_at).where(
                    Draft.status == DraftStatus.APPROVED,
                    col(Draft.send_at) > now,
                    col(Draft.send_at) <= now + self.look_ahead,
                    or_(
                        col(Draft.next_attempt_at).is_(None), col(Draft.next_attempt_at) <= col(Draft.send_at)
                    ),
                )
            ).all()
        if not soon:
            return
        with self._lock:
            if self._stopped:
                return
            for send_at in {as_utc(at) for _, at in soon if at is not None}:
                if send_at not in self._timers:
                    # From the time it starts, not the sweep's: reading the batch took a while.
                    delay = (send_at - self.clock.now()).total_seconds() + _TIMER_SLACK_S
                    timer = threading.Timer(delay, self._on_time, args=(send_at,))
                    timer.name = "publish-timer"
                    timer.daemon = True
                    self._timers[send_at] = timer
                    timer.start()
            self._planned = {d: at for d, at in self._planned.items() if at > now - self.look_ahead}
            new = {
                draft_id: as_utc(at)
                for draft_id, at in soon
                if draft_id is not None and at is not None and draft_id not in self._planned
            }
        if not new:
            return
        with self.db.session() as session:
            rows = session.exec(
                select(Draft, Item)
                .join(Item, col(Item.id) == col(Draft.item_id))
                .where(col(Draft.id).in_(new), Draft.status == DraftStatus.APPROVED)
            ).all()
        looks: list[tuple[Draft, Item, Platform]] = []
        with self._lock:
            # Planned once read: a read that failed leaves them for the next sweep.
            for draft, item in rows:
                assert draft.id is not None
                if draft.id in self._planned:
                    continue  # another sweep planned it meanwhile
                self._planned[draft.id] = new[draft.id]
                platform = self.platforms.for_item(item)
                if platform is not None:
                    looks.append((draft, item, platform))
        # On the pool, a few per task, not here: the sweep goes on while the platform answers.
        for start in range(0, len(looks), _LOOKS_PER_TASK):
            self._executor().submit(self._look, looks[start : start + _LOOKS_PER_TASK])

    def _look(self, looks: list[tuple[Draft, Item, Platform]]) -> None:
        try:
            self.pre_look(looks)
        except Exception:  # a look not made is made again at send time
            log.exception("publish.look_failed count=%s", len(looks))

    def _on_time(self, send_at: datetime) -> None:
        with self._lock:
            self._timers.pop(send_at, None)
            if self._stopped:
                return
        try:
            with self._due_lock:
                sent = self._publish_batch(self._due_ids(self.clock.now()))
        except Exception:  # a timer thread has nobody else to tell; the sweep tries again
            log.exception("publish.on_time_failed send_at=%s", send_at.isoformat())
            return
        if sent:
            log.info("publish.on_time count=%s send_at=%s", sent, send_at.isoformat())

    def _give_back(self, draft: Draft) -> None:
        with self.db.session() as session:
            end_claim(
                session,
                draft=draft,
                to=DraftStatus.APPROVED,
                where=(col(Draft.claimed_until) == draft.claimed_until,),
                values={"attempts": Draft.attempts - 1},
                rerender=False,
            )
        log.info("publish.given_back draft=%s", draft.id)

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
                where=_due_by(now),
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
            found = platform.find_reply(
                target=reply_target(item), text=draft.text, since=claimed_at - _CLOCK_SKEW
            )
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
            if not end_claim(
                session,
                draft=draft,
                to=DraftStatus.UNKNOWN,
                values={"last_error": f"{reason}; {checked}"[:500]},
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
        self._published_many([_Sent(draft, item, published, platform, found)])

    def _published_many(self, sent: Sequence[_Sent]) -> None:
        """Record replies that went out, all in one transaction."""
        now = self.clock.now()
        with self.db.session() as session:
            for one in sent:
                self._record_published(session, one, now=now)
        for one in sent:
            log.info(
                "publish.done item=%s draft=%s platform=%s", one.item.id, one.draft.id, one.platform.name
            )
        self.wake()

    def _record_published(self, session: Session, sent: _Sent, *, now: datetime) -> None:
        draft, item, published, platform = sent.draft, sent.item, sent.published, sent.platform
        item_id = item.id or 0
        end_claim(
            session,
            draft=draft,
            to=DraftStatus.PUBLISHED,
            values={
                "published_id": published.external_id,
                "published_url": published.url,
                "published_at": now,
                "last_error": None,
            },
            audit=Audit(actor=draft.decided_by or "system", action="published", detail=published.external_id),
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
            + sent.found
        )
        self._note(session, item_id, note)

    def _failed(
        self, draft: Draft, item: Item, *, reason: str, transient: bool, retry_after: float | None = None
    ) -> None:
        label = self._label(item)
        final = not transient or draft.attempts >= self.max_attempts
        item_id = item.id or 0
        audit = Audit(actor="system", action="failed" if final else "retrying", detail=reason)
        with self.db.session() as session:
            if final:
                end_claim(
                    session,
                    draft=draft,
                    to=DraftStatus.FAILED,
                    values={"last_error": reason[:500]},
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
                end_claim(
                    session,
                    draft=draft,
                    to=DraftStatus.APPROVED,
                    values={
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


def _chunks(ids: list[int], *, first: int, then: int) -> list[list[int]]:
    """``ids`` in a chunk of ``first``, then chunks of ``then``."""
    chunks = [ids[:first]]
    chunks += [ids[start : start + then] for start in range(first, len(ids), then)]
    return [chunk for chunk in chunks if chunk]


def _due_by(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """An approved draft may go out at `now`: its send time and its retry time have come."""
    return (
        or_(col(Draft.send_at).is_(None), col(Draft.send_at) <= now),
        or_(col(Draft.next_attempt_at).is_(None), col(Draft.next_attempt_at) <= now),
    )


@dataclass(frozen=True)
class _Sent:
    draft: Draft
    item: Item
    published: Published
    platform: Platform
    found: str = ""


class _Recorder:
    """What a batch's sends published, written a few replies per transaction.

    While sends go quickly, nothing is written until they are done: recording (three conditional
    UPDATEs, a note and re-renders a reply) would take the CPU the sends of a busy minute need.
    A reply that has waited `hold` (a slow platform) is written by the next sender to finish, so
    its thread does not wait for the whole batch. Small transactions let webhooks and the relay
    write in between; one that fails (the database failed) leaves its claims PUBLISHING, and when
    their lease runs out recovery finds the replies on the platform.
    """

    per_transaction = 50
    hold = 5.0  # seconds

    def __init__(self, *, write: Callable[[Sequence[_Sent]], None]) -> None:
        self._write = write
        self._pending: list[_Sent] = []
        self._oldest = 0.0  # monotonic time the oldest pending reply was added
        self._lock = threading.Lock()
        self._writing = threading.Lock()

    def add(self, sent: _Sent) -> None:
        with self._lock:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(sent)
            due = time.monotonic() - self._oldest >= self.hold
        if due and self._writing.acquire(blocking=False):
            try:
                self._write_pending()
            except Exception:  # logged; this sender's own reply went out, and recovery settles the rest
                pass
            finally:
                self._writing.release()

    def flush(self) -> None:
        with self._writing:
            self._write_pending()

    def _write_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        failed: Exception | None = None
        for start in range(0, len(pending), self.per_transaction):
            chunk = pending[start : start + self.per_transaction]
            try:
                self._write(chunk)
            except Exception as exc:  # the others may still be written
                log.exception("publish.record_failed count=%s", len(chunk))
                failed = failed or exc
        if failed is not None:
            raise failed
