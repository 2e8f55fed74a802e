"""`/social inbox`: the open items, oldest first, with their age."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.message_builder import strings
from bot.message_builder.format import age, escape, link, plain
from bot.message_builder.item import KIND, author_text
from bot.storage.models import Item, ItemState

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.services.items import InboxPage, OpenItem
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
LIST_WORDS = 140  # of each filtered text in the spam list
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
    page: InboxPage,
    *,
    now: datetime,
    command: list[str] | None = None,
    groups: list[tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """One page of open items; with `groups` ((brand key, heading) in order), under one heading per brand."""
    if not page.items:
        return [SectionBlock(text=MarkdownTextObject(text=strings.INBOX_EMPTY)).to_dict()]
    filters = [w for w in (command or []) if not w.isdigit() and w != "page"]
    header = strings.INBOX_HEADER.format(
        total=page.total,
        filters=f" ({escape(' '.join(filters))})" if filters else "",
        page=page.page,
        pages=page.pages,
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=header))]
    body: list[Block] = []
    if groups is None:
        body = [_inbox_block(entry, now=now) for entry in page.items]
    else:
        known = {key for key, _ in groups}
        strays = sorted({e.item.brand_key for e in page.items} - known)
        for key, heading in [*groups, *((k, strings.INBOX_BRAND_GONE.format(key=k)) for k in strays)]:
            mine = [e for e in page.items if e.item.brand_key == key]
            if mine:
                body.append(SectionBlock(text=MarkdownTextObject(text=heading)))
                body += [_inbox_block(entry, now=now) for entry in mine]
    # Room for the header and the next-page line within Slack's block limit.
    blocks += body[: MAX_ENTRIES - 1]
    if page.page < page.pages:
        words = " ".join([*filters, "page", str(page.page + 1)])
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=strings.INBOX_NEXT.format(words=escape(words)))])
        )
    return [block.to_dict() for block in blocks]


def spam_list_blocks(items: list[Item]) -> list[dict[str, Any]]:
    """The last 50 items filtered as likely spam: `#N`, why, and who wrote what as plain text."""
    if not items:
        return [SectionBlock(text=MarkdownTextObject(text=strings.SPAM_LIST_EMPTY)).to_dict()]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=strings.SPAM_LIST_HEADER))]
    # Five items to a section (10 fields at most): 50 items fit in 11 blocks.
    for start in range(0, len(items), 5):
        fields: list[Any] = []
        for item in items[start : start + 5]:
            fields.append(MarkdownTextObject(text=f"*#{item.id}* · _{escape(item.spam_reasons)}_"))
            fields.append(plain(f"{author_text(item)}: {' '.join(item.text.split())}", limit=LIST_WORDS))
        blocks.append(SectionBlock(fields=fields))
    return [block.to_dict() for block in blocks]


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
