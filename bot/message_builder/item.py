"""The item's message in the inbox channel: who wrote what where, its state, and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.message_builder.format import escape, link, quote, slack_date
from bot.message_builder.ids import ActionId
from bot.storage.models import CLOSED_STATES, Draft, Item, ItemState

PLATFORM_EMOJI = {"x": ":bird:", "facebook": ":large_blue_circle:", "instagram": ":camera:"}
KIND = {"x": "mention", "facebook": "comment", "instagram": "comment"}


@dataclass(frozen=True)
class ItemView:
    """Everything the item message shows, gathered from the database."""

    item: Item
    platform_label: str
    draft: Draft | None = None  # the latest draft that is not superseded
    waiting_owner: bool = False


def fallback_text(view: ItemView) -> str:
    item = view.item
    return f"#{item.id} {view.platform_label} {KIND.get(item.platform, 'item')} from {item.author_name} ({item.author_handle}): {item.text}"[
        :3000
    ]


def state_line(view: ItemView) -> str:
    item, draft = view.item, view.draft
    state = ItemState(item.state)
    if item.removed:
        removed = ":wastebasket: Removed by its author"
        return removed if state in CLOSED_STATES else f"{removed} · {_state(view, state, draft)}"
    return _state(view, state, draft)


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


def item_blocks(view: ItemView) -> list[dict[str, Any]]:
    item = view.item
    emoji = PLATFORM_EMOJI.get(item.platform, ":speech_balloon:")
    kind = KIND.get(item.platform, "item")
    author = f"*{escape(item.author_name)}*"
    if item.author_handle and item.author_handle != item.author_name:
        author += f" ({link(item.author_url, item.author_handle)})"
    elif item.author_url:
        author = f"*{link(item.author_url, item.author_name)}*"
    header = (
        f"{emoji} *{view.platform_label} {kind}* · *#{item.id}*\n{author} · {slack_date(item.created_at)}"
    )
    text = quote(item.text)
    if item.edited_at is not None:
        text += "\n_(edited)_"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{link(item.url, 'Open original')} · {state_line(view)}"},
            ],
        },
    ]
    if item.owner_hint and ItemState(item.state) not in CLOSED_STATES:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": ":bulb: This may need the owner's answer."}],
            }
        )
    if ItemState(item.state) not in CLOSED_STATES and not item.removed:
        blocks.append(item_actions(item_id=item.id or 0, owner_hint=item.owner_hint))
    return blocks


def item_actions(*, item_id: int, owner_hint: bool) -> dict[str, Any]:
    value = str(item_id)
    ask_owner: dict[str, Any] = {
        "type": "button",
        "action_id": ActionId.ASK_OWNER,
        "text": {"type": "plain_text", "text": "Ask owner"},
        "value": value,
    }
    if owner_hint:
        ask_owner["style"] = "primary"
    reply: dict[str, Any] = {
        "type": "button",
        "action_id": ActionId.REPLY,
        "text": {"type": "plain_text", "text": "Reply"},
        "value": value,
    }
    if not owner_hint:
        reply["style"] = "primary"
    return {
        "type": "actions",
        "block_id": f"item:{item_id}",
        "elements": [
            reply,
            ask_owner,
            {
                "type": "button",
                "action_id": ActionId.CLAIM,
                "text": {"type": "plain_text", "text": "Claim"},
                "value": value,
            },
            {
                "type": "static_select",
                "action_id": ActionId.CLOSE,
                "placeholder": {"type": "plain_text", "text": "Ignore / Spam"},
                "options": [
                    {"text": {"type": "plain_text", "text": "Ignore"}, "value": f"ignore:{item_id}"},
                    {"text": {"type": "plain_text", "text": "Spam"}, "value": f"spam:{item_id}"},
                ],
            },
        ],
    }
