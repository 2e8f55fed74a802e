"""The first-response clock's arithmetic: a brand's business hours, its target, and time that only
runs while the business is open.

Pure: no database, no Slack, no clock of its own. Every instant in and out is aware UTC; the weekly
hours are wall-clock times in the brand's IANA time zone, so a 09:00 opening stays 09:00 across
daylight-saving changes.

Rules (the brands.yml validator shows the `HoursError` messages as they are):
- `hours`: comma-separated parts `DAYS HH:MM-HH:MM [HH:MM-HH:MM ...]`; DAYS is a day (`mon`,
  `monday`), a range (`mon-fri`, `fri-mon` wraps), `daily` or `weekdays`/`weekends`. Empty, missing or
  `always`: always open. `24:00` closes at midnight. An end earlier than its start runs past midnight
  (`fri 22:00-02:00` is Friday 22:00 to Saturday 02:00). Overlapping parts merge. A week with no open
  time is refused (the clock would never move).
- `first_response`: a whole number and a unit, `90s`, `30m`, `1h`, `1d`, or a sum (`1h30m`, `1d4h`: the
  days first, then the time). `s`, `m` and `h` are business time. `Nd` is N business days: due at the same wall-clock time on the N-th following day that has
  opening hours, or, when the business is closed at that time, at the moment the clock reaches it
  (the close before it). So with `mon-fri 09:00-18:00`, a comment on Tuesday 15:00 is due Wednesday
  15:00, and one on Saturday night is due Monday 18:00 (one full business day). When always open,
  `1d` is the same time the next day (23 or 25 hours across a daylight-saving change).
- A nonexistent wall time (inside a spring-forward gap) means the moment the clocks jumped; an
  ambiguous one (a fall-back hour) means its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_GROUPS = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}
_MINUTES_PER_DAY = 24 * 60
_WEEK = 7 * _MINUTES_PER_DAY
_UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1)}
# A target longer than this is a typo, not a service level; it also bounds every walk below.
MAX_TARGET = timedelta(days=90)
DEFAULT_TARGET = "1h"
DEFAULT_TIMEZONE = "UTC"
_EXAMPLE_HOURS = "e.g. 'mon-fri 09:00-18:00, sat 10:00-14:00'"
_NEVER = ("closed", "never", "none", "no", "-")
_NO_HOURS = "leave hours out for always open"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_TARGET = re.compile(r"^(?:\d{1,7}[smhd])+$")
_TARGET_PART = re.compile(r"(\d+)([smhd])")


class HoursError(ValueError):
    """A setting that cannot be read; the message names the field and what is wrong."""


@dataclass(frozen=True)
class WeeklyHours:
    """Open windows as minutes from Monday 00:00 local time, sorted, overlapping ones merged.

    A window may run past the end of the week (Sunday 22:00-02:00 ends at minute 10,200).
    """

    windows: tuple[tuple[int, int], ...]
    text: str = "always"

    @property
    def always_open(self) -> bool:
        return sum(end - start for start, end in self.windows) >= _WEEK


ALWAYS = WeeklyHours(windows=((0, _WEEK),))


@dataclass(frozen=True)
class Target:
    """A first-response target: business days (`d`), then business time (`s`, `m`, `h`).

    Days are kept apart because their length depends on the calendar (see the module's rules).
    """

    days: int = 0
    time: timedelta = timedelta(0)

    @property
    def text(self) -> str:
        seconds = int(self.time.total_seconds())
        parts = [f"{self.days}d"] if self.days else []
        for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
            if seconds >= size:
                parts.append(f"{seconds // size}{unit}")
                seconds %= size
        return "".join(parts) or "0s"


@dataclass(frozen=True)
class BusinessSchedule:
    """A brand's opening hours in its time zone."""

    hours: WeeklyHours
    zone: ZoneInfo


@dataclass(frozen=True)
class Deadline:
    """When an item received at `received` is due, and when the 75% nudge goes out."""

    received: datetime
    due: datetime
    nudge: datetime


# -- parsing --------------------------------------------------------------------------------


def parse_hours(*, text: str | None) -> WeeklyHours:
    """Read an `hours` setting; None, "" and "always" mean always open."""
    if text is None or not text.strip() or text.strip().lower() == "always":
        return ALWAYS
    if text.strip().lower() in _NEVER:
        raise HoursError(
            f"hours: {text!r} has no open time in the week, so the clock would never run; {_NO_HOURS}"
        )
    minutes: list[tuple[int, int]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise HoursError(f"hours: {text!r} has an empty part between commas ({_EXAMPLE_HOURS})")
        days_text, *ranges = part.split()
        days = _parse_days(days_text.lower(), part=part)
        if not ranges:
            raise HoursError(f"hours: {part!r} names days but no times ({_EXAMPLE_HOURS})")
        for time_range in ranges:
            start, end = _parse_range(time_range, part=part)
            for day in days:
                minutes.append((day * _MINUTES_PER_DAY + start, day * _MINUTES_PER_DAY + end))
    return WeeklyHours(windows=_merge(minutes), text=text.strip())


def parse_target(*, text: str | None) -> Target:
    """Read a `first_response` setting (`90s`, `30m`, `1h`, `1d`, or a sum like `1h30m`, `1d12h`).

    None or "" means the default, 1h.
    """
    raw = "".join((text or DEFAULT_TARGET).lower().split())
    if not _TARGET.match(raw):
        raise HoursError(
            f"first_response: {text!r} is not a duration; write a whole number and a unit: "
            "'90s', '30m', '1h' or '1d' (or a sum like '1h30m')"
        )
    days, time = 0, timedelta(0)
    for amount, unit in _TARGET_PART.findall(raw):
        if unit == "d":
            days += int(amount)
        else:
            time += _UNITS[unit] * int(amount)
    target = Target(days=days, time=time)
    if not days and not time:
        raise HoursError(f"first_response: {text!r} is zero; the target must be longer than that")
    if timedelta(days=days) + time > MAX_TARGET:
        raise HoursError(f"first_response: {text!r} is longer than the 90 days allowed")
    return target


def parse_timezone(*, name: str | None) -> ZoneInfo:
    """Read an IANA `timezone` (e.g. Europe/Berlin); None or "" means UTC."""
    raw = (name or DEFAULT_TIMEZONE).strip()
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(
            f"timezone: {name!r} is not an IANA time zone name; write e.g. 'Europe/Berlin' or 'America/New_York'"
        ) from None


def parse_schedule(*, hours: str | None, timezone: str | None) -> BusinessSchedule:
    return BusinessSchedule(hours=parse_hours(text=hours), zone=parse_timezone(name=timezone))


def _parse_days(text: str, *, part: str) -> tuple[int, ...]:
    if text in _DAY_GROUPS:
        return _DAY_GROUPS[text]
    first, dash, last = text.partition("-")
    start = _day(first, part=part)
    if not dash:
        return (start,)
    end = _day(last, part=part)
    count = (end - start) % 7 + 1  # fri-mon wraps over the weekend
    return tuple((start + i) % 7 for i in range(count))


def _day(text: str, *, part: str) -> int:
    if text in DAY_NAMES:
        return DAY_NAMES.index(text)
    if text in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(text)
    raise HoursError(
        f"hours: {part!r}: {text!r} is not a day; use mon, tue, wed, thu, fri, sat, sun, "
        "a range like mon-fri, or daily"
    )


def _parse_range(text: str, *, part: str) -> tuple[int, int]:
    first, dash, last = text.partition("-")
    if not dash:
        raise HoursError(f"hours: {part!r}: {text!r} is not a time range; write it as HH:MM-HH:MM")
    start = _minute(first, part=part, allow_24=False)
    end = _minute(last, part=part, allow_24=True)
    if end == start:
        raise HoursError(f"hours: {part!r}: {text!r} opens and closes at the same time")
    if end < start:
        end += _MINUTES_PER_DAY  # past midnight, into the next day
    return start, end


def _minute(text: str, *, part: str, allow_24: bool) -> int:
    match = _TIME.match(text)
    if match is None:
        raise HoursError(f"hours: {part!r}: {text!r} is not a time; write it as HH:MM, e.g. 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if allow_24 and (hour, minute) == (24, 0):
        return _MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        raise HoursError(
            f"hours: {part!r}: {text!r} is not a time of day (00:00 to 23:59, or 24:00 to close)"
        )
    return hour * 60 + minute


def _merge(minutes: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    # Only overlapping windows merge: touching ones stay apart so each day keeps its own opening
    # (a `1d` target counts days that open).
    merged: list[list[int]] = []
    for start, end in sorted(minutes):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    # A window running past Sunday midnight may overlap next week's first ones.
    while len(merged) > 1 and merged[-1][1] > _WEEK + merged[0][0]:
        first = merged.pop(0)
        merged[-1][1] = max(merged[-1][1], _WEEK + first[1])
    return tuple((start, end) for start, end in merged)


# -- the clock ------------------------------------------------------------------------------


def business_elapsed(*, schedule: BusinessSchedule, start: datetime, end: datetime) -> timedelta:
    """Open time between two instants; zero when `end` is not after `start`."""
    _check_aware(start, end)
    if end <= start:
        return timedelta(0)
    if schedule.hours.always_open:
        return end - start
    total = timedelta(0)
    for open_at, close_at, _ in _open_intervals(schedule, start):
        if open_at >= end:
            break
        total += min(close_at, end) - max(open_at, start)
    return total


def business_left(*, schedule: BusinessSchedule, now: datetime, due: datetime) -> timedelta:
    """Business time until `due`; negative (how long overdue, in business time) once it has passed."""
    if now <= due:
        return business_elapsed(schedule=schedule, start=now, end=due)
    return -business_elapsed(schedule=schedule, start=due, end=now)


def advance(*, schedule: BusinessSchedule, start: datetime, amount: timedelta) -> datetime:
    """The earliest instant at which `amount` of business time has passed since `start`."""
    _check_aware(start)
    if amount <= timedelta(0):
        return start
    if schedule.hours.always_open:
        return start + amount
    left = amount
    for open_at, close_at, _ in _open_intervals(schedule, start):
        available = close_at - max(open_at, start)
        if available >= left:
            return max(open_at, start) + left
        left -= available
    raise AssertionError("unreachable: _open_intervals never ends")


def due_at(*, schedule: BusinessSchedule, received: datetime, target: Target) -> datetime:
    """When an item received at `received` should have its first reply."""
    _check_aware(received)
    start = _due_in_days(schedule, received, target.days) if target.days else received
    return advance(schedule=schedule, start=start, amount=target.time)


def nudge_at(
    *, schedule: BusinessSchedule, received: datetime, due: datetime, fraction: float = 0.75
) -> datetime:
    """When `fraction` of the business time between receipt and due has passed."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    span = business_elapsed(schedule=schedule, start=received, end=due)
    return advance(schedule=schedule, start=received, amount=span * fraction)


def target_from_duration(*, duration: timedelta) -> Target:
    """A target of plain business time, for a duration already read elsewhere (24h stays 24h)."""
    if duration <= timedelta(0):
        raise ValueError("a first-response target must be longer than zero")
    return Target(time=duration)


def deadline(*, schedule: BusinessSchedule, received: datetime, target: Target) -> Deadline:
    due = due_at(schedule=schedule, received=received, target=target)
    return Deadline(received=received, due=due, nudge=nudge_at(schedule=schedule, received=received, due=due))


def open_intervals(
    *, schedule: BusinessSchedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The open intervals (UTC) that overlap [start, end), clipped to it, in order."""
    _check_aware(start, end)
    if schedule.hours.always_open:
        return [(start, end)] if end > start else []
    found = []
    for open_at, close_at, _ in _open_intervals(schedule, start):
        if open_at >= end:
            break
        found.append((max(open_at, start), min(close_at, end)))
    return found


def _due_in_days(schedule: BusinessSchedule, received: datetime, days: int) -> datetime:
    # The clock starts at the first open moment; the item is due at that wall time N open days on.
    open_at, _, business_day = next(
        (o, c, d) for o, c, d in _open_intervals(schedule, received) if c > received
    )
    start = max(open_at, received)
    open_days = _open_weekdays(schedule.hours)
    if start.astimezone(schedule.zone).weekday() in open_days:
        business_day = start.astimezone(schedule.zone).date()
    day = business_day
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() not in open_days:
            day += timedelta(days=1)
    wall = start.astimezone(schedule.zone).replace(tzinfo=None) + (day - business_day)
    candidate = _to_utc(wall, schedule.zone)
    # Closed at that wall time: due when the business clock gets there, at the close before it.
    span = business_elapsed(schedule=schedule, start=received, end=candidate)
    return advance(schedule=schedule, start=received, amount=span)


def _open_weekdays(hours: WeeklyHours) -> frozenset[int]:
    """Days that count for `Nd`: a window opens on them, or one covers them whole (always open).

    The early hours of an overnight window belong to the day it opened on.
    """
    days = set()
    for start, end in hours.windows:
        days.add(start // _MINUTES_PER_DAY)
        first_whole = -(-start // _MINUTES_PER_DAY)  # the first midnight at or after the opening
        for day in range(first_whole, end // _MINUTES_PER_DAY):
            days.add(day % 7)
    return frozenset(days)


def _open_intervals(schedule: BusinessSchedule, since: datetime) -> Iterator[tuple[datetime, datetime, date]]:
    """Open intervals (UTC) that end after `since`, in order, with the local date each opened on."""
    zone = schedule.zone
    local_day = since.astimezone(zone).date()
    # Start a week back: a window that opened earlier (overnight, or a merged multi-day one) may still run.
    monday = local_day - timedelta(days=local_day.weekday() + 7)
    previous_close: datetime | None = None
    while True:
        week_start = datetime(monday.year, monday.month, monday.day)
        for start_minute, end_minute in schedule.hours.windows:
            open_wall = week_start + timedelta(minutes=start_minute)
            open_at = _to_utc(open_wall, zone)
            close_at = _to_utc(week_start + timedelta(minutes=end_minute), zone)
            if previous_close is not None and open_at < previous_close:
                open_at = previous_close  # a fall-back hour cannot count twice
            if close_at <= open_at:
                continue  # a window that fell into a spring-forward gap
            previous_close = close_at
            if close_at > since:
                yield open_at, close_at, open_wall.date()
        monday += timedelta(days=7)


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; for an ambiguous time, fold=0 is its first occurrence
    # The clocks jumped over this wall time: it means the moment of the jump. Find it to the second.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    if high < low:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0) if high.microsecond else high


def _check_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware (UTC)")
