"""Reports: the numbers on known data, and the rows read from a real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.reports import OwnerQuestionRow, ReportRow, build_report, percentile
from bot.storage.db import Database
from bot.storage.models import Account, Draft, DraftStatus, Item, ItemState, OwnerQuestion
from bot.storage.reports import load_report_rows

START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)
HOUR = timedelta(hours=1)
MIN = timedelta(minutes=1)


def row(
    n: int,
    *,
    brand: str = "acme",
    platform: str = "facebook",
    at: datetime = START + HOUR,
    reply_after: timedelta | None = None,
    state: str = ItemState.NEW,
    kind: str | None = None,
    removed: bool = False,
    questions: tuple[OwnerQuestionRow, ...] = (),
) -> ReportRow:
    return ReportRow(
        item_id=n,
        brand=brand,
        platform=platform,
        received_at=at,
        state=ItemState.REPLIED if reply_after is not None else state,
        kind=kind,
        first_response_at=at + reply_after if reply_after is not None else None,
        removed=removed,
        owner_questions=questions,
    )


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(values, 0.5) == 5.5
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile([7.0], 0.9) == 7.0


def test_first_response_median_and_p90_of_answered_items_only() -> None:
    rows = [row(n, reply_after=n * MIN) for n in range(1, 11)]  # 1..10 minutes
    rows.append(row(11))  # still open: no made-up time
    part = build_report(rows=rows, period_start=START, period_end=END, target=HOUR).brands[0]
    assert part.first_response.count == 10
    assert part.first_response.median == timedelta(minutes=5.5)
    assert part.first_response.p90 == timedelta(minutes=9.1)
    assert (part.answered, part.still_open, part.closed_without_reply) == (10, 1, 0)
    assert part.volume == 11


def test_share_within_target_counts_open_items_only_once_their_target_passed() -> None:
    rows = [
        row(1, reply_after=30 * MIN),  # in time
        row(2, reply_after=HOUR),  # exactly the target: in time
        row(3, reply_after=2 * HOUR),  # late
        row(4, at=START),  # open, target long passed: missed
        row(5, at=END - 10 * MIN),  # open, still inside its target: not counted yet
        row(6, state=ItemState.IGNORED),  # nothing owed
        row(7, state=ItemState.SPAM),
        row(8, removed=True),
    ]
    part = build_report(rows=rows, period_start=START, period_end=END, target=HOUR).brands[0]
    assert (part.within_target, part.due) == (2, 4)
    assert part.within_target_share == 0.5
    assert (part.answered, part.still_open, part.closed_without_reply) == (3, 2, 3)


def test_an_empty_period_has_no_brands_unless_named_and_then_zeroes() -> None:
    report = build_report(rows=[], period_start=START, period_end=END, target=HOUR)
    assert report.brands == ()
    named = build_report(rows=[], period_start=START, period_end=END, target=HOUR, brands=["quiet"])
    part = named.brands[0]
    assert (part.brand, part.volume, part.due) == ("quiet", 0, 0)
    assert part.first_response.median is None and part.within_target_share is None
    assert part.owner_answer.count == 0 and part.owner_unanswered == 0
    assert [d.day for d in part.days] == [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]


def test_owner_answer_time_and_unanswered_questions() -> None:
    asked = START + 2 * HOUR
    rows = [
        row(1, questions=(OwnerQuestionRow(asked_at=asked, answered_at=asked + 10 * MIN),)),
        row(
            2,
            questions=(
                OwnerQuestionRow(asked_at=asked, answered_at=asked + 30 * MIN),
                OwnerQuestionRow(asked_at=asked, answered_at=None),
            ),
        ),
    ]
    part = build_report(rows=rows, period_start=START, period_end=END, target=HOUR).brands[0]
    assert part.owner_answer.count == 2
    assert part.owner_answer.median == 20 * MIN
    assert part.owner_answer.p90 == 28 * MIN
    assert part.owner_unanswered == 1


def test_each_brand_gets_its_own_numbers_and_target() -> None:
    rows = [
        row(1, brand="acme", reply_after=45 * MIN, platform="x", kind="question"),
        row(2, brand="bistro", reply_after=45 * MIN, platform="instagram", kind="praise"),
        row(3, brand="bistro", reply_after=5 * MIN, platform="instagram", kind="praise"),
        row(4, brand="bistro", platform="facebook"),
        row(5, brand="acme", at=END + MIN, reply_after=MIN),  # after the period: left out
    ]
    report = build_report(
        rows=rows, period_start=START, period_end=END, target={"acme": HOUR, "bistro": 30 * MIN}
    )
    assert [b.brand for b in report.brands] == ["acme", "bistro"]
    acme, bistro = report.brands
    assert (acme.volume, acme.within_target, acme.due) == (1, 1, 1)
    assert (bistro.volume, bistro.within_target, bistro.due) == (3, 1, 3)
    assert bistro.volume_by_platform == (("instagram", 2), ("facebook", 1))
    assert bistro.volume_by_kind == (("praise", 2), ("unclassified", 1))
    assert acme.volume_by_kind == (("question", 1),)
    assert report.only("bistro").brands == (bistro,)


def test_days_are_calendar_days_in_the_brand_zone() -> None:
    zone = ZoneInfo("America/New_York")
    # 03:00 UTC on the 17th is still the 16th in New York.
    rows = [row(1, at=START + timedelta(days=1, hours=3), reply_after=20 * MIN)]
    part = build_report(rows=rows, period_start=START, period_end=END, target=HOUR, timezone=zone).brands[0]
    by_day = {d.day: d for d in part.days}
    assert by_day[date(2026, 11, 16)].volume == 1
    assert by_day[date(2026, 11, 16)].first_response_median == 20 * MIN
    assert part.days[0].day == date(2026, 11, 15)  # the period starts at 19:00 on the 15th there


def test_a_business_hours_clock_can_be_passed_in() -> None:
    def half(_brand: str, start: datetime, end: datetime) -> timedelta:
        return (end - start) / 2  # stands in for the business-hours clock

    rows = [row(1, reply_after=100 * MIN)]
    part = build_report(rows=rows, period_start=START, period_end=END, target=HOUR, elapsed=half).brands[0]
    assert part.first_response.median == 50 * MIN
    assert part.within_target == 1


def test_hostile_brand_names_are_just_keys() -> None:
    names = ["<!channel>", "a&b<c>", "\u202eevil", "💥" * 50, ""]
    rows = [row(i, brand=name, reply_after=MIN) for i, name in enumerate(names)]
    report = build_report(rows=rows, period_start=START, period_end=END, target=HOUR)
    assert sorted(b.brand for b in report.brands) == sorted(names)
    assert all(b.volume == 1 for b in report.brands)


# -- the rows from the database ---------------------------------------------------------------


def test_rows_come_from_items_published_drafts_and_owner_questions(db: Database) -> None:
    with db.session() as session:
        fb = Account(platform="facebook", external_id="1111", slack_channel="C1")
        x = Account(platform="x", external_id="1500", slack_channel="C2")
        session.add_all([fb, x])
        session.flush()
        assert fb.id is not None and x.id is not None

        def item(n: int, account: Account, at: datetime, state: str = ItemState.NEW) -> Item:
            assert account.id is not None
            found = Item(
                platform=account.platform,
                external_id=f"c{n}",
                account_id=account.id,
                received_at=at,
                state=state,
            )
            session.add(found)
            session.flush()
            return found

        answered = item(1, fb, START + HOUR, ItemState.REPLIED)
        open_ = item(2, x, START + 2 * HOUR)
        item(3, fb, START - MIN)  # before the period
        assert answered.id is not None and open_.id is not None
        for status, published in [
            (DraftStatus.PUBLISHED, START + HOUR + 40 * MIN),
            (DraftStatus.PUBLISHED, START + HOUR + 20 * MIN),  # the first published reply wins
            (DraftStatus.FAILED, None),
            (DraftStatus.PENDING, None),
        ]:
            session.add(
                Draft(item_id=answered.id, text="hi", author="U1", status=status, published_at=published)
            )
        session.add(Draft(item_id=open_.id, text="later", author="U1", status=DraftStatus.PENDING))
        session.add(
            OwnerQuestion(
                item_id=open_.id,
                question="price?",
                asked_by="U1",
                asked_at=START + 3 * HOUR,
                answered_at=START + 4 * HOUR,
            )
        )
        session.add(
            OwnerQuestion(item_id=open_.id, question="stock?", asked_by="U1", asked_at=START + 5 * HOUR)
        )

    with db.session() as session:
        rows = load_report_rows(
            session, since=START, until=END, brand_of=lambda platform, ident: f"{platform}:{ident}"
        )
    assert [(r.brand, r.platform, r.state) for r in rows] == [
        ("facebook:1111", "facebook", ItemState.REPLIED),
        ("x:1500", "x", ItemState.NEW),
    ]
    first, second = rows
    assert first.received_at == START + HOUR
    assert first.first_response_at == START + HOUR + 20 * MIN
    assert first.owner_questions == ()
    assert second.first_response_at is None
    assert second.owner_questions == (
        OwnerQuestionRow(asked_at=START + 3 * HOUR, answered_at=START + 4 * HOUR),
        OwnerQuestionRow(asked_at=START + 5 * HOUR, answered_at=None),
    )
    with db.session() as session:
        only_x = load_report_rows(
            session, since=START, until=END, brand_of=lambda p, i: "b", accounts=[("x", "1500")]
        )
        nothing = load_report_rows(session, since=START, until=END, brand_of=lambda p, i: "b", accounts=[])
    assert only_x == [replace(second, brand="b")]
    assert nothing == []
    report = build_report(rows=rows, period_start=START, period_end=END, target=HOUR)
    assert report.brand("facebook:1111") is not None
    assert report.brand("facebook:1111").first_response.median == 20 * MIN  # type: ignore[union-attr]
