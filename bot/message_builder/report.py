"""The report message: one section per brand, within Slack's limits however many brands.

Built with slack_sdk.models. Brand names are outside text (brands.yml): shown in plain_text,
escaped in the fallback. Up to `DETAILED_BRANDS` brands get a section each with fields; any
further brands are summarised one line each, packed into sections under the 3,000-character
limit, so a message never passes 50 blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.message_builder.format import escape, slack_date
from bot.services.reports import NO_KIND, BrandReport, Report, Timing

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
NAME_LIMIT = 80
FALLBACK_LIMIT = 3000
# Header + period context + (section + divider) per brand + room for the summary of the rest.
DETAILED_BRANDS = 20

# User-facing strings.
TITLE = "Response report"
TITLE_ONE = "Response report: {name}"
PERIOD = (
    "Items received {start} to {end}. Times count business hours, from arrival to the first published reply."
)
NO_ITEMS = "No items arrived in this period."
BRAND_LINE = "{name}: {volume} items"
FIRST_RESPONSE = "*First response*\nmedian {median} · p90 {p90}"
NOT_YET = "no replies yet"
WITHIN_TARGET = "*Within target ({target})*\n{share} ({within} of {due})"
NOTHING_DUE = "nothing due yet"
STATUS = "*Items*\n{answered} answered · {open} still open · {closed} closed without reply"
OWNER = "*Owner answers*\nmedian {median} · p90 {p90} · {unanswered} unanswered"
OWNER_NONE = "*Owner answers*\nno questions asked"
PLATFORMS = "*By platform*\n{counts}"
KINDS = "*By kind*\n{counts}"
MORE_BRANDS = "*{count} more brands*"
SUMMARY_LINE = "{name}: {volume} items · median {median} · {share} within target"
LEFT_OUT = "…and {count} more brands (ask for one brand's report in its channel)."
CHART_TITLE = "{title}, {start} to {end}"
FALLBACK = "{title}: {brands} brands, {volume} items, {start} to {end}."
FALLBACK_ONE = (
    "{title}: {volume} items, first response median {median}, {share} within target, {start} to {end}."
)
KIND_LABELS = {
    "question": "Question",
    "complaint": "Complaint",
    "praise": "Praise",
    "comment": "Comment",
    NO_KIND: "Unclassified",
}


def _name(brand: str, names: Mapping[str, str] | None) -> str:
    name = (names or {}).get(brand) or brand
    name = "".join(" " if ch < " " or "\ud800" <= ch <= "\udfff" else ch for ch in name).strip() or brand
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


def _span(delta: timedelta | None) -> str:
    if delta is None:
        return "n/a"
    seconds = round(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def _share(brand: BrandReport) -> str:
    share = brand.within_target_share
    return NOTHING_DUE if share is None else f"{share:.0%}"


def _counts(pairs: tuple[tuple[str, int], ...], labels: Mapping[str, str] | None = None) -> str:
    text = " · ".join(f"{escape((labels or {}).get(k, k))} {n}" for k, n in pairs) or "none"
    return text if len(text) <= FIELD_LIMIT - 20 else text[: FIELD_LIMIT - 21] + "…"


def _timing_field(timing: Timing) -> str:
    if timing.count == 0:
        return f"*First response*\n{NOT_YET}"
    return FIRST_RESPONSE.format(median=_span(timing.median), p90=_span(timing.p90))


def _fields(brand: BrandReport) -> list[MarkdownTextObject]:
    owner = (
        OWNER.format(
            median=_span(brand.owner_answer.median),
            p90=_span(brand.owner_answer.p90),
            unanswered=brand.owner_unanswered,
        )
        if brand.owner_answer.count or brand.owner_unanswered
        else OWNER_NONE
    )
    texts = [
        _timing_field(brand.first_response),
        WITHIN_TARGET.format(
            target=_span(brand.target), share=_share(brand), within=brand.within_target, due=brand.due
        ),
        STATUS.format(answered=brand.answered, open=brand.still_open, closed=brand.closed_without_reply),
        owner,
        PLATFORMS.format(counts=_counts(brand.volume_by_platform)),
        KINDS.format(counts=_counts(brand.volume_by_kind, KIND_LABELS)),
    ]
    return [MarkdownTextObject(text=t) for t in texts]


def _period(start: datetime, end: datetime) -> tuple[str, str]:
    last = end - timedelta(seconds=1)
    return slack_date(start, fmt="{date_short}"), slack_date(last, fmt="{date_short}")


def _plain_period(start: datetime, end: datetime) -> tuple[str, str]:
    return start.strftime("%Y-%m-%d"), (end - timedelta(seconds=1)).strftime("%Y-%m-%d")


def chart_title(report: Report, *, names: Mapping[str, str] | None = None) -> str:
    """The chart's title and alt text: plain text (it is not parsed as mrkdwn)."""
    start, end = _plain_period(report.period_start, report.period_end)
    title = TITLE_ONE.format(name=_name(report.brands[0].brand, names)) if len(report.brands) == 1 else TITLE
    return CHART_TITLE.format(title=title, start=start, end=end)


def report_message(
    report: Report, *, names: Mapping[str, str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks for `report`; `names` maps brand keys to display names."""
    start, end = _period(report.period_start, report.period_end)
    plain_start, plain_end = _plain_period(report.period_start, report.period_end)
    single = len(report.brands) == 1
    title = TITLE_ONE.format(name=_name(report.brands[0].brand, names)) if single else TITLE
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=title[:HEADER_LIMIT], emoji=False)),
        ContextBlock(elements=[MarkdownTextObject(text=PERIOD.format(start=start, end=end))]),
    ]
    if not report.brands:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=NO_ITEMS)))
    for brand in report.brands[:DETAILED_BRANDS]:
        line = BRAND_LINE.format(name=_name(brand.brand, names), volume=brand.volume)
        blocks.append(DividerBlock())
        blocks.append(SectionBlock(text=PlainTextObject(text=line, emoji=False), fields=_fields(brand)))
    rest = report.brands[DETAILED_BRANDS:]
    if rest:
        blocks.append(DividerBlock())
        text = MORE_BRANDS.format(count=len(rest))
        shown = 0
        for brand in rest:
            line = SUMMARY_LINE.format(
                name=escape(_name(brand.brand, names)),
                volume=brand.volume,
                median=_span(brand.first_response.median),
                share=_share(brand),
            )
            if len(text) + 1 + len(line) > SECTION_TEXT_LIMIT:
                if len(blocks) >= MAX_BLOCKS - 2:
                    break
                blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
                text = ""
            text = f"{text}\n{line}" if text else line
            shown += 1
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
        if shown < len(rest):
            blocks.append(
                ContextBlock(elements=[MarkdownTextObject(text=LEFT_OUT.format(count=len(rest) - shown))])
            )
    if single:
        brand = report.brands[0]
        fallback = FALLBACK_ONE.format(
            title=escape(title),
            volume=brand.volume,
            median=_span(brand.first_response.median),
            share=_share(brand),
            start=plain_start,
            end=plain_end,
        )
    else:
        fallback = FALLBACK.format(
            title=TITLE,
            brands=len(report.brands),
            volume=sum(b.volume for b in report.brands),
            start=plain_start,
            end=plain_end,
        )
    return fallback[:FALLBACK_LIMIT], [block.to_dict() for block in blocks]
