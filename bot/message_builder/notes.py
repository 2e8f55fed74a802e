"""Notes in an item's thread that quote outside text: an edit, a question, a rejection reason."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.message_builder import strings
from bot.message_builder.format import SECTION_LIMIT, escape, fallback, plain, shorten
from bot.message_builder.full_text import QUESTION, full_text_button


def quoted_note(heading: str, text: str, *, ref: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """`heading` (our mrkdwn) over `text` shown literally; a shortened text gets a Full text
    button when something stored holds it whole (`ref`, see full_text.parse_ref)."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=heading)),
        SectionBlock(text=plain(text)),
    ]
    if ref is not None and shorten(text, SECTION_LIMIT)[1]:
        blocks.append(ActionsBlock(elements=[full_text_button(ref)]))
    return fallback(f"{heading}\n{escape(text)}"), [block.to_dict() for block in blocks]


def edited_note(*, item_id: int, text: str) -> tuple[str, list[dict[str, Any]]]:
    return quoted_note(strings.NOTE_EDITED, text, ref=str(item_id))


def removed_note() -> tuple[str, list[dict[str, Any]] | None]:
    return strings.NOTE_REMOVED, None


def asked_note(
    *, user: str, question: str, question_id: int | None = None
) -> tuple[str, list[dict[str, Any]]]:
    ref = f"{QUESTION}:{question_id}" if question_id is not None else None
    return quoted_note(strings.NOTE_ASKED.format(user=user), question, ref=ref)


def rejected_note(*, by: str, author: str, reason: str | None) -> tuple[str, list[dict[str, Any]] | None]:
    heading = strings.NOTE_REJECTED.format(by=by, author=author)
    return quoted_note(heading, reason) if reason else (heading, None)
