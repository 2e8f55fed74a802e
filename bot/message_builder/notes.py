"""Notes in an item's thread that quote outside text: an edit, a question, a rejection reason."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.message_builder import strings
from bot.message_builder.format import escape, fallback, plain, shorten
from bot.message_builder.item import full_text_button


def quoted_note(heading: str, text: str, *, item_id: int | None = None) -> tuple[str, list[dict[str, Any]]]:
    """`heading` (our mrkdwn) over `text` shown literally; a shortened text gets a Full text
    button when it is the item's own text (`item_id`)."""
    cut = shorten(text, 3000)[1]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=heading)),
        SectionBlock(text=plain(text)),
    ]
    if cut and item_id is not None:
        blocks.append(ActionsBlock(block_id=f"note:{item_id}", elements=[full_text_button(item_id)]))
    return fallback(f"{heading}\n{escape(text)}"), [block.to_dict() for block in blocks]


def edited_note(*, item_id: int, text: str) -> tuple[str, list[dict[str, Any]]]:
    return quoted_note(strings.NOTE_EDITED, text, item_id=item_id)


def removed_note() -> tuple[str, list[dict[str, Any]] | None]:
    return strings.NOTE_REMOVED, None


def asked_note(*, user: str, question: str) -> tuple[str, list[dict[str, Any]]]:
    return quoted_note(strings.NOTE_ASKED.format(user=user), question)


def rejected_note(*, by: str, author: str, reason: str | None) -> tuple[str, list[dict[str, Any]] | None]:
    heading = strings.NOTE_REJECTED.format(by=by, author=author)
    return quoted_note(heading, reason) if reason else (heading, None)
