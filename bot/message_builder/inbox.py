"""`/social inbox`: the open items, oldest first, with their age."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.message_builder import strings
from bot.message_builder.format import age, escape, link
from bot.message_builder.item import KIND
from bot.storage.models import ItemState

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.services.items import OpenItem
    from bot.services.schedule import Queued

STATE_SHORT = {
    ItemState.NEW: "new",
    ItemState.CLAIMED: "claimed",
    ItemState.DRAFT: "draft awaiting approval",
    ItemState.SCHEDULED: "scheduled",
    ItemState.WAITING_OWNER: "waiting for owner",
    ItemState.FAILED: "failed",
}


def inbox_blocks(items: list[OpenItem], *, now: datetime) -> list[dict[str, Any]]:
    if not items:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": strings.INBOX_EMPTY}}]
    lines = []
    for entry in items:
        item = entry.item
        words = escape(item.text.replace("\n", " "))
        words = words if len(words) <= 80 else words[:79] + "…"
        state = STATE_SHORT.get(ItemState(item.state), item.state)
        if item.claimed_by:
            state += f", <@{item.claimed_by}>"
        owner = " · :hourglass_flowing_sand: waiting for owner" if entry.waiting_owner else ""
        lines.append(
            f"*#{item.id}* · {age((now - entry.received_at).total_seconds())} · "
            f"{link(item.url, item.platform.title() + ' ' + KIND.get(item.platform, 'item'))} · "
            f"{escape(item.author_name)} · _{state}_{owner}\n>{words}"
        )
    # One section per item keeps each under Slack's 3,000 characters; a message takes 50 blocks.
    header = {"type": "section", "text": {"type": "mrkdwn", "text": strings.INBOX_HEADER}}
    return [header] + [{"type": "section", "text": {"type": "mrkdwn", "text": line}} for line in lines[:49]]


def queue_blocks(entries: list[Queued], *, zone: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    from bot.services.schedule import local_format

    if not entries:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": strings.QUEUE_EMPTY}}]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": strings.QUEUE_HEADER.format(zone=zone.key)}}
    ]
    for entry in entries[:49]:
        draft, item = entry.draft, entry.item
        assert draft.send_at is not None
        approval = (
            f"approved by <@{draft.decided_by}>" if draft.status == "approved" else "*awaiting approval*"
        )
        overdue = " · overdue, waiting for approval" if draft.send_at <= now else ""
        words = escape(draft.text.replace("\n", " "))
        words = words if len(words) <= 80 else words[:79] + "…"
        line = (
            f"*#{item.id}* · {item.platform.title()} · {local_format(draft.send_at, zone)} · {approval}"
            f" · drafted by <@{draft.author}>{overdue}\n>{words}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    return blocks
