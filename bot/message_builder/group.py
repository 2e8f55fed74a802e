"""Messages that list several items: a busy day's group, a storm listing, the hourly spam digest."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
)

from bot.message_builder import strings
from bot.message_builder.format import escape, fallback, plain
from bot.message_builder.ids import ActionId
from bot.message_builder.item import TRIAGE, author_text
from bot.storage.models import CLOSED_STATES, GroupPurpose, Item, ItemKind, ItemState

MAX_LINES = 40  # Slack allows 50 blocks; a header and a footer leave room
SHORT_TEXT = 140
AUTHOR_TEXT = 80


class MenuChoice(StrEnum):
    """The overflow menu on a grouped line (Slack allows 5 options)."""

    REPLY = "reply"
    ASK_OWNER = "ask_owner"
    CLAIM = "claim"
    IGNORE = "ignore"
    SPAM = "spam"


MENU_LABELS = {
    MenuChoice.REPLY: "Reply",
    MenuChoice.ASK_OWNER: "Ask owner",
    MenuChoice.CLAIM: "Claim",
    MenuChoice.IGNORE: "Ignore",
    MenuChoice.SPAM: "Spam",
}


@dataclass(frozen=True)
class GroupLine:
    item: Item
    own_message: bool  # the item has a message of its own now


def group_message(
    *, purpose: GroupPurpose, hour: str, lines: list[GroupLine], total: int
) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks; `lines` are the newest `MAX_LINES` of `total` items."""
    shown = lines[-MAX_LINES:]
    if purpose is GroupPurpose.SPAM:
        header = strings.SPAM_HEADER.format(hour=hour, n=total)
    elif purpose is GroupPurpose.LISTING:
        header = strings.LISTING_HEADER.format(n=total)
    else:
        header = strings.GROUP_HEADER.format(n=total)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=header))]
    blocks += [_line(purpose, line) for line in shown]
    if total > len(shown):
        more = strings.SPAM_MORE if purpose is GroupPurpose.SPAM else strings.GROUP_MORE
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more.format(n=total - len(shown)))]))
    refs = " ".join(f"#{line.item.id}" for line in shown)
    return fallback(f"{header.replace('*', '')}: {refs}"), [block.to_dict() for block in blocks]


def _line(purpose: GroupPurpose, line: GroupLine) -> SectionBlock:
    """`#N` and the kind (and why it looks like spam) in mrkdwn; who wrote what as plain text."""
    item = line.item
    head = f"*#{item.id}* · {TRIAGE[ItemKind(item.kind)]}"
    if purpose is GroupPurpose.SPAM and item.spam_reasons:
        head += f" · _{escape(item.spam_reasons)}_"
    accessory: Any = None
    if line.own_message:
        head += f" · {strings.LINE_OWN_MESSAGE}"
    elif ItemState(item.state) in CLOSED_STATES:
        head += f" · _{ItemState(item.state).value}_"
    elif purpose is GroupPurpose.SPAM:
        accessory = ButtonElement(text="Not spam", action_id=ActionId.NOT_SPAM, value=str(item.id))
    else:
        accessory = OverflowMenuElement(
            action_id=ActionId.GROUP_MENU,
            options=[
                Option(text=PlainTextObject(text=MENU_LABELS[choice]), value=f"{choice.value}:{item.id}")
                for choice in MenuChoice
            ],
        )
        if item.claimed_by:
            head += f" · :raising_hand: <@{item.claimed_by}>"
    return SectionBlock(
        block_id=f"line:{item.id}",
        text=MarkdownTextObject(text=head),
        fields=[
            plain(author_text(item), limit=AUTHOR_TEXT, empty="someone"),
            plain(" ".join(item.text.split()), limit=SHORT_TEXT),
        ],
        accessory=accessory,
    )
