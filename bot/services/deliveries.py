"""Messages Slack refused for good (parked relay tasks): sending them again once people fixed the cause."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col

from bot.storage.db import Database
from bot.storage.models import SlackTask

log = logging.getLogger(__name__)


@dataclass
class Deliveries:
    db: Database
    wake: Callable[[], None]

    def retry_parked(self, *, user: str) -> int:
        """Un-park every parked task; they run again in their original order. Returns how many."""
        with self.db.session() as session:
            result = session.execute(
                update(SlackTask)
                .where(col(SlackTask.failed_at).is_not(None), col(SlackTask.done).is_(False))
                .values(failed_at=None, last_error=None, attempts=0, not_before=None, claimed_until=None)
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        log.info("relay.retry_parked user=%s tasks=%s", user, count)
        if count:
            self.wake()
        return count
