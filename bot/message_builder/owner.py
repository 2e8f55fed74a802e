"""The owner's DM, the ask and answer modals, and the answer as it lands in the item's thread."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.message_builder import strings
from bot.message_builder.draft import input_prefill
from bot.message_builder.format import SECTION_LIMIT, escape, fallback, link, plain, shorten
from bot.message_builder.full_text import ANSWER, QUESTION, full_text_button
from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.message_builder.item import AUTHOR_LIMIT, author_context, author_text
from bot.storage.models import Item, OwnerQuestion

QUOTE_LIMIT = 1500  # the customer's words in the owner's DM and modals; Full text shows the rest


def owner_dm(
    question: OwnerQuestion, *, item: Item, platform_label: str, waiting: str, permalink: str | None
) -> tuple[str, list[dict[str, Any]]]:
    text = fallback(
        f"Question from <@{question.asked_by}> about #{item.id} ({escape(platform_label)}): "
        f"{escape(question.question)}"
    )
    buttons: list[Any] = []
    if question.answered_at is None:
        buttons.append(
            ButtonElement(text="Answer", action_id=ActionId.ANSWER, style="primary", value=str(question.id))
        )
    if permalink:
        buttons.append(
            ButtonElement(
                text="Open in channel",
                action_id=ActionId.OPEN_IN_CHANNEL,
                url=permalink,
                value=str(question.id),
            )
        )
    words, cut = shorten(item.text, QUOTE_LIMIT)
    if cut or shorten(author_text(item), AUTHOR_LIMIT)[1]:
        buttons.append(full_text_button(item.id or 0))
    if shorten(question.question, SECTION_LIMIT)[1]:
        buttons.append(
            ButtonElement(
                text="Full question", action_id=ActionId.FULL_TEXT, value=f"{QUESTION}:{question.id}"
            )
        )
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f":raising_hand: *<@{question.asked_by}> needs your answer* about #{item.id}"
            )
        ),
        author_context(
            item, suffix=f"on {link(item.url, platform_label)} wrote (waiting {escape(waiting)}):"
        ),
        SectionBlock(text=plain(words)),
        SectionBlock(text=MarkdownTextObject(text="*The team asks:*")),
        SectionBlock(text=plain(question.question)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=":white_check_mark: Answered, thanks."
                    if question.answered_at
                    else "Reply in this thread or press *Answer*; the team sees your answer in the item's thread."
                )
            ]
        ),
    ]
    if buttons:
        blocks.append(ActionsBlock(block_id=f"question:{question.id}", elements=buttons))
    return text, [block.to_dict() for block in blocks]


def answer_note(question: OwnerQuestion, *, answer: str) -> tuple[str, list[dict[str, Any]]]:
    heading = strings.NOTE_ANSWERED_HEADING.format(asker=question.asked_by)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=heading)),
        SectionBlock(text=plain(answer)),
        ActionsBlock(
            block_id=f"answer:{question.id}",
            elements=[
                ButtonElement(text="Use as reply", action_id=ActionId.USE_AS_REPLY, value=str(question.id)),
                *([full_text_button(f"{ANSWER}:{question.id}")] if shorten(answer, SECTION_LIMIT)[1] else []),
            ],
        ),
    ]
    return fallback(f"{heading}\n{escape(answer)}"), [block.to_dict() for block in blocks]


def ask_owner_modal(*, item: Item) -> dict[str, Any]:
    words = shorten(item.text, 2500)[0]
    author = shorten(author_text(item), 200)[0]
    prefill, _ = input_prefill(f'{author} asks: "{words}" — how should we answer?')
    return View(
        type="modal",
        callback_id=ViewId.ASK_OWNER,
        private_metadata=json.dumps({"item_id": item.id}),
        title=PlainTextObject(text=f"Ask owner · #{item.id}"),
        submit=PlainTextObject(text="Ask"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=BlockId.QUESTION,
                label=PlainTextObject(text="Your question for the owner"),
                element=PlainTextInputElement(
                    action_id=INPUT_ACTION, multiline=True, initial_value=prefill, max_length=3000
                ),
            ),
        ],
    ).to_dict()


def answer_modal(*, question: OwnerQuestion) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=ViewId.ANSWER,
        private_metadata=json.dumps({"question_id": question.id}),
        title=PlainTextObject(text="Answer the team"),
        submit=PlainTextObject(text="Send answer"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text="*The team asks:*")),
            SectionBlock(text=plain(question.question)),
            InputBlock(
                block_id=BlockId.ANSWER,
                label=PlainTextObject(text="Your answer"),
                element=PlainTextInputElement(action_id=INPUT_ACTION, multiline=True, max_length=3000),
            ),
        ],
    ).to_dict()
