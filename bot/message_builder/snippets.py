"""Saved replies: the list `/social snippet list` shows, and the Reply modal's menu of them."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Option, StaticSelectElement

from bot.message_builder import strings
from bot.message_builder.format import escape, shorten
from bot.message_builder.ids import ActionId, BlockId
from bot.services.snippets import SavedReply

_PREVIEW = 80


def _preview(text: str) -> str:
    return shorten(" ".join(text.split()), _PREVIEW)[0]


def snippet_list_text(replies: Sequence[SavedReply]) -> str:
    if not replies:
        return strings.SNIPPET_NONE
    lines = [f"*Saved replies* ({len(replies)})"]
    lines += [f"• `{r.name}` — {escape(_preview(r.text))}" for r in replies]
    return "\n".join(lines)


def snippet_menu(replies: Sequence[SavedReply]) -> ActionsBlock:
    """A menu whose choice fills the reply text (the modal is updated on selection)."""
    return ActionsBlock(
        block_id=BlockId.SNIPPETS.value,
        elements=[
            StaticSelectElement(
                action_id=ActionId.USE_SNIPPET.value,
                placeholder="Use a saved reply",
                options=[Option(value=str(r.id), text=r.name[:75]) for r in replies[:100]],
            )
        ],
    )
