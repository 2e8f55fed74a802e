"""Modal submissions. Validation errors go back in the ack, attached to the field at fault."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

from bot.message_builder.ids import INPUT_ACTION, BlockId, ViewId
from bot.services.errors import UserError
from bot.slack_text import plain

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

PAST_TIME = "That time has passed. Pick a time in the future, or leave it empty to send once approved."


def _input(view: dict[str, Any], block: str) -> dict[str, Any]:
    return view["state"]["values"].get(block, {}).get(INPUT_ACTION, {})


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def register(app: App, runtime: Runtime) -> None:
    @app.view(ViewId.REPLY.value)
    def reply_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _metadata(view)
        user = body["user"]["id"]
        text = plain(_input(view, BlockId.REPLY_TEXT).get("value") or "")
        picked = _input(view, BlockId.SEND_AT).get("selected_date_time")
        send_at = datetime.fromtimestamp(int(picked), UTC) if picked else None
        if send_at is not None and send_at <= runtime.clock.now():
            ack(response_action="errors", errors={BlockId.SEND_AT.value: PAST_TIME})
            return
        try:
            runtime.replies.draft(
                item_id=int(meta.get("item_id") or 0), text=text, author=user, send_at=send_at
            )
        except UserError as exc:
            ack(response_action="errors", errors={BlockId.REPLY_TEXT.value: exc.message})
            return
        ack()

    @app.view(ViewId.REJECT.value)
    def reject_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _metadata(view)
        reason = plain(_input(view, BlockId.REASON).get("value") or "")
        try:
            runtime.replies.reject(
                user=body["user"]["id"], draft_id=int(meta.get("draft_id") or 0), reason=reason
            )
        except UserError as exc:
            ack(response_action="errors", errors={BlockId.REASON.value: exc.message})
            return
        ack()

    @app.view(ViewId.ASK_OWNER.value)
    def ask_owner_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _metadata(view)
        question = plain(_input(view, BlockId.QUESTION).get("value") or "")
        try:
            runtime.owner.ask(
                item_id=int(meta.get("item_id") or 0), question=question, user=body["user"]["id"]
            )
        except UserError as exc:
            ack(response_action="errors", errors={BlockId.QUESTION.value: exc.message})
            return
        ack()

    @app.view(ViewId.ANSWER.value)
    def answer_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _metadata(view)
        text = plain(_input(view, BlockId.ANSWER).get("value") or "")
        try:
            runtime.owner.answer(
                question_id=int(meta.get("question_id") or 0), text=text, user=body["user"]["id"]
            )
        except UserError as exc:
            ack(response_action="errors", errors={BlockId.ANSWER.value: exc.message})
            return
        ack()
