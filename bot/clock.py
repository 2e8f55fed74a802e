"""Time, injectable so time-dependent logic can be tested without waiting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC, like the database columns."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC: SQLite hands back naive datetimes, and everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
