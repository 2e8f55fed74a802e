"""Reports on demand (`/social report [7d|30d]`) and every Monday at 09:00 in each brand's zone.

The numbers come from `bot.services.reports` over rows read by `bot.storage.reports`; response
times are counted on each brand's first-response clock (its business hours). The weekly
report is claimed by inserting (brand, ISO week) into `weeklyreport`: whichever process
inserts first posts it, every other one gets the key conflict and does nothing.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.brands import Brand, Brands
from bot.clock import Clock
from bot.message_builder import strings
from bot.services.business_hours import (
    BusinessSchedule,
    business_elapsed,
    due_at,
    open_intervals,
    parse_schedule,
)
from bot.services.charts import render_chart
from bot.services.errors import UserError
from bot.services.report_post import PostedReport, post_report
from bot.services.reports import Report, build_report
from bot.storage.db import Database
from bot.storage.models import WeeklyReport
from bot.storage.reports import load_report_rows

PERIODS = {"7d": 7, "30d": 30}
WEEKLY_AT = time(9, 0)


@dataclass(frozen=True)
class Scope:
    brands: tuple[Brand, ...]
    accounts: Collection[tuple[str, str]] | None  # None: every account's items


class Timeline:
    """Business time between many pairs of instants: the span's open intervals, read once.

    `business_elapsed` walks the week's windows on every call; a report asks thousands of times
    over the same few weeks, so the intervals and their running total are kept, and each pair
    costs two binary searches. Instants outside the span fall back to `business_elapsed`.
    """

    def __init__(self, *, schedule: BusinessSchedule, start: datetime, end: datetime) -> None:
        self.schedule, self.start, self.end = schedule, start, end
        self._intervals = open_intervals(schedule=schedule, start=start, end=end)
        self._opens = [o for o, _ in self._intervals]
        self._before: list[float] = []
        total = 0.0
        for open_at, close_at in self._intervals:
            self._before.append(total)
            total += (close_at - open_at).total_seconds()

    def _since_start(self, moment: datetime) -> float:
        i = bisect_right(self._opens, moment) - 1
        if i < 0:
            return 0.0
        open_at, close_at = self._intervals[i]
        return self._before[i] + (min(moment, close_at) - open_at).total_seconds()

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return timedelta(0)
        if start < self.start or end > self.end:
            return business_elapsed(schedule=self.schedule, start=start, end=end)
        return timedelta(seconds=self._since_start(end) - self._since_start(start))


@dataclass
class Reporting:
    db: Database
    client: WebClient
    clock: Clock
    brands: Brands

    def __post_init__(self) -> None:
        self._schedules = {b.key: parse_schedule(hours=b.hours, timezone=b.timezone.key) for b in self.brands}
        self._default = next(iter(self.brands))

    def period(self, text: str) -> int:
        days = PERIODS.get((text or "7d").strip().lower())
        if days is None:
            raise UserError(strings.REPORT_USAGE)
        return days

    def for_channel(self, *, channel: str, days: int) -> PostedReport:
        """The report of the last `days` days: the channel's brand, or every brand elsewhere."""
        brand = self.brands.for_channel(channel)
        scope = self._scope(None if brand is None else (brand,))
        end = self.clock.now()
        try:
            return self._post(channel=channel, scope=scope, start=end - timedelta(days=days), end=end)
        except SlackApiError as exc:
            raise UserError(
                strings.REPORT_FAILED.format(error=exc.response.get("error", "unknown"))
            ) from None

    def weekly(self) -> int:
        """Post each brand's report for the week before, once, on Monday from 09:00 in its zone."""
        posted = 0
        now = self.clock.now()
        for brand in self.brands:
            local = now.astimezone(brand.timezone)
            if local.weekday() != 0 or local.time() < WEEKLY_AT:
                continue
            end = datetime.combine(local.date(), WEEKLY_AT, tzinfo=brand.timezone).astimezone(UTC)
            year, week, _ = local.isocalendar()
            key = f"{year}-W{week:02d}"
            if not self._claim(brand=brand, week=key):
                continue
            report = self._post(
                channel=brand.channel, scope=self._scope((brand,)), start=end - timedelta(days=7), end=end
            )
            with self.db.session() as session:
                session.execute(
                    update(WeeklyReport)
                    .where(col(WeeklyReport.brand_key) == brand.key, col(WeeklyReport.week) == key)
                    .values(ts=report.ts)
                )
            logging.getLogger(__name__).info("report.weekly brand=%s week=%s", brand.key, key)
            posted += 1
        return posted

    def build(self, *, scope: Scope, start: datetime, end: datetime) -> Report:
        with self.db.session() as session:
            rows = load_report_rows(
                session, since=start, until=end, brand_of=self._brand_of, accounts=scope.accounts
            )
        # Replies to the period's items come up to now; a margin covers the odd clock skew.
        span_end = max(end, self.clock.now()) + timedelta(days=1)
        timelines = {
            b.key: Timeline(schedule=self._schedules[b.key], start=start, end=span_end) for b in scope.brands
        }

        def elapsed(brand: str, since: datetime, until: datetime) -> timedelta:
            timeline = timelines.get(brand)
            if timeline is None:
                return self._elapsed(brand, since, until)
            return timeline.elapsed(since, until)

        return build_report(
            rows=rows,
            period_start=start,
            period_end=end,
            target={b.key: self._target_span(b, start) for b in scope.brands},
            timezone={b.key: b.timezone for b in scope.brands},
            elapsed=elapsed,
            brands=[b.key for b in scope.brands],
        )

    def _post(self, *, channel: str, scope: Scope, start: datetime, end: datetime) -> PostedReport:
        report = self.build(scope=scope, start=start, end=end)
        names = {b.key: b.name for b in self.brands}
        # One chart per message: the busiest brand's when the report covers several.
        busiest = max(report.brands, key=lambda part: part.volume)
        png = render_chart(busiest, title=names.get(busiest.brand, busiest.brand))
        return post_report(self.client, channel=channel, report=report, png=png, names=names)

    def _scope(self, brands: tuple[Brand, ...] | None) -> Scope:
        if brands is None or len(self.brands) == 1:
            # The single-brand setup: every stored item is the brand's, whatever its account.
            return Scope(brands=brands or tuple(self.brands), accounts=None)
        accounts = [(a.platform, a.external_id) for b in brands for a in b.accounts if a.external_id]
        return Scope(brands=brands, accounts=accounts)

    def _brand_of(self, platform: str, external_id: str) -> str:
        found = self.brands.account(platform=platform, external_id=external_id)
        return found[0].key if found else self._default.key

    def _target_span(self, brand: Brand, start: datetime) -> timedelta:
        """The brand's target as business time: `1d` is one business day, as long as the
        clock counts one from the period's start (reports compare business times)."""
        schedule = self._schedules[brand.key]
        due = due_at(schedule=schedule, received=start, target=brand.first_response)
        return business_elapsed(schedule=schedule, start=start, end=due)

    def _elapsed(self, brand: str, start: datetime, end: datetime) -> timedelta:
        schedule = self._schedules.get(brand) or self._schedules[self._default.key]
        return business_elapsed(schedule=schedule, start=start, end=end)

    def _claim(self, *, brand: Brand, week: str) -> bool:
        try:
            with self.db.session() as session:
                session.add(WeeklyReport(brand_key=brand.key, week=week, channel=brand.channel))
        except IntegrityError:
            return False  # another process has it
        return True
