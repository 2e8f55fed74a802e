"""The note that holds a scheduled reply because the customer wrote again: Send anyway or Edit."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from bot.message_builder.format import plain
from bot.message_builder.ids import ActionId
from bot.storage.models import Item


def held_note_blocks(*, text: str, newer: Item, draft_id: int) -> list[dict[str, Any]]:
    value = str(draft_id)
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        SectionBlock(text=plain(newer.text, limit=1500)),  # the customer's words, literally
        ActionsBlock(
            block_id=f"held:{draft_id}",
            elements=[
                ButtonElement(
                    text="Send anyway", action_id=ActionId.SEND_ANYWAY.value, value=value, style="primary"
                ),
                ButtonElement(text="Edit", action_id=ActionId.EDIT.value, value=value),
            ],
        ),
    ]
    return [block.to_dict() for block in blocks]
