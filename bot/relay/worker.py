"""The worker: one thread that works a set of task kinds from the `SlackTask` table.

Services write tasks in their own transaction (`bot.relay.queue.enqueue`) and wake the
worker. A task is claimed with a lease (an atomic conditional UPDATE, so two processes
never run the same one), run, and marked done. Outages, 429s and crashes only delay a
task: it stays in the table until it has run. Tasks of one item run in order, and a
reply's thread waits for its root item's message. What an exception means is decided in
`bot.relay.errors.classify`. A task Slack refuses for good (or that hits a bug) is parked:
kept undone with `failed_at` and its error, told to people once by `Parking`, and never
claimed again until someone retries it; the item's later tasks are parked behind it, so
its order holds and nothing waits in silence, while other items carry on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, false, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from bot.clock import Clock
from bot.relay.errors import Cause, Classified, Verdict, classify
from bot.relay.kinds import Priority, TaskKind
from bot.relay.pacing import Paced
from bot.storage.db import Database
from bot.storage.models import SlackTask

log = logging.getLogger(__name__)

Runner = Callable[[SlackTask], None]
# Reads what a batch's tasks of one kind need in bulk, once they are claimed; called with no
# tasks after the batch, to forget it. A runner works without it (it reads its own).
Preparer = Callable[[list[SlackTask]], None]
_UNORDERED = frozenset({TaskKind.POST_ITEM.value, TaskKind.RENDER_GROUP.value})
# Kinds whose runner checks what is already done (a message's ts) or re-renders from the database:
# marked done together at the end of a batch. A note or a reminder posted twice would be seen
# twice, so those are marked done one by one, right after they ran.
_REPEATABLE = frozenset(
    kind.value
    for kind in TaskKind
    if kind not in (TaskKind.NOTE, TaskKind.OWNER_REMINDER, TaskKind.OWNER_THANKS)
)


class Parking(Protocol):
    """Who hears about parked tasks (bot.relay.parking.Notices)."""

    def parked(self, task: SlackTask, outcome: Classified) -> None: ...

    def delivered(self) -> None: ...


class Relay:
    lease = timedelta(seconds=60)
    max_backoff = timedelta(minutes=5)
    # Slack unreachable: the whole worker waits (every task would fail the same way), and
    # the first task is tried first again when Slack is back, so items keep their order.
    max_outage_pause = timedelta(seconds=30)
    batch = 100

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        runners: Mapping[TaskKind, Runner],
        name: str = "slack-relay",
        plan: Callable[[], None] | None = None,
        parking: Parking | None = None,
        lease: timedelta | None = None,
        preparers: Mapping[TaskKind, Preparer] | None = None,
        give_way: Callable[[], None] | None = None,
    ) -> None:
        if lease is not None:
            self.lease = lease
        self.db = db
        self.clock = clock
        self.name = name
        self.parking = parking
        self._runners = dict(runners)
        self._preparers = dict(preparers or {})
        # Called by the thread before each pass: waits while webhooks are arriving (a burst), so
        # their answers do not wait on this worker's CPU.
        self._give_way = give_way
        self._kinds: Collection[str] = sorted(kind.value for kind in self._runners)
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        # Slack limits a method for the whole workspace: after a 429 nothing is sent until
        # Retry-After has passed, which also keeps items in the order they arrived.
        self._paused_until: datetime | None = None
        # Run before each batch (the grouping of a busy channel's queue).
        self._plan = plan
        # chat.postMessage is paced per channel: when this worker may post there again (monotonic
        # time), keyed by (channel, routine): a wait for routine posts (which leave the reserve)
        # holds back praise one by one, never the questions and groups behind them.
        self._channel_waits: dict[tuple[str, bool], float] = {}
        self._full_batch = False
        self._outages = 0  # Slack unreachable this many times in a row

    @property
    def kinds(self) -> frozenset[TaskKind]:
        return frozenset(self._runners)

    def runner(self, kind: TaskKind) -> Runner:
        return self._runners[kind]

    def register(self, kind: TaskKind, runner: Runner) -> None:
        """Replace the runner of a kind this worker already works (instrumentation wraps one)."""
        if kind not in self._runners:
            raise KeyError(f"{self.name} does not work {kind}")
        self._runners[kind] = runner

    # -- the thread ---------------------------------------------------------------

    def wake(self) -> None:
        self._event.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                # The thread is gone: `drain` by hand (a test's backlog, a one-off run) works again.
                self._thread = None
                self._stopped.clear()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                if self._give_way is not None:
                    self._give_way()
                self.drain()
            except Exception:
                log.exception("relay.drain_failed worker=%s", self.name)
            # Woken at once for new work; the timeout picks up retries, other processes' rows and
            # channels whose pace allows the next post.
            wait = self.next_wait()
            if wait > 0:
                self._event.wait(timeout=wait)
            self._event.clear()

    def drain(self) -> int:
        """Run every due task of this worker's kinds once; returns how many were completed.

        Most urgent first (`SlackTask.priority`), then oldest. A batch is claimed in one UPDATE;
        what it could not run (a channel at Slack's pace, an item with an earlier task) is released
        in one more.
        """
        now = self.clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        if self._plan is not None:
            try:
                self._plan()
            except Exception:
                log.exception("relay.plan_failed worker=%s", self.name)
        waiting = self._waiting_channels()
        with self.db.session() as session:
            earlier = aliased(SlackTask)
            # A task behind an earlier one of its item is not even read: a backlog of re-renders
            # waiting for their items' first posts must not fill every batch. Behind a parked
            # one it is read, to be parked too, so nothing waits in silence.
            blocked = (
                select(earlier.id)
                .where(
                    col(earlier.item_id) == col(SlackTask.item_id),
                    col(earlier.done).is_(False),
                    col(earlier.failed_at).is_(None),
                    col(earlier.kind).in_(self._kinds),
                    col(earlier.id) < col(SlackTask.id),
                )
                .exists()
            )
            # New items of one priority appear in the order they came: while an earlier item's post
            # of the same or a more urgent priority is held by another process (or by one that died,
            # until its lease ends), later ones wait. A question still goes before held praise.
            # The held posts are few: read once, then each priority's earliest is a plain bound
            # (a correlated subquery here cost O(backlog²) on a long queue).
            held_first: dict[int, int] = {}
            for held_id, held_priority in session.exec(
                select(SlackTask.id, SlackTask.priority).where(
                    col(SlackTask.kind) == TaskKind.POST_ITEM.value,
                    col(SlackTask.done).is_(False),
                    col(SlackTask.claimed_until) >= now,
                )
            ).all():
                assert held_id is not None
                held_first[held_priority] = min(held_id, held_first.get(held_priority, held_id))
            posting_before = or_(
                false(),
                *(
                    and_(col(SlackTask.priority) >= held_priority, col(SlackTask.id) > held_id)
                    for held_priority, held_id in held_first.items()
                ),
            )
            in_order = or_(col(SlackTask.kind) != TaskKind.POST_ITEM.value, ~posting_before)
            # Tasks of channels at Slack's pace are not read at all: a long paced queue must neither
            # fill every batch (keeping edits and other channels out) nor make the loop spin.
            held_channels = sorted({channel for channel, routine in waiting if not routine})
            reserve_channels = sorted({channel for channel, routine in waiting if routine})
            not_held = and_(
                or_(col(SlackTask.channel).is_(None), col(SlackTask.channel).not_in(held_channels)),
                or_(
                    col(SlackTask.channel).is_(None),
                    col(SlackTask.channel).not_in(reserve_channels),
                    col(SlackTask.priority) < int(Priority.ROUTINE),
                ),
            )
            rows = session.exec(
                select(SlackTask.id, SlackTask.channel, SlackTask.priority)
                .where(
                    col(SlackTask.done).is_(False),
                    col(SlackTask.kind).in_(self._kinds),
                    col(SlackTask.failed_at).is_(None),
                    or_(col(SlackTask.not_before).is_(None), col(SlackTask.not_before) <= now),
                    or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                    or_(col(SlackTask.kind).in_(_UNORDERED), ~blocked),
                    in_order,
                    not_held,
                )
                .order_by(col(SlackTask.priority), col(SlackTask.id))
                .limit(self.batch)
            ).all()
            self._full_batch = len(rows) == self.batch
            # The tasks these let through (a note behind its item's post) may run in this batch too.
            followers = session.exec(
                select(SlackTask.id, SlackTask.channel, SlackTask.priority)
                .where(
                    col(SlackTask.item_id).in_(
                        select(SlackTask.item_id).where(col(SlackTask.id).in_([r[0] for r in rows]))
                    ),
                    col(SlackTask.done).is_(False),
                    col(SlackTask.kind).in_(self._kinds),
                    col(SlackTask.id).not_in([r[0] for r in rows]),
                    col(SlackTask.failed_at).is_(None),
                    or_(col(SlackTask.not_before).is_(None), col(SlackTask.not_before) <= now),
                    or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                )
                .limit(self.batch)
            ).all()
        ordered = sorted([*rows, *followers], key=lambda row: (row[2], row[0]))
        tasks = self._claim_batch(
            [task_id for task_id, channel, priority in ordered if not _held(waiting, channel, priority)]
        )
        pending = self._pending_by_item(tasks)
        completed = 0
        finished: set[int] = set()  # done in this batch
        settled: set[int] = set()  # failed or parked in this batch; their rows say what comes next
        settle_later: list[int] = []
        stop_batch = False
        try:
            self._prepare([t for t in tasks if not _held(waiting, t.channel, t.priority)])
            for task in tasks:
                assert task.id is not None
                if stop_batch or self._stopped.is_set() or _held(waiting, task.channel, task.priority):
                    continue  # released below
                # Tasks of one item run in id order whatever their priority: an earlier one still
                # pending (not run yet, failed, at Slack's pace) holds the later ones back.
                # The item's own message goes first of all (a promoted item's thread tasks wait for it),
                # and a group's message names an item only to have one: neither waits in line.
                before = (
                    []
                    if task.kind in _UNORDERED
                    else [e for e in pending.get(task.item_id, ()) if e[0] < task.id and e[0] not in finished]
                )
                if before:
                    first_id, first_parked, first_error = min(before)
                    if first_parked:  # behind a parked task: parked too, so nothing waits in silence
                        self._park(task, f"after task {first_id}: {first_error}")
                        settled.add(task.id)
                    continue
                try:
                    self._runners[TaskKind(task.kind)](task)
                except Paced as paced:
                    # Nothing was sent: this channel waits, every other channel carries on.
                    key = (paced.channel, paced.routine)
                    waiting[key] = self._channel_waits[key] = time.monotonic() + paced.wait
                    continue
                except Exception as exc:
                    settled.add(task.id)
                    if self._settle(task, classify(exc), exc):
                        stop_batch = True
                    continue
                if task.kind in _REPEATABLE:
                    settle_later.append(task.id)  # one UPDATE for the batch: running it again is harmless
                else:
                    self._done(task)
                finished.add(task.id)
                self._outages = 0
                completed += 1
                if self.parking is not None:
                    self.parking.delivered()
        finally:
            self._prepare([])
            self._done_all(settle_later)
            # What this batch did not run (or could not finish) is given back without an attempt.
            self._release_all([t.id for t in tasks if t.id is not None and t.id not in finished | settled])
        return completed

    def _prepare(self, tasks: list[SlackTask]) -> None:
        for kind, prepare in self._preparers.items():
            try:
                prepare([t for t in tasks if t.kind == kind.value])
            except Exception:  # only a shortcut: each task reads its own when it runs
                log.exception("relay.prepare_failed worker=%s kind=%s", self.name, kind.value)

    def _waiting_channels(self) -> dict[tuple[str, bool], float]:
        now = time.monotonic()
        for key, until in list(self._channel_waits.items()):
            if until <= now:
                del self._channel_waits[key]
        return dict(self._channel_waits)

    def next_wait(self) -> float:
        """How long the loop may sleep: less when a full batch was left or a channel frees up soon."""
        if self._full_batch:
            return 0.0
        soonest = min(self._channel_waits.values(), default=None)
        if soonest is None:
            return 0.5
        return max(0.01, min(0.5, soonest - time.monotonic()))

    def _settle(self, task: SlackTask, outcome: Classified, exc: Exception) -> bool:
        """Record a failed run; True when the rest of the batch should wait too."""
        match outcome.verdict:
            case Verdict.WAIT:
                self._release(task, delay=timedelta(seconds=0))
            case Verdict.RATE_LIMITED:
                retry_after = outcome.retry_after or 1.0
                self._paused_until = self.clock.now() + timedelta(seconds=retry_after)
                self._release(task, delay=None)
                log.warning("relay.rate_limited retry_after=%ss", retry_after)
                return True
            case Verdict.PERMANENT:
                if outcome.cause is Cause.BUG:
                    log.error(
                        "relay.task_crashed task=%s kind=%s item=%s",
                        task.id,
                        task.kind,
                        task.item_id,
                        exc_info=exc,
                    )
                self._park(task, outcome.error)
                if self.parking is not None:
                    try:
                        self.parking.parked(task, outcome)
                    except Exception:  # telling people must never stop the relay
                        log.exception("relay.notice_failed task=%s", task.id)
            case Verdict.UNREACHABLE:
                self._outages += 1
                pause = min(timedelta(seconds=2 ** min(self._outages, 10) / 4), self.max_outage_pause)
                self._paused_until = self.clock.now() + pause
                log.warning(
                    "relay.unreachable task=%s item=%s error=%s in=%ss",
                    task.id,
                    task.item_id,
                    outcome.error,
                    pause.total_seconds(),
                )
                self._release(task, delay=None, error=outcome.error)
                return True
            case Verdict.RETRY:
                self._failed(task, outcome.error)
        return False

    # -- bookkeeping ---------------------------------------------------------------

    def _claim_batch(self, ids: list[int | None]) -> list[SlackTask]:
        """Lease the tasks in one UPDATE; returns those this worker won, in the order asked."""
        if not ids:
            return []
        now = self.clock.now()
        with self.db.session() as session:
            won = {
                row[0]
                for row in session.execute(
                    update(SlackTask)
                    .where(
                        col(SlackTask.id).in_(ids),
                        col(SlackTask.done).is_(False),
                        or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                    )
                    .values(claimed_until=now + self.lease, attempts=SlackTask.attempts + 1)
                    .returning(col(SlackTask.id))
                )
            }
            if not won:
                return []
            by_id = {t.id: t for t in session.exec(select(SlackTask).where(col(SlackTask.id).in_(won))).all()}
        return [by_id[task_id] for task_id in ids if task_id in by_id]

    def _pending_by_item(self, tasks: list[SlackTask]) -> dict[int, list[tuple[int, bool, str]]]:
        """Every unfinished task of these items (of this worker's kinds), parked or not, with its error.

        A task runs after its item's earlier ones; behind a parked one it is parked too.
        """
        if not tasks:
            return {}
        with self.db.session() as session:
            rows = session.exec(
                select(SlackTask.item_id, SlackTask.id, SlackTask.failed_at, SlackTask.last_error).where(
                    col(SlackTask.item_id).in_({t.item_id for t in tasks}),
                    col(SlackTask.kind).in_(self._kinds),
                    col(SlackTask.done).is_(False),
                )
            ).all()
        pending: dict[int, list[tuple[int, bool, str]]] = {}
        for item_id, task_id, failed_at, last_error in rows:
            if task_id is not None:
                pending.setdefault(item_id, []).append((task_id, failed_at is not None, last_error or ""))
        return pending

    def _done_all(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id).in_(ids))
                .values(done=True, claimed_until=None, last_error=None)
            )

    def _release_all(self, ids: list[int]) -> None:
        """Give back leases of tasks this batch did not run; no attempt is counted."""
        if not ids:
            return
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id).in_(ids))
                .values(claimed_until=None, attempts=SlackTask.attempts - 1)
            )

    def _release(self, task: SlackTask, *, delay: timedelta | None, error: str | None = None) -> None:
        with self.db.session() as session:
            values: dict[str, Any] = {"claimed_until": None}
            if error is None:  # not run: the claim does not count as an attempt
                values["attempts"] = SlackTask.attempts - 1
            else:
                values["last_error"] = error[:500]
            if delay is not None:
                values["not_before"] = self.clock.now() + delay
            session.execute(update(SlackTask).where(col(SlackTask.id) == task.id).values(**values))

    def _done(self, task: SlackTask) -> None:
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id) == task.id)
                .values(done=True, claimed_until=None, last_error=None)
            )

    def _park(self, task: SlackTask, error: str) -> None:
        log.warning("relay.parked task=%s kind=%s item=%s error=%s", task.id, task.kind, task.item_id, error)
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id) == task.id)
                .values(claimed_until=None, failed_at=self.clock.now(), last_error=error[:500])
            )

    def _failed(self, task: SlackTask, error: str) -> None:
        delay = self._backoff(task.attempts)
        log.warning(
            "relay.retry task=%s kind=%s item=%s error=%s in=%ss",
            task.id,
            task.kind,
            task.item_id,
            error,
            delay.total_seconds(),
        )
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id) == task.id)
                .values(claimed_until=None, last_error=error[:500], not_before=self.clock.now() + delay)
            )

    def _backoff(self, attempts: int) -> timedelta:
        return min(timedelta(seconds=2 ** min(attempts, 10)), self.max_backoff)


def _held(waiting: Mapping[tuple[str, bool], float], channel: str | None, priority: int) -> bool:
    """Whether a task on `channel` waits for Slack's pace (routine posts also for the reserve)."""
    if channel is None:
        return False
    return (channel, False) in waiting or (Priority.is_routine(priority) and (channel, True) in waiting)
