"""The first-response clock: instants stamped at ingest in the brand's hours, notes sent once, the time left shown."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.brands import Brand, Brands, FacebookAccount
from bot.message_builder.ids import ActionId
from bot.platforms.base import Author, IncomingItem
from bot.relay.kinds import TaskKind
from bot.services.accounts import Connected, PlatformRegistry
from bot.services.business_hours import Target
from bot.services.first_response import (
    FirstResponse,
    clock_text,
    clocks_by_brand,
    next_boundary,
    shown_left,
)
from bot.services.ingest import Ingestor
from bot.storage.db import Database
from bot.storage.models import Item, ItemState, SlackTask
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, INBOX, Bot

BERLIN = ZoneInfo("Europe/Berlin")
_ids = itertools.count(1)


def _brand(
    *,
    key: str = "acme",
    page: str = "111",
    channel: str = INBOX,
    zone: ZoneInfo = BERLIN,
    hours: str = "mon-fri 09:00-18:00",
    first_response: timedelta = timedelta(hours=1),
) -> Brand:
    return Brand(
        key=key,
        name=key.title(),
        channel=channel,
        timezone=zone,
        hours=hours,
        first_response=Target(time=first_response),
        accounts=(FacebookAccount(page_id=page, token=f"token-{page}"),),
    )


def _clock_for(db: Database, clock: FakeClock, *brands: Brand) -> FirstResponse:
    return FirstResponse(db=db, clock=clock, policy_for=clocks_by_brand(Brands(all=brands)))


def _ingest(
    db: Database, first_response: FirstResponse, *, brands: tuple[Brand, ...] = (), page: str = "111"
) -> int:
    # Which brand an item belongs to is the ingestor's (by its account); the clock reads it from the item.
    brands = brands or (_brand(),)
    registry = PlatformRegistry(
        db=db,
        brands=Brands(all=brands),
        connected=[Connected(brand=b, account=a, platform=None) for b in brands for a in b.accounts],  # type: ignore[arg-type]
    )
    ingestor = Ingestor(db=db, accounts=registry, stamp=first_response.stamp)
    n = next(_ids)
    item_id = ingestor.ingest(
        IncomingItem(
            platform="facebook",
            external_id=f"555_{n}",
            account_external_id=page,
            author=Author(id="42", name="Jane", handle="jane", url=""),
            text="Do you ship to Canada?",
            url="https://facebook.com/555_1",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    assert item_id is not None
    return item_id


def _item(db: Database, item_id: int) -> Item:
    with db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        return item


def _notes(db: Database, item_id: int) -> list[str]:
    with db.session() as session:
        rows = session.query(SlackTask).filter_by(item_id=item_id, kind=TaskKind.NOTE.value).all()
        return [row.text for row in sorted(rows, key=lambda r: r.id or 0)]


def _berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


# -- what the message shows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "shown", "text"),
    [
        (timedelta(hours=5, minutes=1), timedelta(hours=6), ":stopwatch: 6h left to first reply"),
        (timedelta(hours=1, minutes=58), timedelta(hours=2), ":stopwatch: 2h left to first reply"),
        (timedelta(minutes=44, seconds=1), timedelta(minutes=45), ":stopwatch: 45m left to first reply"),
        (timedelta(seconds=90), timedelta(minutes=2), ":stopwatch: 2m left to first reply"),
        (timedelta(seconds=1), timedelta(minutes=1), ":stopwatch: 1m left to first reply"),
    ],
)
def test_the_time_left_is_rounded_up_to_hours_then_five_minutes_then_minutes(
    left: timedelta, shown: timedelta, text: str
) -> None:
    assert shown_left(left) == shown
    assert clock_text(left) == text


def test_at_or_past_the_target_the_message_says_overdue() -> None:
    assert clock_text(timedelta(0)) == ":rotating_light: *Overdue*"
    assert clock_text(-timedelta(hours=3)) == ":rotating_light: *Overdue*"


def test_the_message_is_re_rendered_only_when_the_shown_value_changes() -> None:
    assert next_boundary(timedelta(hours=5, minutes=1)) == timedelta(hours=5)
    assert next_boundary(timedelta(minutes=44, seconds=1)) == timedelta(minutes=40)
    assert next_boundary(timedelta(seconds=90)) == timedelta(minutes=1)
    assert next_boundary(timedelta(seconds=30)) == timedelta(0)


# -- instants stamped at ingest, in the brand's hours and time zone ------------------------------


def test_a_comment_on_saturday_night_is_due_monday_morning_plus_the_target(db: Database) -> None:
    clock = FakeClock(_berlin(2026, 1, 10, 23, 30))  # Saturday night
    item_id = _ingest(db, _clock_for(db, clock, _brand()))

    item = _item(db, item_id)
    assert item.due_at == _berlin(2026, 1, 12, 10, 0)
    assert item.nudge_at == _berlin(2026, 1, 12, 9, 45)


def test_each_item_runs_on_its_own_brands_hours_zone_and_target(db: Database) -> None:
    # Saturday night in Berlin: Acme (Berlin, weekdays) pauses to Monday; Bolt (New York,
    # open every day until midnight, 30 minutes) is open at 17:30 its time and counts now.
    acme = _brand()
    bolt = _brand(
        key="bolt",
        page="222",
        channel="C0BOLT",
        zone=ZoneInfo("America/New_York"),
        hours="mon-sun 08:00-24:00",
        first_response=timedelta(minutes=30),
    )
    clock = FakeClock(_berlin(2026, 1, 10, 23, 30))
    first_response = _clock_for(db, clock, acme, bolt)
    acme_item = _ingest(db, first_response, brands=(acme, bolt), page="111")
    bolt_item = _ingest(db, first_response, brands=(acme, bolt), page="222")

    assert (_item(db, acme_item).brand_key, _item(db, bolt_item).brand_key) == ("acme", "bolt")
    assert _item(db, acme_item).due_at == _berlin(2026, 1, 12, 10, 0)
    assert _item(db, bolt_item).due_at == _berlin(2026, 1, 11, 0, 0)
    assert first_response.label(_item(db, bolt_item)) == ":stopwatch: 30m left to first reply"
    assert (
        first_response.label(_item(db, acme_item)) == ":stopwatch: 1h left to first reply"
    )  # paused: business time


def test_the_clock_pauses_over_the_weekend_when_summer_time_begins(db: Database) -> None:
    # Friday 17:30 CET; 30 minutes count on Friday, the rest from 09:00 CEST on Monday.
    clock = FakeClock(_berlin(2026, 3, 27, 17, 30))
    item_id = _ingest(db, _clock_for(db, clock, _brand()))

    assert _item(db, item_id).due_at == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)  # 09:30 CEST


def test_the_clock_pauses_over_the_weekend_when_summer_time_ends(db: Database) -> None:
    clock = FakeClock(_berlin(2026, 10, 23, 17, 30))  # Friday 17:30 CEST
    item_id = _ingest(db, _clock_for(db, clock, _brand()))

    assert _item(db, item_id).due_at == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)  # 09:30 CET


def test_a_week_without_holidays_counts_every_weekday(db: Database) -> None:
    # 40 business hours at 9 a day from Monday 09:00: four full days and 4 hours into Friday.
    clock = FakeClock(_berlin(2026, 6, 8, 9, 0))
    item_id = _ingest(db, _clock_for(db, clock, _brand(first_response=timedelta(hours=40))))

    item = _item(db, item_id)
    assert item.due_at == _berlin(2026, 6, 12, 13, 0)
    assert item.nudge_at == _berlin(2026, 6, 11, 12, 0)  # 30 business hours in: 27 by Wednesday night


def test_outside_business_hours_the_time_left_stands_still(db: Database) -> None:
    clock = FakeClock(_berlin(2026, 1, 9, 17, 30))  # Friday, half an hour before closing
    first_response = _clock_for(db, clock, _brand())
    item_id = _ingest(db, first_response)

    clock.set(_berlin(2026, 1, 10, 12, 0))  # Saturday noon
    assert first_response.label(_item(db, item_id)) == ":stopwatch: 30m left to first reply"
    clock.set(_berlin(2026, 1, 12, 9, 20))  # Monday
    assert first_response.label(_item(db, item_id)) == ":stopwatch: 10m left to first reply"


# -- the notes ------------------------------------------------------------------------------------


def test_at_75_percent_one_note_however_many_processes_sweep(db: Database) -> None:
    clock = FakeClock(_berlin(2026, 1, 12, 9, 0))
    brand = _brand()
    item_id = _ingest(db, _clock_for(db, clock, brand))
    processes = [_clock_for(db, clock, brand) for _ in range(4)]
    clock.set(_berlin(2026, 1, 12, 9, 46))
    start = threading.Barrier(len(processes))
    errors: list[BaseException] = []

    def sweep(process: FirstResponse) -> None:
        start.wait()
        try:
            process.sweep()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep, args=(p,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert _notes(db, item_id) == [
        f":hourglass: #{item_id} has 15m left to its first reply. Nobody has claimed it: `Claim` it or reply."
    ]
    for process in processes:
        process.sweep()
    assert len(_notes(db, item_id)) == 1


def test_a_closed_item_gets_no_note_and_shows_no_clock(db: Database) -> None:
    clock = FakeClock(_berlin(2026, 1, 12, 9, 0))
    first_response = _clock_for(db, clock, _brand())
    item_id = _ingest(db, first_response)
    with db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        item.state = ItemState.IGNORED  # set directly: this test is about the clock, not the move
        session.add(item)

    clock.set(_berlin(2026, 1, 12, 11, 0))
    first_response.sweep()

    assert _notes(db, item_id) == []
    assert first_response.label(_item(db, item_id)) is None


def test_a_bot_that_was_down_past_the_target_sends_only_the_overdue_note(db: Database) -> None:
    clock = FakeClock(_berlin(2026, 1, 12, 9, 0))
    first_response = _clock_for(db, clock, _brand())
    item_id = _ingest(db, first_response)

    clock.set(_berlin(2026, 1, 12, 12, 0))
    first_response.sweep()
    first_response.sweep()

    assert _notes(db, item_id) == [
        f":rotating_light: #{item_id} is *Overdue*: its first reply is past the target. "
        "Nobody has claimed it: `Claim` it or reply."
    ]


# -- end to end: the real bot, the real scheduler, a clock moved by hand ---------------------------


def _context(message: dict[str, Any]) -> str:
    return str([b for b in message["blocks"] if b["type"] == "context"])


def test_the_item_message_counts_down_nudges_the_claimer_and_turns_overdue(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    bot: Bot = make_bot(clock=clock)  # the default brand: always open, 1h
    root = bot.facebook_item(graph, n=1, text="Where is my order?")
    assert "1h left to first reply" in _context(root)

    bot.click(ActionId.CLAIM, value="1", user=ALICE)
    clock.advance(minutes=46)
    note = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if ":hourglass:" in m["text"]), None),
        timeout=15,
    )
    assert note["text"] == f":hourglass: #1 has 15m left to its first reply. <@{ALICE}>, you claimed it."
    slack.wait_for(lambda: "15m left to first reply" in _context(slack.message(INBOX, root["ts"]) or root))

    clock.advance(minutes=15)
    overdue = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "*Overdue*" in m["text"]), None),
        timeout=15,
    )
    assert f"<@{ALICE}>, you claimed it." in overdue["text"]
    slack.wait_for(lambda: "*Overdue*" in _context(slack.message(INBOX, root["ts"]) or root))


def test_ignoring_an_item_stops_its_clock(make_bot: Any, slack: FakeSlack, graph: FakeGraph) -> None:
    clock = FakeClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    bot: Bot = make_bot(clock=clock)
    root = bot.facebook_item(graph, n=1, text="meh")
    bot.click(ActionId.CLOSE, selected="ignore:1", user=ALICE)
    slack.wait_for(lambda: "Ignored" in _context(slack.message(INBOX, root["ts"]) or root))

    clock.advance(hours=2)
    bot.runtime.services.first_response.sweep()  # the scheduled sweep, run now so the check is final

    assert not [
        m for m in slack.thread(INBOX, root["ts"]) if ":hourglass:" in m["text"] or "Overdue" in m["text"]
    ]
    assert "left to first reply" not in _context(slack.message(INBOX, root["ts"]) or root)
