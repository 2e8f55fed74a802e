"""A draft reply in the item's thread, and the modals for writing and rejecting one."""

from __future__ import annotations

import json
from typing import Any

from bot.message_builder.format import escape, link, quote, slack_date
from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.storage.models import Draft, DraftStatus, Item


def draft_fallback(draft: Draft, *, item: Item) -> str:
    return f"Draft reply to #{item.id} by <@{draft.author}>: {draft.text}"[:3000]


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
    if status is DraftStatus.PUBLISHED:
        return f":white_check_mark: Approved by <@{draft.decided_by}> · {link(draft.published_url or '', 'published')}"
    if status is DraftStatus.REJECTED:
        reason = f": {escape(draft.reason)}" if draft.reason else ""
        return f":x: Rejected by <@{draft.decided_by}>{reason}"
    if status is DraftStatus.FAILED:
        return f":warning: Failed: {escape(draft.last_error or 'unknown error')}"
    if status is DraftStatus.SUPERSEDED:
        return ":arrows_counterclockwise: Replaced by a newer draft"
    return ":no_entry_sign: Cancelled"


def draft_blocks(
    draft: Draft, *, item: Item, platform_label: str, length: int, limit: int
) -> list[dict[str, Any]]:
    header = f":memo: *Draft reply to #{item.id}* by <@{draft.author}> · {platform_label} · {length}/{limit}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quote(draft.text)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": draft_status_line(draft)}]},
    ]
    value = str(draft.id)
    status = DraftStatus(draft.status)
    if status is DraftStatus.PENDING:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"draft:{draft.id}",
                "elements": [
                    _button("Approve", ActionId.APPROVE, value, style="primary"),
                    _button("Edit", ActionId.EDIT, value),
                    _button("Reject", ActionId.REJECT, value, style="danger"),
                ],
            }
        )
    elif status is DraftStatus.FAILED:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"draft:{draft.id}",
                "elements": [_button("Retry", ActionId.RETRY, value, style="primary")],
            }
        )
    return blocks


def _button(text: str, action_id: ActionId, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def reply_modal(
    *,
    item: Item,
    platform_label: str,
    limit: int,
    limit_note: str,
    initial: str = "",
    draft_id: int | None = None,
) -> dict[str, Any]:
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "multiline": True,
        "max_length": 3000,
        "placeholder": {"type": "plain_text", "text": f"Your reply on {platform_label}"},
    }
    if initial:
        text_input["initial_value"] = initial
    return {
        "type": "modal",
        "callback_id": ViewId.REPLY,
        "private_metadata": json.dumps({"item_id": item.id, "draft_id": draft_id}),
        "title": {"type": "plain_text", "text": f"Reply to #{item.id}"},
        "submit": {"type": "plain_text", "text": "Post draft"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{escape(item.author_name)}* on {platform_label}:\n{quote(item.text, limit=1500)}",
                },
            },
            {
                "type": "input",
                "block_id": BlockId.REPLY_TEXT,
                "label": {"type": "plain_text", "text": "Reply"},
                "hint": {
                    "type": "plain_text",
                    "text": f"Up to {limit} characters on {platform_label}{limit_note}. "
                    "An approver approves it before it goes out.",
                },
                "element": text_input,
            },
            {
                "type": "input",
                "block_id": BlockId.SEND_AT,
                "optional": True,
                "label": {"type": "plain_text", "text": "Send at (optional)"},
                "hint": {"type": "plain_text", "text": "Leave empty to send as soon as it is approved."},
                "element": {"type": "datetimepicker", "action_id": INPUT_ACTION},
            },
        ],
    }


def reject_modal(*, draft_id: int, item_id: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ViewId.REJECT,
        "private_metadata": json.dumps({"draft_id": draft_id, "item_id": item_id}),
        "title": {"type": "plain_text", "text": f"Reject draft for #{item_id}"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.REASON,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reason (shown to the drafter)"},
                "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True},
            }
        ],
    }
