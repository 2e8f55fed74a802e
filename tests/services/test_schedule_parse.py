"""Reading WHEN in the caller's time zone: daylight saving and the date line included."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.errors import UserError
from bot.services.schedule import local_format, parse_when

NY = ZoneInfo("America/New_York")  # daylight saving starts 2026-03-08 02:00
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14, first to see each day
PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11, across the date line from Kiritimati


@pytest.mark.parametrize(
    ("zone", "now", "text", "expected_utc"),
    [
        (
            NY,
            datetime(2026, 3, 7, 17, 0, tzinfo=UTC),
            "tomorrow 9am",
            datetime(2026, 3, 8, 13, 0, tzinfo=UTC),
        ),
        (NY, datetime(2026, 3, 7, 17, 0, tzinfo=UTC), "in 2 hours", datetime(2026, 3, 7, 19, 0, tzinfo=UTC)),
        # 01:30 EST + 2 elapsed hours is 04:30 EDT: the clocks skipped 02:00-03:00.
        (NY, datetime(2026, 3, 8, 6, 30, tzinfo=UTC), "in 2 hours", datetime(2026, 3, 8, 8, 30, tzinfo=UTC)),
        (
            NY,
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            "friday 14:00",
            datetime(2026, 11, 27, 19, 0, tzinfo=UTC),
        ),
        (
            NY,
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            "2026-12-01 09:30",
            datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
        ),
        (
            KIRITIMATI,
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            "tomorrow 9am",
            datetime(2026, 11, 26, 19, 0, tzinfo=UTC),
        ),  # it is already Thu 26 10:00 there
        (
            PAGO,
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            "tomorrow 9am",
            datetime(2026, 11, 26, 20, 0, tzinfo=UTC),
        ),  # still Wed 25 09:00 there
        (
            PAGO,
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            "in 30 seconds",
            datetime(2026, 11, 25, 20, 0, 30, tzinfo=UTC),
        ),
        (
            ZoneInfo("UTC"),
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            "in 10 minutes",
            datetime(2026, 11, 25, 20, 10, tzinfo=UTC),
        ),
    ],
)
def test_when_is_read_in_the_callers_zone(
    zone: ZoneInfo, now: datetime, text: str, expected_utc: datetime
) -> None:
    assert parse_when(text, zone=zone, now=now) == expected_utc


def test_past_and_unreadable_times_are_refused_with_examples() -> None:
    now = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    with pytest.raises(UserError, match="has passed"):
        parse_when("2026-11-01 09:00", zone=NY, now=now)
    with pytest.raises(UserError, match="has passed"):
        parse_when("yesterday", zone=NY, now=now)
    with pytest.raises(UserError, match=r"can't read `when pigs fly`.*tomorrow 9am.*America/New_York"):
        parse_when("when pigs fly", zone=NY, now=now)


def test_local_format_shows_the_zone_time() -> None:
    assert (
        local_format(datetime(2026, 12, 1, 13, 0, tzinfo=UTC), ZoneInfo("Europe/Paris")) == "Tue 1 Dec 14:00"
    )
