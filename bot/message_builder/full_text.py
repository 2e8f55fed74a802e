"""The Full text button and modal: the whole of a text that a message had to shorten."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.message_builder.format import chunks, link, plain
from bot.message_builder.ids import ActionId

VIEW_BLOCKS = 100  # Slack's limit for a modal

# What a Full text button opens, named in its value: an item by its bare id ("12"), or
# another text by kind and id ("draft:3", "question:5", "answer:5").
DRAFT, QUESTION, ANSWER = "draft", "question", "answer"


def full_text_button(ref: str | int) -> ButtonElement:
    return ButtonElement(text="Full text", action_id=ActionId.FULL_TEXT, value=str(ref))


def parse_ref(value: str) -> tuple[str, int] | None:
    """`("item", 12)` for "12", `("draft", 3)` for "draft:3"; None for anything else."""
    kind, _, number = value.rpartition(":")
    if not number.isdigit() or kind not in ("", DRAFT, QUESTION, ANSWER):
        return None
    return kind or "item", int(number)


def text_modal(
    *, title: str, head: list[Block], text: str, original_url: str | None = None
) -> dict[str, Any]:
    """`text` whole, over as many plain-text sections as it needs; a note when even a modal's
    100 blocks cannot hold it."""
    pieces = chunks(text) or [""]
    room = VIEW_BLOCKS - len(head) - 1
    blocks = head + [SectionBlock(text=plain(piece)) for piece in pieces[:room]]
    if len(pieces) > room:
        rest = sum(len(piece) for piece in pieces[room:])
        where = f"; {link(original_url, 'read them on the original')}" if original_url else ""
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f":scissors: {rest:,} more characters do not fit here{where}.")
                ]
            )
        )
    return View(
        type="modal", title=PlainTextObject(text=title), close=PlainTextObject(text="Close"), blocks=blocks
    ).to_dict()
