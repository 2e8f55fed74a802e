"""The report chart is a real PNG of Slack-preview size, the same bytes for the same report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.charts import render_chart
from bot.services.reports import build_report
from tests.fakes.slack_files import png_size
from tests.services.test_reports import END, HOUR, MIN, START, row


def _report(extra: int = 0):  # type: ignore[no-untyped-def]
    rows = [
        row(
            n,
            platform=("facebook", "instagram", "x", "mastodon")[n % 4],
            at=START + n * 3 * HOUR,
            reply_after=(n % 9) * 7 * MIN,
        )
        for n in range(40 + extra)
    ]
    return build_report(rows=rows, period_start=START, period_end=END, target=HOUR).brands[0]


def test_the_chart_is_a_png_sized_for_slack() -> None:
    png = render_chart(_report(), title="Acme, 16 to 22 Nov")
    assert png_size(png) == (960, 600)
    assert png.endswith(b"IEND\xaeB`\x82")


def test_the_same_report_gives_the_same_bytes_and_another_report_other_bytes() -> None:
    first = render_chart(_report(), title="Acme")
    assert render_chart(_report(), title="Acme") == first
    assert render_chart(_report(extra=5), title="Acme") != first
    assert b"Software" not in first and b"matplotlib" not in first.lower()


# DejaVu has no emoji: a box is drawn (bot.services.charts silences that warning outside pytest).
@pytest.mark.filterwarnings("ignore:Glyph")
def test_empty_periods_long_periods_and_hostile_titles_still_draw() -> None:
    empty = build_report(rows=[], period_start=START, period_end=END, target=HOUR, brands=["quiet"]).brands[0]
    assert png_size(render_chart(empty, title="quiet")) == (960, 600)
    long = build_report(
        rows=[row(1, reply_after=MIN)], period_start=START - timedelta(days=90), period_end=END, target=HOUR
    ).brands[0]
    assert png_size(render_chart(long, title="90 days")) == (960, 600)
    hostile = "$5 <!channel> a&b \x00 \ud800 \u202e 💥 " + "x" * 500
    assert png_size(render_chart(_report(), title=hostile)) == (960, 600)
