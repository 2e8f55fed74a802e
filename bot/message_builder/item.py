"""The item's message in the inbox channel: who wrote what where, its state, and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.message_builder import strings
from bot.message_builder.format import (
    SECTION_LIMIT,
    chunks,
    duration,
    escape,
    fallback,
    link,
    plain,
    shorten,
    slack_date,
)
from bot.message_builder.full_text import full_text_button, text_modal
from bot.message_builder.ids import ActionId
from bot.storage.models import CLOSED_STATES, Draft, Item, ItemKind, ItemState

PLATFORM_EMOJI = {
    "x": ":bird:",
    "facebook": ":large_blue_circle:",
    "instagram": ":camera:",
    "messenger": ":speech_balloon:",
    "instagram_dm": ":envelope_with_arrow:",
    "youtube": ":arrow_forward:",
    "bluesky": ":butterfly:",
    "linkedin": ":briefcase:",
}
KIND = {
    "x": "mention",
    "facebook": "comment",
    "instagram": "comment",
    "messenger": "message",
    "instagram_dm": "message",
    "youtube": "comment",
    "bluesky": "mention",
    "linkedin": "comment",
}
AUTHOR_LIMIT = 300  # a name longer than this is shortened in messages; Full text shows it whole
TRIAGE = {
    ItemKind.QUESTION: ":question: Question",
    ItemKind.COMPLAINT: ":warning: Complaint",
    ItemKind.PRAISE: ":heart: Praise",
    ItemKind.COMMENT: ":speech_balloon: Comment",
}
TRIAGE_WORD = {kind: label.split(" ", 1)[1] for kind, label in TRIAGE.items()}


@dataclass(frozen=True)
class ItemView:
    """Everything the item message shows, gathered from the database."""

    item: Item
    platform_label: str
    draft: Draft | None = None  # the latest draft that is not superseded
    waiting_owner: bool = False
    clock: str | None = None  # the first-response clock's time left, while it runs
    # Meta's messaging window (private messages): when it closes, and the time the view was made.
    reply_closes: datetime | None = None
    now: datetime | None = None


def author_text(item: Item) -> str:
    """The author as written (unescaped): name, and handle when it says something more."""
    if item.author_handle and item.author_handle != item.author_name:
        return f"{item.author_name} ({item.author_handle})"
    return item.author_name or item.author_handle or "someone"


def fallback_text(view: ItemView) -> str:
    item = view.item
    return fallback(
        f"#{item.id} {escape(view.platform_label)} {KIND.get(item.platform, 'item')} from "
        f"{escape(author_text(item))} · {TRIAGE_WORD[ItemKind(item.kind)]}: {escape(item.text)}"
    )


def state_line(view: ItemView) -> str:
    item, draft = view.item, view.draft
    state = ItemState(item.state)
    if item.removed:
        removed = ":wastebasket: Removed by its author"
        return removed if state in CLOSED_STATES else f"{removed} · {_state(view, state, draft)}"
    line = _state(view, state, draft)
    return f"{line} · {view.clock}" if view.clock else line


def _state(view: ItemView, state: ItemState, draft: Draft | None) -> str:
    if state is ItemState.REPLIED and draft is not None and draft.published_url:
        return f":white_check_mark: Replied · {link(draft.published_url, 'see reply')}"
    if state is ItemState.SCHEDULED and draft is not None and draft.send_at is not None:
        return f":alarm_clock: Scheduled for {slack_date(draft.send_at)}"
    if state is ItemState.CLAIMED and view.item.claimed_by:
        return f":raising_hand: Claimed by <@{view.item.claimed_by}>"
    labels = {
        ItemState.NEW: ":new: New",
        ItemState.CLAIMED: ":raising_hand: Claimed",
        ItemState.DRAFT: ":memo: Draft awaiting approval",
        ItemState.SCHEDULED: ":alarm_clock: Scheduled",
        ItemState.WAITING_OWNER: ":hourglass_flowing_sand: Waiting for owner",
        ItemState.REPLIED: ":white_check_mark: Replied",
        ItemState.IGNORED: ":no_entry_sign: Ignored",
        ItemState.SPAM: ":no_entry: Spam",
        ItemState.FAILED: ":x: Failed",
    }
    line = labels[state]
    if view.waiting_owner and state is not ItemState.WAITING_OWNER:
        line += " · :hourglass_flowing_sand: Waiting for owner"
    if view.item.claimed_by and state not in (ItemState.CLAIMED, *CLOSED_STATES):
        line += f" · claimed by <@{view.item.claimed_by}>"
    return line


def author_context(item: Item, *, suffix: str = "") -> ContextBlock:
    """Who wrote it, as plain text (names never format or ping), and a link to their profile."""
    elements: list[Any] = [plain(author_text(item), limit=AUTHOR_LIMIT, empty="someone")]
    extra = " · ".join(
        part for part in (link(item.author_url, "profile") if item.author_url else "", suffix) if part
    )
    if extra:
        elements.append(MarkdownTextObject(text=extra))
    return ContextBlock(elements=elements)


def text_section(text: str, *, limit: int = SECTION_LIMIT) -> tuple[SectionBlock, bool]:
    """Outside text in a plain-text section, shortened to fit; True when it was cut."""
    _, cut = shorten(text, limit)
    return SectionBlock(text=plain(text, limit=limit)), cut


def item_blocks(view: ItemView) -> list[dict[str, Any]]:
    item = view.item
    item_id = item.id or 0
    emoji = PLATFORM_EMOJI.get(item.platform, ":speech_balloon:")
    kind = KIND.get(item.platform, "item")
    header = f"{emoji} *{escape(view.platform_label)} {kind}* · *#{item_id}* · {TRIAGE[ItemKind(item.kind)]}"
    body, cut = text_section(item.text)
    author_cut = shorten(author_text(item), AUTHOR_LIMIT)[1]
    status = f"{link(item.url, 'Open original')} · {state_line(view)}"
    if item.edited_at is not None:
        status = f"_edited_ · {status}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=header)),
        author_context(item, suffix=slack_date(item.created_at)),
        body,
        ContextBlock(elements=[MarkdownTextObject(text=status)]),
    ]
    open_ = ItemState(item.state) not in CLOSED_STATES
    if item.spam:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f":no_entry: Likely spam: {escape(item.spam_reasons)}")]
            )
        )
    if view.reply_closes is not None and view.now is not None and open_:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=window_line(view.reply_closes, view.now))])
        )
    if item.owner_hint and open_:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=":bulb: This may need the owner's answer.")])
        )
    buttons: list[Any] = []
    if open_ and not item.removed:
        buttons = item_actions(item_id=item_id, owner_hint=item.owner_hint)
    if cut or author_cut:
        buttons.insert(min(3, len(buttons)), full_text_button(item_id))
    if buttons:
        blocks.append(ActionsBlock(block_id=f"item:{item_id}", elements=buttons))
    return [block.to_dict() for block in blocks]


def window_line(closes: datetime, now: datetime) -> str:
    """Time left to answer a private message; the closing time is shown in each reader's zone."""
    if now >= closes:
        return strings.WINDOW_CLOSED_LINE.format(closes=slack_date(closes))
    return strings.WINDOW_OPEN_LINE.format(left=duration(closes - now), closes=slack_date(closes))


def item_actions(*, item_id: int, owner_hint: bool) -> list[Any]:
    """Reply, Ask owner, Claim, and the Ignore / Spam menu."""
    value = str(item_id)
    return [
        ButtonElement(
            text="Reply", action_id=ActionId.REPLY, value=value, style=None if owner_hint else "primary"
        ),
        ButtonElement(
            text="Ask owner",
            action_id=ActionId.ASK_OWNER,
            value=value,
            style="primary" if owner_hint else None,
        ),
        ButtonElement(text="Claim", action_id=ActionId.CLAIM, value=value),
        StaticSelectElement(
            action_id=ActionId.CLOSE,
            placeholder=PlainTextObject(text="Ignore / Spam"),
            options=[
                Option(text=PlainTextObject(text="Ignore"), value=f"ignore:{item_id}"),
                Option(text=PlainTextObject(text="Spam"), value=f"spam:{item_id}"),
            ],
        ),
    ]


def full_text_modal(*, item: Item, platform_label: str) -> dict[str, Any]:
    """The whole of an item's text (and author, when that was shortened too)."""
    author = author_text(item)
    head: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{escape(platform_label)} {KIND.get(item.platform, 'item')} #{item.id}* · "
                f"{link(item.url, 'Open original')}"
            )
        )
    ]
    if shorten(author, AUTHOR_LIMIT)[1]:
        head += [SectionBlock(text=plain(piece)) for piece in chunks(author)[:3]]
    else:
        head.append(author_context(item))
    return text_modal(title=f"#{item.id} in full", head=head, text=item.text, original_url=item.url)
