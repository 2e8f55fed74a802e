"""Polling platforms (X, YouTube, Bluesky, LinkedIn): fetch what is new since the stored cursor, ingest, then move the cursor.

The cursor moves only after every fetched item is stored, so a crash re-reads a page
(and ingestion drops the repeats) rather than skipping one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.platforms.base import PlatformError, PollingPlatform, TransientError
from bot.platforms.cursor import TimeMark
from bot.services.ingest import INGEST_RUN, Ingestor
from bot.storage.db import Database
from bot.storage.models import PollCursor

log = logging.getLogger(__name__)


@dataclass
class Poller:
    db: Database
    platform: PollingPlatform
    ingestor: Ingestor
    clock: Clock
    every_seconds: float = 60  # the platform's *_POLL_SECONDS
    max_backoff: timedelta = timedelta(minutes=15)
    _paused_until: datetime | None = None
    _failures: int = 0
    _key: str | None = field(default=None)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def poll(self) -> int:
        """One poll; returns how many new items were stored. Never raises."""
        with self._lock:  # the scheduled poll and a manual one never overlap
            return self._poll()

    def _poll(self) -> int:
        now = self.clock.now()
        if self._paused_until and now < self._paused_until:
            return 0
        try:
            key = self._key or self.platform.cursor_key()
            self._key = key
            with self.db.session() as session:
                cursor = session.get(PollCursor, key)
                since_id = cursor.since_id if cursor else None
            result = self.platform.fetch_new(since_id=since_id)
        except PlatformError as exc:
            self._failures += 1
            wait = exc.retry_after if isinstance(exc, TransientError) and exc.retry_after else None
            pause = (
                timedelta(seconds=wait)
                if wait
                else min(timedelta(seconds=5 * 2 ** min(self._failures, 8)), self.max_backoff)
            )
            self._paused_until = now + pause
            log.warning(
                "poll.failed platform=%s error=%s retry_in=%ss",
                self.platform.name,
                exc.reason,
                int(pause.total_seconds()),
            )
            return 0
        self._failures, self._paused_until = 0, None
        stored = 0
        for start in range(0, len(result.items), INGEST_RUN):  # a busy page in a few transactions
            run = result.items[start : start + INGEST_RUN]
            try:
                ids = self.ingestor.ingest_many(run)
            except Exception:
                # One by one, so the items before one that cannot be stored are kept (it raises again).
                ids = [self.ingestor.ingest(item) for item in run]
            stored += sum(1 for item_id in ids if item_id is not None)
        if result.newest_id and result.newest_id != since_id:
            try:
                self._advance(key, result.newest_id)
            except IntegrityError:
                self._advance(key, result.newest_id)  # another process created the row first
        if stored:
            log.info("poll.stored platform=%s count=%s", self.platform.name, stored)
        return stored

    def _advance(self, key: str, newest_id: str) -> None:
        with self.db.session() as session:
            cursor = session.get(PollCursor, key) or PollCursor(key=key)
            # Never move the cursor backwards (another process may have polled further).
            if cursor.since_id is None or _later(newest_id, cursor.since_id):
                cursor.since_id = newest_id
                cursor.updated_at = self.clock.now()
                session.add(cursor)


def _later(new: str, old: str) -> bool:
    """X's snowflake ids compare as numbers; time marks (`bot.platforms.cursor`) as fixed-width text."""
    if new.isdigit() and old.isdigit():
        return int(new) > int(old)
    new_mark, old_mark = TimeMark.decode(new), TimeMark.decode(old)
    if new_mark is None or old_mark is None:
        return old_mark is None  # an unreadable stored cursor is replaced, never a readable one by junk
    return new_mark > old_mark
