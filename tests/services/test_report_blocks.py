"""The report's blocks stay within Slack's limits with many brands and hostile brand names."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.message_builder.report import chart_title, report_message
from bot.services.reports import build_report
from tests.services.test_reports import END, HOUR, MIN, START, row

HOSTILE = "<!channel> <@U123> <https://evil.example|click> &amp; &<> \u202e\u200f 💥 *bold* " + "ä" * 200


def limits(text: str, blocks: list[dict[str, Any]]) -> list[str]:
    """Slack's documented limits for a message's blocks (docs.slack.dev, Block Kit reference)."""
    problems = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks")
    if not text or len(text) > 40_000:
        problems.append("fallback text")
    for block in blocks:
        kind = block["type"]
        if kind == "header" and len(block["text"]["text"]) > 150:
            problems.append("header over 150")
        if kind == "section":
            if "text" in block and not 1 <= len(block["text"]["text"]) <= 3000:
                problems.append("section text over 3000")
            fields = block.get("fields", [])
            if len(fields) > 10 or any(len(f["text"]) > 2000 for f in fields):
                problems.append("fields")
        if kind == "context" and len(block["elements"]) > 10:
            problems.append("context elements")
    return problems


def mrkdwn_texts(text: str, blocks: list[dict[str, Any]]) -> list[str]:
    found = [text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def _report(brands: int):  # type: ignore[no-untyped-def]
    rows = [
        row(n * 10 + i, brand=f"brand-{n:03d}", reply_after=(i + 1) * MIN, kind="question")
        for n in range(brands)
        for i in range(3)
    ]
    return build_report(rows=rows, period_start=START, period_end=END, target=HOUR)


def test_one_brand_shows_every_figure() -> None:
    text, blocks = report_message(_report(1).only("brand-000"), names={"brand-000": "Acme"})
    assert not limits(text, blocks)
    assert blocks[0]["text"]["text"] == "Response report: Acme"
    shown = json.dumps(blocks)
    for figure in (
        "median 2 min",
        "p90",
        "Within target (60 min)",
        "100% (3 of 3)",
        "3 answered",
        "0 still open",
        "facebook 3",
        "Question 3",
        "no questions asked",
    ):
        assert figure in shown, figure
    assert "Acme: 3 items" in text or "3 items" in text


def test_twenty_brands_fit_in_one_message() -> None:
    text, blocks = report_message(_report(20))
    assert not limits(text, blocks)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 20 and all(len(s["fields"]) == 6 for s in sections)


def test_hundreds_of_brands_are_summarised_within_limits() -> None:
    for count in (21, 60, 400):
        text, blocks = report_message(_report(count), names={f"brand-{n:03d}": HOSTILE for n in range(count)})
        assert not limits(text, blocks), count
        shown = json.dumps(blocks)
        assert f"{count - 20} more brands" in shown
    assert "more brands (ask for one brand" in shown  # 400 brands: the rest is counted, not listed


def test_hostile_brand_names_never_ping_or_link() -> None:
    report = _report(3)
    names = {f"brand-{n:03d}": HOSTILE for n in range(3)}
    text, blocks = report_message(report, names=names)
    assert not limits(text, blocks)
    for mrkdwn in mrkdwn_texts(text, blocks):
        assert not re.search(r"<(?!!date\^)[!@#]|<https?:", mrkdwn), mrkdwn
    plain = [b["text"] for b in blocks if b["type"] == "section"]
    assert all(p["type"] == "plain_text" and p["emoji"] is False for p in plain)
    one_text, one_blocks = report_message(report.only("brand-000"), names=names)
    assert not limits(one_text, one_blocks)
    assert "&lt;!channel&gt;" in one_text
    assert "\n" not in chart_title(report.only("brand-000"), names={"brand-000": "a\nb\x00c"})


def test_an_empty_report_says_so() -> None:
    text, blocks = report_message(build_report(rows=[], period_start=START, period_end=END, target=HOUR))
    assert not limits(text, blocks)
    assert "No items arrived" in json.dumps(blocks)
