"""The owner's DM, the ask and answer modals, and the answer as it lands in the item's thread."""

from __future__ import annotations

import json
from typing import Any

from bot.message_builder import strings
from bot.message_builder.format import escape, link, quote
from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.storage.models import Item, OwnerQuestion


def owner_dm(
    question: OwnerQuestion, *, item: Item, platform_label: str, waiting: str, permalink: str | None
) -> tuple[str, list[dict[str, Any]]]:
    text = f"Question from <@{question.asked_by}> about #{item.id} ({platform_label}): {question.question}"[
        :3000
    ]
    author = escape(item.author_name)
    if item.author_handle and item.author_handle != item.author_name:
        author += f" ({link(item.author_url, item.author_handle)})"
    buttons: list[dict[str, Any]] = []
    if question.answered_at is None:
        buttons.append(
            {
                "type": "button",
                "action_id": ActionId.ANSWER,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Answer"},
                "value": str(question.id),
            }
        )
    if permalink:
        buttons.append(
            {
                "type": "button",
                "action_id": ActionId.OPEN_IN_CHANNEL,
                "url": permalink,
                "text": {"type": "plain_text", "text": "Open in channel"},
                "value": str(question.id),
            }
        )
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":raising_hand: *<@{question.asked_by}> needs your answer* about #{item.id}",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{author}* on {link(item.url, platform_label)} wrote (waiting {waiting}):\n{quote(item.text, limit=1500)}",
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*The team asks:*\n{quote(question.question)}"},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": ":white_check_mark: Answered, thanks."
                    if question.answered_at
                    else "Reply in this thread or press *Answer*; the team sees your answer in the item's thread.",
                }
            ],
        },
    ]
    if buttons:
        blocks.append({"type": "actions", "block_id": f"question:{question.id}", "elements": buttons})
    return text, blocks


def answer_note(question: OwnerQuestion, *, answer: str) -> tuple[str, list[dict[str, Any]]]:
    text = strings.NOTE_ANSWERED.format(asker=question.asked_by, answer=escape(answer))
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": f"answer:{question.id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": ActionId.USE_AS_REPLY,
                    "text": {"type": "plain_text", "text": "Use as reply"},
                    "value": str(question.id),
                },
            ],
        },
    ]


def ask_owner_modal(*, item: Item) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ViewId.ASK_OWNER,
        "private_metadata": json.dumps({"item_id": item.id}),
        "title": {"type": "plain_text", "text": f"Ask the owner · #{item.id}"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.QUESTION,
                "label": {"type": "plain_text", "text": "Your question for the owner"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION,
                    "multiline": True,
                    "initial_value": f'{item.author_name} asks: "{item.text[:2800]}" — how should we answer?',
                },
            },
        ],
    }


def answer_modal(*, question: OwnerQuestion) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ViewId.ANSWER,
        "private_metadata": json.dumps({"question_id": question.id}),
        "title": {"type": "plain_text", "text": "Answer the team"},
        "submit": {"type": "plain_text", "text": "Send answer"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*The team asks:*\n{quote(question.question)}"},
            },
            {
                "type": "input",
                "block_id": BlockId.ANSWER,
                "label": {"type": "plain_text", "text": "Your answer"},
                "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True},
            },
        ],
    }
