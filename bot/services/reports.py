"""Reports (SPEC "Answer quickly"): how fast each brand answers, computed from plain rows.

`build_report` is pure: rows in, a frozen `Report` out, no database, no Slack, no clock. The
rows come from `bot.storage.reports.load_report_rows` (one query), and the report goes to
Slack through `bot.services.report_post.post_report` (blocks from `bot.message_builder.report`, chart from
`bot.services.charts`).

How items count, for items received in [period_start, period_end):
- *answered*: a reply was published (`first_response_at`); its first-response time is
  `elapsed(brand, received_at, first_response_at)`, wall-clock unless the caller passes the
  business-hours clock. Median and 90th percentile are over answered items only.
- *closed without reply*: ignored, marked spam, or removed by its author before any reply.
  Nothing was owed, so it counts in volume but in no timing and not in the target share.
- *still open*: neither. Counted separately, never as a made-up response time. An open item
  whose target had passed at `period_end` counts as missed in the target share; one still
  inside its target is left out of the share (it may yet be answered in time).
The share within target is answered-within-target / (answered + open past target).

Owner answer time is over the owner questions asked on those items: answered ones give the
median and 90th percentile; unanswered ones are counted.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from bot.storage.models import CLOSED_STATES, ItemState

NO_KIND = "unclassified"  # items from before triage stored a kind

# elapsed(brand key, start, end): how much of the brand's clock ran between two instants.
Elapsed = Callable[[str, datetime, datetime], timedelta]


# A brand's `first_response` is a business-time Target (bot.brands); reports take it as a
# plain duration, and a brand without one gets the SPEC default.
DEFAULT_TARGET = timedelta(hours=1)


def wall_clock(_brand: str, start: datetime, end: datetime) -> timedelta:
    return max(end - start, timedelta(0))


# -- input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerQuestionRow:
    asked_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True)
class ReportRow:
    """One item, reduced to what a report needs. Times are aware UTC."""

    item_id: int
    brand: str
    platform: str
    received_at: datetime
    state: str
    kind: str | None = None  # question, complaint, praise, comment; None before triage
    first_response_at: datetime | None = None  # the first published reply
    removed: bool = False
    owner_questions: tuple[OwnerQuestionRow, ...] = ()

    @property
    def closed_without_reply(self) -> bool:
        if self.first_response_at is not None:
            return False
        return self.removed or (self.state in CLOSED_STATES and self.state != ItemState.REPLIED)


# -- output ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Median and 90th percentile of some durations; None when there were none."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


@dataclass(frozen=True)
class DayStats:
    """One calendar day in the brand's time zone: volume by platform, median first response."""

    day: date
    volume_by_platform: tuple[tuple[str, int], ...]
    first_response_median: timedelta | None

    @property
    def volume(self) -> int:
        return sum(n for _, n in self.volume_by_platform)


@dataclass(frozen=True)
class BrandReport:
    brand: str
    target: timedelta
    volume: int
    volume_by_platform: tuple[tuple[str, int], ...]  # most first, then by name
    volume_by_kind: tuple[tuple[str, int], ...]
    answered: int
    still_open: int
    closed_without_reply: int
    first_response: Timing
    # Answered within target / (answered + open past target); None when nothing was due.
    within_target: int
    due: int
    owner_answer: Timing
    owner_unanswered: int
    days: tuple[DayStats, ...]

    @property
    def within_target_share(self) -> float | None:
        return self.within_target / self.due if self.due else None


@dataclass(frozen=True)
class Report:
    period_start: datetime
    period_end: datetime
    brands: tuple[BrandReport, ...]  # by brand key

    def brand(self, key: str) -> BrandReport | None:
        return next((b for b in self.brands if b.brand == key), None)

    def only(self, key: str) -> Report:
        """This report narrowed to one brand (for that brand's channel)."""
        return Report(
            period_start=self.period_start,
            period_end=self.period_end,
            brands=tuple(b for b in self.brands if b.brand == key),
        )


# -- computation -----------------------------------------------------------------------------


def percentile(sorted_seconds: Sequence[float], q: float) -> float:
    """The q-th quantile (0..1) by linear interpolation between closest ranks (numpy's default)."""
    if not sorted_seconds:
        raise ValueError("no values")
    position = (len(sorted_seconds) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_seconds) - 1)
    fraction = position - low
    return sorted_seconds[low] + (sorted_seconds[high] - sorted_seconds[low]) * fraction


def timing(seconds: Iterable[float]) -> Timing:
    values = sorted(seconds)
    if not values:
        return Timing()
    return Timing(
        count=len(values),
        median=timedelta(seconds=percentile(values, 0.5)),
        p90=timedelta(seconds=percentile(values, 0.9)),
    )


def _per_brand(value: Any, brand: str, default: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(brand, default)
    return value


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def build_report(
    *,
    rows: Iterable[ReportRow],
    period_start: datetime,
    period_end: datetime,
    target: timedelta | Mapping[str, timedelta],
    timezone: tzinfo | Mapping[str, tzinfo] = UTC,
    elapsed: Elapsed = wall_clock,
    brands: Iterable[str] = (),
) -> Report:
    """The report of the items received in [period_start, period_end), one part per brand.

    `target` and `timezone` are one value for every brand or a mapping by brand key (a brand
    missing from it gets the default 1h target and UTC). Days are calendar days in the brand's
    zone. Rows outside the period are ignored. Brands named in `brands` get a part even with no
    items (a quiet week still gets its weekly report).
    """
    by_brand: dict[str, list[ReportRow]] = {key: [] for key in brands}
    for row in rows:
        if period_start <= row.received_at < period_end:
            by_brand.setdefault(row.brand, []).append(row)
    parts = tuple(
        _brand_report(
            brand,
            by_brand[brand],
            period_start=period_start,
            period_end=period_end,
            target=_per_brand(target, brand, DEFAULT_TARGET),
            zone=_per_brand(timezone, brand, UTC),
            elapsed=elapsed,
        )
        for brand in sorted(by_brand)
    )
    return Report(period_start=period_start, period_end=period_end, brands=parts)


def _brand_report(
    brand: str,
    rows: list[ReportRow],
    *,
    period_start: datetime,
    period_end: datetime,
    target: timedelta,
    zone: tzinfo,
    elapsed: Elapsed,
) -> BrandReport:
    platforms: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    responses: list[float] = []
    owner_times: list[float] = []
    owner_unanswered = answered = still_open = closed = within = due = 0
    day_platforms: dict[date, Counter[str]] = defaultdict(Counter)
    day_responses: dict[date, list[float]] = defaultdict(list)
    for row in rows:
        platforms[row.platform] += 1
        kinds[row.kind or NO_KIND] += 1
        day = row.received_at.astimezone(zone).date()
        day_platforms[day][row.platform] += 1
        for question in row.owner_questions:
            if question.answered_at is None:
                owner_unanswered += 1
            else:
                owner_times.append(elapsed(brand, question.asked_at, question.answered_at).total_seconds())
        if row.first_response_at is not None:
            took = elapsed(brand, row.received_at, row.first_response_at)
            answered += 1
            due += 1
            within += took <= target
            responses.append(took.total_seconds())
            day_responses[day].append(took.total_seconds())
        elif row.closed_without_reply:
            closed += 1
        else:
            still_open += 1
            if elapsed(brand, row.received_at, period_end) > target:
                due += 1
    first_day = period_start.astimezone(zone).date()
    last_day = (period_end - timedelta(microseconds=1)).astimezone(zone).date()
    days = []
    day = first_day
    while day <= last_day:
        median = timing(day_responses.get(day, ())).median
        days.append(
            DayStats(day=day, volume_by_platform=_ranked(day_platforms[day]), first_response_median=median)
        )
        day += timedelta(days=1)
    return BrandReport(
        brand=brand,
        target=target,
        volume=len(rows),
        volume_by_platform=_ranked(platforms),
        volume_by_kind=_ranked(kinds),
        answered=answered,
        still_open=still_open,
        closed_without_reply=closed,
        first_response=timing(responses),
        within_target=within,
        due=due,
        owner_answer=timing(owner_times),
        owner_unanswered=owner_unanswered,
        days=tuple(days),
    )
