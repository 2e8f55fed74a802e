"""A draft reply in the item's thread, and the modals for writing and rejecting one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DateTimePickerElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.message_builder.format import (
    INPUT_LIMIT,
    clean,
    escape,
    fallback,
    link,
    plain,
    shorten,
    slack_date,
    slack_len,
)
from bot.message_builder.full_text import DRAFT, full_text_button
from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.message_builder.item import author_context
from bot.message_builder.snippets import snippet_menu
from bot.services.snippets import SavedReply
from bot.storage.models import Draft, DraftStatus, Item

REASON_LIMIT = 1000  # a rejection reason or error shown in a context line


def draft_fallback(draft: Draft, *, item: Item) -> str:
    return fallback(f"Draft reply to #{item.id} by <@{draft.author}>: {escape(draft.text)}")


def _short(text: str) -> str:
    return escape(shorten(text, REASON_LIMIT)[0])


def draft_status_line(draft: Draft, *, late_by: str | None = None) -> str:
    status = DraftStatus(draft.status)
    if status is DraftStatus.PENDING:
        line = ":memo: Awaiting approval"
        if draft.send_at is not None:
            line += f" · to go out {slack_date(draft.send_at)}"
        return line
    if status is DraftStatus.APPROVED:
        if draft.send_at is not None and draft.published_at is None and draft.attempts == 0:
            return (
                f":alarm_clock: Approved by <@{draft.decided_by}> · scheduled for {slack_date(draft.send_at)}"
            )
        return f":outbox_tray: Approved by <@{draft.decided_by}> · sending…"
    if status is DraftStatus.PUBLISHING:
        return f":outbox_tray: Approved by <@{draft.decided_by}> · sending…"
    if status is DraftStatus.PUBLISHED and not draft.published_url:
        return f":white_check_mark: Approved by <@{draft.decided_by}> · marked as sent (no link)"
    if status is DraftStatus.PUBLISHED:
        return f":white_check_mark: Approved by <@{draft.decided_by}> · {link(draft.published_url or '', 'published')}"
    if status is DraftStatus.REJECTED:
        reason = f": {_short(draft.reason)}" if draft.reason else ""
        return f":x: Rejected by <@{draft.decided_by}>{reason}"
    if status is DraftStatus.FAILED:
        return f":warning: Failed: {_short(draft.last_error or 'unknown error')}"
    if status is DraftStatus.HELD:
        return ":double_vertical_bar: On hold: the customer wrote again since this was drafted"
    if status is DraftStatus.UNKNOWN:
        return f":grey_question: May not have been sent: {_short(draft.last_error or 'no answer')}"
    if status is DraftStatus.SUPERSEDED:
        return ":arrows_counterclockwise: Replaced by a newer draft"
    return ":no_entry_sign: Cancelled"


def draft_blocks(
    draft: Draft, *, item: Item, platform_label: str, length: int, limit: int
) -> list[dict[str, Any]]:
    header = f":memo: *Draft reply to #{item.id}* by <@{draft.author}> · {escape(platform_label)} · {length}/{limit}"
    body, cut = shorten(draft.text, 2900)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=header)),
        SectionBlock(text=plain(body)),
    ]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=draft_status_line(draft))]))
    value = str(draft.id)
    status = DraftStatus(draft.status)
    buttons: list[Any] = []
    if status is DraftStatus.PENDING:
        buttons = [
            ButtonElement(text="Approve", action_id=ActionId.APPROVE, value=value, style="primary"),
            ButtonElement(text="Edit", action_id=ActionId.EDIT, value=value),
            ButtonElement(text="Reject", action_id=ActionId.REJECT, value=value, style="danger"),
        ]
    elif status is DraftStatus.FAILED:
        buttons = [ButtonElement(text="Retry", action_id=ActionId.RETRY, value=value, style="primary")]
    elif status is DraftStatus.UNKNOWN:
        buttons = [
            ButtonElement(text="Retry", action_id=ActionId.RETRY, value=value),
            ButtonElement(text="Mark as sent", action_id=ActionId.MARK_SENT, value=value),
        ]
    if cut:
        buttons.append(full_text_button(f"{DRAFT}:{draft.id}"))
    if buttons:
        blocks.append(ActionsBlock(block_id=f"draft:{draft.id}", elements=buttons))
    return [block.to_dict() for block in blocks]


def input_prefill(text: str) -> tuple[str, bool]:
    """What a plain-text input can hold of `text` (Slack allows 3,000), and whether it was cut."""
    text = clean(text)
    if slack_len(text) <= INPUT_LIMIT:
        return text, False
    cut = text[:INPUT_LIMIT]
    while slack_len(cut) > INPUT_LIMIT:
        cut = cut[:-1]
    return cut, True


def reply_modal(
    *,
    item: Item,
    platform_label: str,
    limit: int,
    limit_note: str,
    initial: str = "",
    draft_id: int | None = None,
    snippets: Sequence[SavedReply] = (),
    text_block: str = BlockId.REPLY_TEXT,
) -> dict[str, Any]:
    """The Reply modal; `text_block` changes when a saved reply fills the text.

    Slack keeps what was typed into an input across `views.update` as long as its block_id
    stays the same, ignoring a new `initial_value`; a new block_id makes it take the new text.
    """
    prefill, cut = input_prefill(initial)
    label = shorten(platform_label, 60)[0]
    hint = f"Up to {limit} characters on {label}{limit_note}. An approver approves it before it goes out."
    if cut:
        hint = (
            "This draft is longer than the 3,000 characters a Slack text box holds, so only its start is "
            "here; sending this replaces the draft. For a longer reply use /social draft."
        )
    text_input = PlainTextInputElement(
        action_id=INPUT_ACTION,
        multiline=True,
        # Not the platform's limit: X counts every link as 23, so a valid reply can be longer.
        max_length=INPUT_LIMIT,
        placeholder=PlainTextObject(text=f"Your reply on {label}"),
        initial_value=prefill or None,
    )
    blocks: list[Block] = [
        author_context(item, suffix=f"on {escape(label)} wrote:"),
        SectionBlock(text=plain(item.text, limit=1500)),
        *([snippet_menu(snippets)] if snippets else []),
        InputBlock(
            block_id=text_block,
            label=PlainTextObject(text="Reply"),
            hint=PlainTextObject(text=hint),
            element=text_input,
        ),
        InputBlock(
            block_id=BlockId.SEND_AT,
            optional=True,
            label=PlainTextObject(text="Send at (optional)"),
            hint=PlainTextObject(text="Leave empty to send as soon as it is approved."),
            element=DateTimePickerElement(action_id=INPUT_ACTION),
        ),
    ]
    return View(
        type="modal",
        callback_id=ViewId.REPLY,
        private_metadata=json.dumps({"item_id": item.id, "draft_id": draft_id}),
        title=PlainTextObject(text=f"Reply to #{item.id}"),
        submit=PlainTextObject(text="Post draft"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    ).to_dict()


def reject_modal(*, draft_id: int, item_id: int) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=ViewId.REJECT,
        private_metadata=json.dumps({"draft_id": draft_id, "item_id": item_id}),
        title=PlainTextObject(text=f"Reject draft #{item_id}"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=BlockId.REASON,
                optional=True,
                label=PlainTextObject(text="Reason (shown to the drafter)"),
                element=PlainTextInputElement(
                    action_id=INPUT_ACTION, multiline=True, max_length=REASON_LIMIT
                ),
            )
        ],
    ).to_dict()
