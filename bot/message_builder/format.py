"""Small text helpers for Slack mrkdwn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def escape(text: str) -> str:
    """Slack mrkdwn needs &, < and > escaped so user text cannot form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, *, limit: int = 2800) -> str:
    body = escape(text if len(text) <= limit else text[: limit - 1] + "…") or "_(no text)_"
    return "\n".join(f">{line}" for line in body.splitlines() or [""])


def slack_date(moment: datetime, *, fmt: str = "{date_short_pretty} {time}") -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    fallback = aware.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(aware.timestamp())}^{fmt}|{fallback}>"


def link(url: str, label: str) -> str:
    return f"<{url}|{escape(label)}>" if url else escape(label)


def age(delta_seconds: float) -> str:
    minutes = int(delta_seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h {minutes % 60}m"
    return f"{hours // 24}d {hours % 24}h"


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
