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
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, true, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.relay.errors import Cause, Classified, Verdict, classify
from bot.relay.kinds import TaskKind
from bot.storage.db import Database
from bot.storage.models import SlackTask

log = logging.getLogger(__name__)

Runner = Callable[[SlackTask], None]


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
        parking: Parking | None = None,
        lease: timedelta | None = None,
    ) -> None:
        if lease is not None:
            self.lease = lease
        self.db = db
        self.clock = clock
        self.name = name
        self.parking = parking
        self._runners = dict(runners)
        self._kinds: Collection[str] = sorted(kind.value for kind in self._runners)
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        # Slack limits a method for the whole workspace: after a 429 nothing is sent until
        # Retry-After has passed, which also keeps items in the order they arrived.
        self._paused_until: datetime | None = None
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

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("relay.drain_failed worker=%s", self.name)
            # Woken at once for new work; the timeout picks up retries and other processes' rows.
            self._event.wait(timeout=0.5)
            self._event.clear()

    def drain(self) -> int:
        """Run every due task of this worker's kinds once; returns how many were completed."""
        now = self.clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        with self.db.session() as session:
            # New items appear in the order they came: while an earlier item's post is held by
            # another process (or by one that died, until its lease ends), later ones wait.
            posting = session.exec(
                select(func.min(SlackTask.id)).where(
                    SlackTask.kind == TaskKind.POST_ITEM.value,
                    col(SlackTask.done).is_(False),
                    col(SlackTask.claimed_until) >= now,
                )
            ).one()
            in_order = (
                true()
                if posting is None
                else or_(col(SlackTask.kind) != TaskKind.POST_ITEM.value, col(SlackTask.id) < posting)
            )
            ids = session.exec(
                select(SlackTask.id)
                .where(
                    col(SlackTask.done).is_(False),
                    col(SlackTask.kind).in_(self._kinds),
                    col(SlackTask.failed_at).is_(None),
                    or_(col(SlackTask.not_before).is_(None), col(SlackTask.not_before) <= now),
                    or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                    in_order,
                )
                .order_by(col(SlackTask.id))
                .limit(self.batch)
            ).all()
        completed = 0
        held: set[int] = set()  # items with an earlier task still waiting: keep their order
        for task_id in ids:
            if self._stopped.is_set():
                break
            task = self._claim(task_id)
            if task is None:
                continue
            if task.item_id in held:
                self._release(task, delay=None)
                continue
            earlier = self._earlier(task)
            if earlier is not None:
                held.add(task.item_id)
                if earlier.failed_at is None:
                    self._release(task, delay=None)
                else:  # behind a parked task: parked too, so nothing waits in silence
                    self._park(task, f"after task {earlier.id}: {earlier.last_error}")
                continue
            try:
                self._runners[TaskKind(task.kind)](task)
            except Exception as exc:
                outcome = classify(exc)
                held.add(task.item_id)
                if self._settle(task, outcome, exc):
                    break
                continue
            self._done(task)
            self._outages = 0
            completed += 1
            if self.parking is not None:
                self.parking.delivered()
        return completed

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

    def _claim(self, task_id: int | None) -> SlackTask | None:
        now = self.clock.now()
        with self.db.session() as session:
            result = session.execute(
                update(SlackTask)
                .where(
                    col(SlackTask.id) == task_id,
                    col(SlackTask.done).is_(False),
                    or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                )
                .values(claimed_until=now + self.lease, attempts=SlackTask.attempts + 1)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(SlackTask, task_id)

    def _earlier(self, task: SlackTask) -> SlackTask | None:
        """The item's first task before this one that has not run (parked ones included)."""
        with self.db.session() as session:
            return session.exec(
                select(SlackTask)
                .where(
                    SlackTask.item_id == task.item_id,
                    col(SlackTask.kind).in_(self._kinds),
                    col(SlackTask.done).is_(False),
                    col(SlackTask.id) < task.id,
                )
                .order_by(col(SlackTask.id))
            ).first()

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
