"""`/social inbox`: the open items, oldest first, with their age."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.message_builder import strings
from bot.message_builder.format import age, escape, link, plain
from bot.message_builder.item import KIND, author_text
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
WORDS = 200  # of each text in a list; the item's own message shows the rest
MAX_ENTRIES = 49  # a message takes 50 blocks; one is the header


def _words(text: str) -> Any:
    return plain(" ".join(text.split()), limit=WORDS)


def _inbox_block(entry: OpenItem, *, now: datetime) -> Block:
    item = entry.item
    state = STATE_SHORT.get(ItemState(item.state), escape(item.state))
    if item.claimed_by:
        state += f", <@{item.claimed_by}>"
    owner = " · :hourglass_flowing_sand: waiting for owner" if entry.waiting_owner else ""
    line = (
        f"*#{item.id}* · {age((now - entry.received_at).total_seconds())} · "
        f"{link(item.url, item.platform.title() + ' ' + KIND.get(item.platform, 'item'))} · _{state}_{owner}"
    )
    # Names and words from outside go in plain-text fields: shown as written, never formatted.
    return SectionBlock(
        text=MarkdownTextObject(text=line),
        fields=[plain(author_text(item), limit=WORDS), _words(item.text)],
    )


def inbox_blocks(
    items: list[OpenItem], *, now: datetime, groups: list[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """The open items; with `groups` ((brand key, heading) in order), under one heading per brand."""
    if not items:
        return [SectionBlock(text=MarkdownTextObject(text=strings.INBOX_EMPTY)).to_dict()]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=strings.INBOX_HEADER))]
    if groups is None:
        blocks += [_inbox_block(entry, now=now) for entry in items]
    else:
        known = {key for key, _ in groups}
        strays = sorted({e.item.brand_key for e in items} - known)
        for key, heading in [*groups, *((k, strings.INBOX_BRAND_GONE.format(key=k)) for k in strays)]:
            mine = [e for e in items if e.item.brand_key == key]
            if mine:
                blocks.append(SectionBlock(text=MarkdownTextObject(text=heading)))
                blocks += [_inbox_block(entry, now=now) for entry in mine]
    return [block.to_dict() for block in blocks[: MAX_ENTRIES + 1]]


def queue_blocks(entries: list[Queued], *, zone: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    from bot.services.schedule import local_format

    if not entries:
        return [SectionBlock(text=MarkdownTextObject(text=strings.QUEUE_EMPTY)).to_dict()]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=strings.QUEUE_HEADER.format(zone=escape(zone.key))))
    ]
    for entry in entries[:MAX_ENTRIES]:
        draft, item = entry.draft, entry.item
        assert draft.send_at is not None
        approval = (
            f"approved by <@{draft.decided_by}>" if draft.status == "approved" else "*awaiting approval*"
        )
        overdue = " · overdue, waiting for approval" if draft.send_at <= now else ""
        line = (
            f"*#{item.id}* · {item.platform.title()} · {local_format(draft.send_at, zone)} · {approval}"
            f" · drafted by <@{draft.author}>{overdue}"
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line), fields=[_words(draft.text)]))
    return [block.to_dict() for block in blocks]
