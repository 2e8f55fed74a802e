"""The raw inbox: a webhook's items are stored as they came, committed in groups, and ingested after the 200.

"Stored before 200" holds: the answer waits for the commit of its delivery's row. What the row
costs is one INSERT shared with every other delivery that arrived meanwhile (group commit);
triage, look-ups and Slack tasks happen in `drain`, off the request path. A row left by a crash
is ingested at the next start; ingesting twice is harmless (the item's unique key).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot.platforms.base import Author, IncomingItem, ItemChange
from bot.services.ingest import INGEST_RUN, Ingestor
from bot.storage.db import Database, StoreGone
from bot.storage.models import InboxEntry, utcnow

log = logging.getLogger(__name__)

Change = IncomingItem | ItemChange


def _fields(value: Any) -> dict[str, Any]:
    # Shallow on purpose: dataclasses.asdict deep-copies every value, a tenth of a webhook's CPU.
    return {f.name: getattr(value, f.name) for f in fields(value)}


def encode(change: Change) -> str:
    data = _fields(change)
    if isinstance(change, IncomingItem):
        data["author"] = _fields(change.author)
    data["type"] = "change" if isinstance(change, ItemChange) else "item"
    return json.dumps(
        data, default=lambda value: value.isoformat() if isinstance(value, datetime) else str(value)
    )


def decode(text: str) -> Change:
    data: dict[str, Any] = json.loads(text)
    if data.pop("type") == "change":
        return ItemChange(**data)
    author = dict(data.pop("author"))
    if author.get("created_at"):
        author["created_at"] = datetime.fromisoformat(author["created_at"])
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    return IncomingItem(author=Author(**author), **data)


class _Pending:
    def __init__(self, rows: list[str]) -> None:
        self.rows = rows
        self.done = threading.Event()
        self.error: BaseException | None = None


def _runs(
    entries: list[tuple[int, Change | None]], *, size: int
) -> Iterator[list[tuple[int, Change | None]]]:
    """Consecutive new items, up to `size` at a time; anything else (a change, an unreadable
    entry) on its own, so the order of what happened to one item is kept."""
    run: list[tuple[int, Change | None]] = []
    for entry in entries:
        if isinstance(entry[1], IncomingItem):
            run.append(entry)
            if len(run) == size:
                yield run
                run = []
            continue
        if run:
            yield run
            run = []
        yield [entry]
    if run:
        yield run


class RawInbox:
    batch = 200
    chunk = INGEST_RUN
    # Deliveries are arriving while one came within `calm_seconds`: background work then gives
    # way (for at most `yield_seconds` a run of items), leaving the CPU and the database's
    # writer to the webhooks whose answers wait on them.
    calm_seconds = 0.1
    yield_seconds = 0.2
    lease = timedelta(seconds=60)

    def __init__(self, *, db: Database, ingestor: Ingestor, lease: timedelta | None = None) -> None:
        if lease is not None:
            self.lease = lease
        self.db = db
        self.ingestor = ingestor
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._last_delivery = float("-inf")  # time.monotonic() of the latest accept
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def accept(self, changes: list[Change], *, timeout: float = 10.0) -> None:
        """Store the delivery's changes; returns once they are committed (raises if they were not)."""
        if not changes:
            return
        if not self._threads:  # not started (a one-off use): store in this thread
            self._write([_Pending([encode(c) for c in changes])])
            self._wake.set()
            return
        pending = _Pending([encode(c) for c in changes])
        self._last_delivery = time.monotonic()
        self._queue.put(pending)
        if not pending.done.wait(timeout):
            raise TimeoutError("the raw inbox did not commit in time")
        if pending.error is not None:
            raise pending.error

    def start(self) -> None:
        for target, name in ((self._writer, "inbox-writer"), (self._ingester, "inbox-ingest")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._wake.set()  # rows a previous run stored but did not ingest

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(None)
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def give_way(self, *, at_most: float) -> None:
        """Wait while deliveries are arriving, for at most `at_most` seconds."""
        deadline = time.monotonic() + at_most
        while True:
            now = time.monotonic()
            until = min(self._last_delivery + self.calm_seconds, deadline)
            if now >= until:
                return
            time.sleep(until - now)

    def _writer(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                group.append(more)
            try:
                self._write(group)
            except Exception as exc:
                for pending in group:
                    pending.error = exc
            for pending in group:
                pending.done.set()
            self._wake.set()

    def _write(self, group: list[_Pending]) -> None:
        # Checked once per group, right before the commit that would otherwise be lost.
        if not self.db.file_is_ours():
            raise StoreGone("the SQLite file is gone")
        now = utcnow()
        with self.db.session() as session:
            # One multi-row INSERT (Core, not ORM objects): the answers of the whole group wait on it.
            session.execute(
                insert(InboxEntry),
                [
                    {"body": row, "done": False, "received_at": now}
                    for pending in group
                    for row in pending.rows
                ],
            )

    def _ingester(self) -> None:
        while not self._stopped.is_set():
            try:
                while self.drain():
                    pass
            except Exception:
                log.exception("inbox.drain_failed")
            self._wake.wait(timeout=1.0)
            self._wake.clear()

    def _ingest(self, run: list[tuple[int, Change | None]]) -> list[int]:
        """Ingest a run of entries; returns those handled (all, unless the database went away).

        New items are stored together in one transaction. An entry that cannot be ingested is
        logged and skipped, without holding up the others.
        """
        if len(run) > 1:  # only new items are run together
            items = [change for _, change in run if isinstance(change, IncomingItem)]
            try:
                self.ingestor.ingest_many(items)
                return [entry_id for entry_id, _ in run]
            except OperationalError:
                # Not marked done: ingested again when the lease runs out.
                log.warning("inbox.retry_later entry=%s", run[0][0])
                return []
            except Exception:
                log.exception("inbox.batch_failed first=%s last=%s", run[0][0], run[-1][0])
        done: list[int] = []
        for entry_id, change in run:
            try:
                if isinstance(change, ItemChange):
                    self.ingestor.apply_change(change)
                elif change is not None:
                    self.ingestor.ingest(change)
            except OperationalError:
                log.warning("inbox.retry_later entry=%s", entry_id)
                return done
            except Exception:
                log.exception("inbox.skipped entry=%s", entry_id)
            done.append(entry_id)
        return done

    def pending(self) -> int:
        """Deliveries stored but not ingested yet (by any process)."""
        with self.db.session() as session:
            return session.exec(
                select(func.count()).select_from(InboxEntry).where(col(InboxEntry.done).is_(False))
            ).one()

    def drain(self) -> int:
        """Ingest stored deliveries, oldest first; returns how many rows this call handled.

        Rows are leased first (a conditional UPDATE), so two processes never ingest one delivery
        at the same time (which would also leave gaps in the `#N` numbers on PostgreSQL).
        """
        now = utcnow()
        with self.db.session() as session:
            # Items are numbered in the order they came: while an earlier delivery is leased by
            # another process (or by one that died, until its lease ends), later ones wait.
            held = session.exec(
                select(func.min(InboxEntry.id)).where(
                    col(InboxEntry.done).is_(False), col(InboxEntry.claimed_until) >= now
                )
            ).one()
            ids = session.exec(
                select(InboxEntry.id)
                .where(
                    col(InboxEntry.done).is_(False),
                    or_(col(InboxEntry.claimed_until).is_(None), col(InboxEntry.claimed_until) < now),
                    col(InboxEntry.id) < held if held is not None else col(InboxEntry.done).is_(False),
                )
                .order_by(col(InboxEntry.id))
                .limit(100)
            ).all()
            if not ids:
                return 0
            won = {
                row[0]
                for row in session.execute(
                    update(InboxEntry)
                    .where(
                        col(InboxEntry.id).in_(ids),
                        col(InboxEntry.done).is_(False),
                        or_(col(InboxEntry.claimed_until).is_(None), col(InboxEntry.claimed_until) < now),
                    )
                    .values(claimed_until=now + self.lease)
                    .returning(col(InboxEntry.id))
                )
            }
            rows = session.exec(
                select(InboxEntry).where(col(InboxEntry.id).in_(won)).order_by(col(InboxEntry.id))
            ).all()
        entries: list[tuple[int, Change | None]] = []
        for row in rows:
            assert row.id is not None
            try:
                entries.append((row.id, decode(row.body)))
            except Exception:
                log.exception("inbox.skipped entry=%s", row.id)
                entries.append((row.id, None))
        handled: list[int] = []
        for run in _runs(entries, size=self.chunk):
            self.give_way(at_most=self.yield_seconds)
            done = self._ingest(run)
            handled += done
            if len(done) < len(run):
                break  # the database went away: the rest stay leased and are ingested later
        if handled:
            with self.db.session() as session:
                session.execute(
                    update(InboxEntry)
                    .where(col(InboxEntry.id).in_(handled))
                    .values(done=True, claimed_until=None)
                )
        return len(handled)
