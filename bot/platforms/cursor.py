"""A polling cursor for feeds that page newest first by time: the newest (time, id) seen.

YouTube, Bluesky and LinkedIn have no since_id; their adapters keep the newest item's time and
id as one string in the stored cursor and treat anything at or before it as already stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.clock import as_utc


@dataclass(frozen=True, order=True)
class TimeMark:
    at: str  # UTC, fixed width, so marks compare as strings
    id: str

    @classmethod
    def of(cls, moment: str | datetime, item_id: str) -> TimeMark:
        when = parse_time(moment) if isinstance(moment, str) else moment.astimezone(UTC)
        return cls(when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), item_id)

    def encode(self) -> str:
        return f"{self.at}|{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> TimeMark | None:
        if not value or "|" not in value:
            return None
        at, item_id = value.split("|", 1)
        try:
            return cls.of(at, item_id)
        except ValueError:
            return None  # not ours (an older format): start over as a first poll


def newest(*marks: TimeMark | None) -> TimeMark | None:
    present = [m for m in marks if m is not None]
    return max(present) if present else None


def parse_time(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
