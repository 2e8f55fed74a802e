"""Reports in Slack: `/social report` through the real bot, and the weekly report posted once."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.brands import Brand, Brands
from bot.services.business_hours import business_elapsed, parse_schedule
from bot.services.reporting import Reporting, Timeline
from bot.storage.db import Database
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_files import png_size
from tests.harness import ALICE, BOB, INBOX, Bot

BERLIN = ZoneInfo("Europe/Berlin")


def _reports(slack: FakeSlack, channel: str = INBOX) -> list[dict[str, Any]]:
    return [m for m in slack.posted(channel) if m.get("text", "").startswith("Response report")]


def _answer(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def test_report_command_posts_the_numbers_and_a_png_chart_in_the_channel(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot: Bot = make_bot()
    root = bot.facebook_item(graph, n=1, text="Do you ship to Canada?")
    bot.facebook_item(graph, n=2, text="Love it")
    bot.command("draft 1 Yes we do!", user=ALICE)
    bot.command("approve 1", user=BOB)
    # The thread says so once the bot has recorded the reply (not merely once Facebook has it).
    slack.wait_for(lambda: any("Published" in m["text"] for m in slack.thread(INBOX, root["ts"])))
    bot.command("ignore 2", user=ALICE)

    _, name = bot.command("report 7d", user=ALICE)

    assert _answer(slack, name) == "Report for the last 7 days posted in this channel."
    (report,) = slack.wait_for(lambda: _reports(slack))
    shown = str(report["blocks"])
    assert "*By platform*\\nfacebook 2" in shown
    assert "1 answered · 0 still open · 1 closed without reply" in shown
    assert "100% (1 of 1)" in shown  # answered within the 1h target
    (chart,) = slack.wait_for(lambda: slack.files.uploaded(INBOX))
    assert chart.data is not None and png_size(chart.data) is not None  # a real PNG


def test_report_with_a_period_it_does_not_know_says_how_to_write_it(bot: Bot, slack: FakeSlack) -> None:
    _, name = bot.command("report 90d", user=ALICE)

    assert "`/social report 7d`" in _answer(slack, name)
    assert _reports(slack) == []


def _reporting(db: Database, slack: FakeSlack, clock: FakeClock, brand: Brand) -> Reporting:
    client = WebClient(token="xoxb-test-token", base_url=slack.url + "/api/", timeout=5)
    return Reporting(db=db, client=client, clock=clock, brands=Brands(all=(brand,)))


def test_the_weekly_report_goes_out_once_on_monday_at_nine_in_the_brands_zone(
    db: Database, slack: FakeSlack
) -> None:
    brand = Brand(key="acme", name="Acme Bakery", channel="C0ACME", timezone=BERLIN)
    clock = FakeClock(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))  # Monday 08:59 in Berlin
    processes = [_reporting(db, slack, clock, brand) for _ in range(3)]

    assert sum(p.weekly() for p in processes) == 0

    clock.set(datetime(2026, 11, 30, 8, 0, 30, tzinfo=UTC))  # 09:00:30 in Berlin
    results: list[int] = []
    start = threading.Barrier(len(processes))

    def run(process: Reporting) -> None:
        start.wait()
        results.append(process.weekly())

    threads = [threading.Thread(target=run, args=(p,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 0, 1]
    (report,) = _reports(slack, "C0ACME")
    assert "Acme Bakery" in report["text"]
    clock.advance(hours=5)
    assert sum(p.weekly() for p in processes) == 0  # later that Monday: already posted
    clock.advance(days=1)
    assert sum(p.weekly() for p in processes) == 0  # Tuesday
    clock.advance(days=6)
    assert sum(p.weekly() for p in processes) == 1  # the next Monday
    assert len(_reports(slack, "C0ACME")) == 2


def test_the_weekly_report_covers_the_seven_days_before_monday_nine(db: Database, slack: FakeSlack) -> None:
    brand = Brand(key="acme", name="Acme", channel="C0ACME", timezone=BERLIN)
    clock = FakeClock(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    reporting = _reporting(db, slack, clock, brand)

    reporting.weekly()

    (posted,) = _reports(slack, "C0ACME")
    # Monday 09:00 Berlin a week ago up to (not including) this Monday 09:00 Berlin.
    shown = str(posted["blocks"])
    assert "2026-11-23 08:00 UTC" in shown and "2026-11-30 07:59 UTC" in shown


def test_the_reports_timeline_counts_business_hours_as_the_clock_does_across_dst() -> None:
    schedule = parse_schedule(hours="mon-fri 09:00-18:00, sat 10:00-14:00", timezone="Europe/Berlin")
    start, end = datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)  # summer time begins
    timeline = Timeline(schedule=schedule, start=start, end=end)
    rng = random.Random(12)
    for _ in range(300):
        a = start + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))  # some fall outside the span
        b = a + timedelta(minutes=rng.randrange(0, 5 * 24 * 60))
        assert timeline.elapsed(a, b) == business_elapsed(schedule=schedule, start=a, end=b), (a, b)
