"""The first-response clock's arithmetic: it runs only in business hours, across daylight saving too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.brands import hours_problem
from bot.services.business_hours import (
    ALWAYS,
    BusinessSchedule,
    HoursError,
    Target,
    advance,
    business_elapsed,
    business_left,
    deadline,
    due_at,
    nudge_at,
    parse_hours,
    parse_schedule,
    parse_target,
    parse_timezone,
    target_from_duration,
)

BERLIN = ZoneInfo("Europe/Berlin")  # 2026: summer time from 29 March 02:00, back on 25 October 03:00
NEW_YORK = ZoneInfo("America/New_York")  # 2026: from 8 March 02:00, back on 1 November 02:00
ACME = "mon-fri 09:00-18:00, sat 10:00-14:00"


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK).astimezone(UTC)  # type: ignore[misc]


def schedule(hours: str | None, zone: str = "Europe/Berlin") -> BusinessSchedule:
    return parse_schedule(hours=hours, timezone=zone)


def due(hours: str | None, received: datetime, target: str, zone: str = "Europe/Berlin") -> datetime:
    return due_at(schedule=schedule(hours, zone), received=received, target=parse_target(text=target))


# -- parsing --------------------------------------------------------------------------------


def test_hours_read_days_ranges_and_several_windows() -> None:
    hours = parse_hours(text="Mon-Fri 09:00-12:00 13:00-18:00, sat 10:00-14:00")
    monday = [(9 * 60, 12 * 60), (13 * 60, 18 * 60)]
    assert hours.windows[:2] == tuple(monday)
    assert len(hours.windows) == 11
    assert hours.windows[-1] == (5 * 1440 + 600, 5 * 1440 + 840)
    assert not hours.always_open


@pytest.mark.parametrize(
    "text", [None, "", "  ", "always", "ALWAYS", "daily 00:00-24:00", "mon-sun 00:00-24:00"]
)
def test_always_open(text: str | None) -> None:
    assert parse_hours(text=text).always_open


def test_day_names_groups_and_wrapping_ranges() -> None:
    weekdays = parse_hours(text="weekdays 09:00-17:00").windows
    assert weekdays == parse_hours(text="monday-friday 09:00-17:00").windows
    assert weekdays == parse_hours(text="mon-fri 09:00-17:00").windows
    weekend = parse_hours(text="fri-mon 10:00-11:00").windows
    assert [start // 1440 for start, _ in weekend] == [0, 4, 5, 6]


def test_overlapping_windows_merge() -> None:
    assert parse_hours(text="mon 09:00-13:00, mon 12:00-18:00").windows == ((540, 1080),)


def test_overnight_windows_run_into_the_next_day_and_across_the_week_end() -> None:
    assert parse_hours(text="fri 22:00-02:00").windows == ((4 * 1440 + 1320, 5 * 1440 + 120),)
    assert parse_hours(text="sun 22:00-02:00, mon 01:00-09:00").windows == (
        (6 * 1440 + 1320, 7 * 1440 + 540),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon-fri 9-18", "'9' is not a time; write it as HH:MM, e.g. 09:00"),
        ("mon-fri 09:00", "'09:00' is not a time range; write it as HH:MM-HH:MM"),
        ("mon-fri", "names days but no times"),
        ("mo-fr 09:00-18:00", "'mo' is not a day; use mon, tue, wed"),
        ("mon 09:00-18:00,, sat 10:00-14:00", "has an empty part between commas"),
        ("mon 25:00-26:00", "'25:00' is not a time of day"),
        ("mon 09:60-10:00", "'09:60' is not a time of day"),
        ("mon 24:00-02:00", "'24:00' is not a time of day"),
        ("mon 09:00-09:00", "'09:00-09:00' opens and closes at the same time"),
        ("someday 09:00-10:00", "'someday' is not a day"),
    ],
)
def test_unreadable_hours_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(HoursError, match=r"^hours: ") as error:
        parse_hours(text=text)
    assert message in str(error.value)


@pytest.mark.parametrize("text", ["closed", "None", "never", "-"])
def test_a_week_without_open_time_is_refused(text: str) -> None:
    with pytest.raises(HoursError, match="no open time in the week, so the clock would never run") as error:
        parse_hours(text=text)
    assert "leave hours out for always open" in str(error.value)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("90s", Target(time=timedelta(seconds=90))),
        ("30m", Target(time=timedelta(minutes=30))),
        ("1h", Target(time=timedelta(hours=1))),
        (" 2H ", Target(time=timedelta(hours=2))),
        ("1h30m", Target(time=timedelta(minutes=90))),
        ("1h 30m", Target(time=timedelta(minutes=90))),
        ("1d", Target(days=1)),
        ("10d", Target(days=10)),
        ("1d4h", Target(days=1, time=timedelta(hours=4))),
        (None, Target(time=timedelta(hours=1))),  # the SPEC's default
        ("", Target(time=timedelta(hours=1))),
    ],
)
def test_targets(text: str | None, target: Target) -> None:
    assert parse_target(text=text) == target
    assert parse_target(text=target.text) == target


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 hour", "is not a duration; write a whole number and a unit: '90s', '30m', '1h' or '1d'"),
        ("1.5h", "is not a duration"),
        ("-1h", "is not a duration"),
        ("1w", "is not a duration"),
        ("h", "is not a duration"),
        ("1h-30m", "is not a duration"),
        ("0h0m", "is zero"),
        ("0m", "is zero"),
        ("91d", "longer than the 90 days allowed"),
        ("2161h", "longer than the 90 days allowed"),
    ],
)
def test_unreadable_targets_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(HoursError, match=r"^first_response: ") as error:
        parse_target(text=text)
    assert message in str(error.value)


def test_time_zones() -> None:
    assert parse_timezone(name="Europe/Berlin") == BERLIN
    assert parse_timezone(name=None) == ZoneInfo("UTC")
    for bad in ("Mars/Olympus", "CEST+1", "../etc/passwd", "Europe/"):
        with pytest.raises(HoursError, match=r"^timezone: .* is not an IANA time zone name"):
            parse_timezone(name=bad)


# -- the clock ------------------------------------------------------------------------------


def test_inside_hours_the_clock_runs_like_a_watch() -> None:
    assert due(ACME, berlin(2026, 11, 24, 10, 0), "1h") == berlin(2026, 11, 24, 11, 0)
    assert due(ACME, berlin(2026, 11, 24, 10, 0), "90s") == berlin(2026, 11, 24, 10, 1, 30)


def test_a_comment_on_saturday_night_is_due_monday_morning_plus_what_is_left() -> None:
    received = berlin(2026, 11, 28, 22, 0)
    assert due(ACME, received, "1h") == berlin(2026, 11, 30, 10, 0)
    # Received Saturday 13:30 with 30 minutes of business left that day: 30 more on Monday.
    assert due(ACME, berlin(2026, 11, 28, 13, 30), "1h") == berlin(2026, 11, 30, 9, 30)


def test_the_clock_pauses_overnight() -> None:
    assert due(ACME, berlin(2026, 11, 24, 17, 30), "1h") == berlin(2026, 11, 25, 9, 30)
    # Exactly at closing time the target is met at closing, not at the next opening.
    assert due(ACME, berlin(2026, 11, 24, 17, 0), "1h") == berlin(2026, 11, 24, 18, 0)


def test_one_day_is_one_business_day() -> None:
    assert due(ACME, berlin(2026, 11, 24, 15, 0), "1d") == berlin(2026, 11, 25, 15, 0)  # Tue -> Wed
    assert due(ACME, berlin(2026, 11, 27, 11, 0), "1d") == berlin(2026, 11, 28, 11, 0)  # Fri -> Sat
    # Friday 17:00 -> Saturday 17:00 is after Saturday's close: due when the clock gets there.
    assert due(ACME, berlin(2026, 11, 27, 17, 0), "1d") == berlin(2026, 11, 28, 14, 0)
    # Saturday night: the clock starts Monday 09:00; one full business day later is Monday's close.
    assert due(ACME, berlin(2026, 11, 28, 22, 0), "1d") == berlin(2026, 11, 30, 18, 0)
    # Sunday has no hours, so it is not a business day.
    assert due(ACME, berlin(2026, 11, 28, 11, 0), "1d") == berlin(2026, 11, 30, 11, 0)
    assert due(ACME, berlin(2026, 11, 24, 15, 0), "5d") == berlin(2026, 11, 30, 15, 0)


def test_always_open_hours_count_every_second() -> None:
    received = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    assert due(None, received, "1h", zone="UTC") == received + timedelta(hours=1)
    assert due(None, received, "1d", zone="UTC") == received + timedelta(days=1)


def test_targets_longer_than_a_week() -> None:
    # 45 business hours a week (mon-fri 9-18): 100h is two weeks and 10 hours later.
    received = berlin(2026, 11, 2, 9, 0)
    assert due("mon-fri 09:00-18:00", received, "100h") == berlin(2026, 11, 17, 10, 0)
    # Twelve business days from Monday's opening end at the close of the twelfth, Tuesday the 17th.
    assert due("mon-fri 09:00-18:00", received, "12d") == berlin(2026, 11, 17, 18, 0)
    assert due("mon-fri 09:00-18:00", berlin(2026, 11, 2, 12, 0), "12d") == berlin(2026, 11, 18, 12, 0)
    # One hour a week: a 3h target takes three weeks.
    assert due("wed 10:00-11:00", berlin(2026, 11, 2, 9, 0), "3h") == berlin(2026, 11, 18, 11, 0)


def test_overnight_hours() -> None:
    bar = "fri 22:00-02:00"
    assert due(bar, berlin(2026, 11, 27, 23, 30), "1h") == berlin(2026, 11, 28, 0, 30)
    assert due(bar, berlin(2026, 11, 28, 1, 30), "1h") == berlin(2026, 12, 4, 22, 30)
    # A Saturday 01:00 comment belongs to Friday's business day; one day on is next Saturday 01:00.
    assert due(bar, berlin(2026, 11, 28, 1, 0), "1d") == berlin(2026, 12, 5, 1, 0)
    week_end = "sun 22:00-02:00"
    # One hour left on Sunday, the second one after Monday midnight.
    assert due(week_end, berlin(2026, 11, 29, 23, 0), "2h") == berlin(2026, 11, 30, 1, 0)
    assert due(week_end, berlin(2026, 11, 29, 23, 0), "4h") == berlin(2026, 12, 6, 23, 0)


# -- daylight saving ------------------------------------------------------------------------


def test_berlin_spring_forward_keeps_wall_clock_hours() -> None:
    # Saturday 28 March 2026 after close; Monday 30 March opens at 09:00 summer time (07:00 UTC).
    assert due(ACME, berlin(2026, 3, 28, 20, 0), "1h") == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Open all night through the change: 01:30 CET + 1h of business time is 03:30 CEST.
    night = "daily 00:00-06:00"
    assert due(night, berlin(2026, 3, 29, 1, 30), "1h") == berlin(2026, 3, 29, 3, 30)
    # That night was open 5 real hours, not 6.
    assert business_elapsed(
        schedule=schedule(night), start=berlin(2026, 3, 29, 0, 0), end=berlin(2026, 3, 29, 12, 0)
    ) == timedelta(hours=5)


def test_berlin_fall_back_counts_the_repeated_hour_once_as_real_time() -> None:
    night = "daily 00:00-06:00"
    # 25 October 2026: 02:00-03:00 happens twice, so the night is 7 real hours long.
    assert business_elapsed(
        schedule=schedule(night), start=berlin(2026, 10, 25, 0, 0), end=berlin(2026, 10, 25, 12, 0)
    ) == timedelta(hours=7)
    # The first 02:30 (summer time) + 1h is the second 02:30 (winter time).
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert due(night, first, "1h") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    # Saturday 24 Oct after close; Monday opens 09:00 winter time (08:00 UTC).
    assert due(ACME, berlin(2026, 10, 24, 20, 0), "1h") == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_window_opening_in_the_spring_forward_gap_opens_when_the_clocks_jump() -> None:
    gap = "sun 02:30-04:00"
    # 29 March 2026, 02:30 does not exist in Berlin: the window opens at 03:00 CEST (01:00 UTC).
    assert due(gap, berlin(2026, 3, 29, 0, 0), "30m") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_new_york_one_business_day_across_the_change() -> None:
    always = schedule(None, "America/New_York")
    received = new_york(2026, 3, 7, 12, 0)
    due_next_day = due_at(schedule=always, received=received, target=Target(days=1))
    assert due_next_day == new_york(2026, 3, 8, 12, 0)
    assert due_next_day - received == timedelta(hours=23)  # the same wall time, one real hour less
    assert due(None, new_york(2026, 10, 31, 12, 0), "1d", "America/New_York") - new_york(
        2026, 10, 31, 12, 0
    ) == timedelta(hours=25)
    nine_to_five = "mon-fri 09:00-17:00"
    # Friday 6 March 16:30 EST + 1h: 30 min on Friday, 30 min from Monday 09:00 EDT (13:00 UTC).
    assert due(nine_to_five, new_york(2026, 3, 6, 16, 30), "1h", "America/New_York") == datetime(
        2026, 3, 9, 13, 30, tzinfo=UTC
    )


# -- elapsed, left, nudge -------------------------------------------------------------------


def test_time_left_runs_down_in_business_time_and_goes_negative_when_overdue() -> None:
    acme = schedule(ACME)
    received = berlin(2026, 11, 27, 17, 0)  # Friday
    the_deadline = deadline(schedule=acme, received=received, target=parse_target(text="2h"))
    assert the_deadline.due == berlin(2026, 11, 28, 11, 0)
    # 45 minutes into business time at 17:45; still 1h15 left at Saturday 08:00.
    assert business_elapsed(schedule=acme, start=received, end=berlin(2026, 11, 27, 17, 45)) == timedelta(
        minutes=45
    )
    assert business_left(schedule=acme, now=berlin(2026, 11, 28, 8, 0), due=the_deadline.due) == timedelta(
        hours=1
    )
    assert business_left(schedule=acme, now=berlin(2026, 11, 30, 9, 30), due=the_deadline.due) == -timedelta(
        hours=3, minutes=30
    )
    # 75% of 2h is 1h30: 1h on Friday, 30 min on Saturday morning.
    assert the_deadline.nudge == berlin(2026, 11, 28, 10, 30)


def test_nudge_for_a_day_target_is_three_quarters_of_that_business_day() -> None:
    acme = schedule(ACME)
    received = berlin(2026, 11, 24, 9, 0)
    the_deadline = deadline(schedule=acme, received=received, target=Target(days=1))
    # Received at opening: one business day later is that day's close.
    assert the_deadline.due == berlin(2026, 11, 24, 18, 0)
    assert the_deadline.nudge == berlin(2026, 11, 24, 15, 45)  # 9h x 0.75 = 6h45


def test_nudge_fraction_is_checked() -> None:
    with pytest.raises(ValueError, match="fraction"):
        nudge_at(schedule=ALWAYS_UTC, received=T0, due=T0 + timedelta(hours=1), fraction=0)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        advance(schedule=ALWAYS_UTC, start=datetime(2026, 1, 1), amount=timedelta(hours=1))


ALWAYS_UTC = BusinessSchedule(hours=ALWAYS, zone=ZoneInfo("UTC"))
T0 = datetime(2026, 1, 1, tzinfo=UTC)

# -- properties -----------------------------------------------------------------------------

HOURS = [
    ACME,
    "mon-fri 09:00-17:00",
    "daily 00:00-06:00",
    "fri 22:00-02:00",
    "sun 22:00-02:00, mon 01:00-09:00",
    "wed 10:00-11:00",
    "sun 02:30-04:00",  # opens inside Berlin's spring-forward gap once a year
    "mon-sat 08:00-12:00 14:00-20:00",
    "always",
]
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Lord_Howe"]
instants = st.datetimes(
    min_value=datetime(2025, 12, 25), max_value=datetime(2027, 1, 5), timezones=st.just(UTC)
)
targets = st.builds(
    Target, time=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=300))
)


@settings(max_examples=300, deadline=None)
@given(hours=st.sampled_from(HOURS), zone=st.sampled_from(ZONES), received=instants, target=targets)
def test_due_is_after_receipt_and_exactly_the_target_of_business_time_away(
    hours: str, zone: str, received: datetime, target: Target
) -> None:
    brand = schedule(hours, zone)
    due_time = due_at(schedule=brand, received=received, target=target)
    assert due_time >= received
    assert business_elapsed(schedule=brand, start=received, end=due_time) == target.time
    # And it is the earliest such instant: a second earlier, the target is not met.
    assert business_elapsed(schedule=brand, start=received, end=due_time - timedelta(seconds=1)) < (
        target.time
    )
    nudge = nudge_at(schedule=brand, received=received, due=due_time)
    assert received <= nudge <= due_time


@settings(max_examples=150, deadline=None)
@given(
    hours=st.sampled_from(HOURS),
    zone=st.sampled_from(ZONES),
    received=instants,
    days=st.integers(min_value=1, max_value=15),
)
def test_day_targets_are_due_after_receipt_and_grow_with_the_days(
    hours: str, zone: str, received: datetime, days: int
) -> None:
    brand = schedule(hours, zone)
    first = due_at(schedule=brand, received=received, target=Target(days=days))
    later = due_at(schedule=brand, received=received, target=Target(days=days + 1))
    assert received < first < later


@settings(max_examples=200, deadline=None)
@given(hours=st.sampled_from(HOURS), zone=st.sampled_from(ZONES), a=instants, b=instants, c=instants)
def test_elapsed_adds_up_and_left_mirrors_it(
    hours: str, zone: str, a: datetime, b: datetime, c: datetime
) -> None:
    brand = schedule(hours, zone)
    a, b, c = sorted((a, b, c))
    ab = business_elapsed(schedule=brand, start=a, end=b)
    bc = business_elapsed(schedule=brand, start=b, end=c)
    assert ab + bc == business_elapsed(schedule=brand, start=a, end=c)
    assert timedelta(0) <= ab <= b - a
    assert business_left(schedule=brand, now=a, due=b) == ab
    assert business_left(schedule=brand, now=b, due=a) == -ab


@pytest.mark.parametrize(
    "text",
    [
        "always",
        "Always",
        ACME,
        "mon 09:00-12:00 13:00-17:00",
        "sun 00:00-24:00",
        "mon-sun 08:00-20:00,sat 10:00-11:00",
    ],
)
def test_every_line_brands_yml_accepts_today_has_a_clock(text: str) -> None:
    assert hours_problem(text) is None
    parse_hours(text=text)
    parse_hours(text=text.replace(" ", "\t  "))


def test_a_duration_read_elsewhere_is_plain_business_time() -> None:
    target = target_from_duration(duration=timedelta(days=1))
    assert target == Target(time=timedelta(hours=24))
    # 24 business hours of mon-fri 09:00-18:00 from Monday's opening: Wednesday 15:00.
    assert due_at(schedule=schedule(ACME), received=berlin(2026, 11, 23, 9, 0), target=target) == berlin(
        2026, 11, 25, 15, 0
    )
    with pytest.raises(ValueError, match="longer than zero"):
        target_from_duration(duration=timedelta(0))
