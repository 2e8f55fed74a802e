"""Modal submissions. Validation errors go back in the ack, attached to the field at fault."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

from bot.message_builder.ids import INPUT_ACTION, BlockId, ViewId
from bot.services.errors import UserError
from bot.slack_text import plain

if TYPE_CHECKING:
    from bot.handlers.services import Services

log = logging.getLogger(__name__)

PAST_TIME = "That time has passed. Pick a time in the future, or leave it empty to send once approved."


def _input(view: dict[str, Any], block: str) -> dict[str, Any]:
    values = view["state"]["values"]
    # A saved reply renames the text block (`reply_text:…`) so Slack shows its text.
    found: dict[str, Any] = values.get(block) or next(
        (v for k, v in values.items() if k.startswith(f"{block}:")), {}
    )
    return found.get(INPUT_ACTION, {})


class FieldError(UserError):
    """A refusal that belongs to one field of the modal other than the default one."""

    def __init__(self, block: BlockId, message: str) -> None:
        super().__init__(message)
        self.block = block


Submit = Callable[["Services", dict[str, Any], dict[str, Any], str], None]  # services, view, metadata, user


def _submission(services: Services, field: BlockId, submit: Submit) -> Callable[..., None]:
    """Validate and act before the ack, so a refusal shows on the field; nothing changes then.

    The ids in `private_metadata` are trusted only once their seal, their user and the brand scope
    of the channel the modal was opened in are checked again here, on the server.
    """

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        try:
            meta = services.scope.opened(view.get("private_metadata") or "", user=user)
            submit(services, view, meta, user)
        except UserError as exc:
            block = exc.block if isinstance(exc, FieldError) else field
            log.info("view.refused view=%s user=%s", view.get("callback_id"), user)
            ack(response_action="errors", errors={block.value: exc.message})
            return
        ack()

    return listener


def _text(view: dict[str, Any], block: BlockId) -> str:
    return plain(_input(view, block).get("value") or "")


def _reply(services: Services, view: dict[str, Any], meta: dict[str, Any], user: str) -> None:
    picked = _input(view, BlockId.SEND_AT).get("selected_date_time")
    send_at = datetime.fromtimestamp(int(picked), UTC) if picked else None
    if send_at is not None and send_at <= services.clock.now():
        raise FieldError(BlockId.SEND_AT, PAST_TIME)
    services.replies.draft(
        item_id=int(meta.get("item_id") or 0),
        text=_text(view, BlockId.REPLY_TEXT),
        author=user,
        send_at=send_at,
        # A modal is submitted once: a replay of the submission carries the same view id.
        source=f"view:{view['id']}" if view.get("id") else None,
    )


def _reject(services: Services, view: dict[str, Any], meta: dict[str, Any], user: str) -> None:
    services.replies.reject(
        user=user, draft_id=int(meta.get("draft_id") or 0), reason=_text(view, BlockId.REASON)
    )


def _ask_owner(services: Services, view: dict[str, Any], meta: dict[str, Any], user: str) -> None:
    services.owner.ask(
        item_id=int(meta.get("item_id") or 0), question=_text(view, BlockId.QUESTION), user=user
    )


def _answer(services: Services, view: dict[str, Any], meta: dict[str, Any], user: str) -> None:
    services.owner.answer(
        question_id=int(meta.get("question_id") or 0), text=_text(view, BlockId.ANSWER), user=user
    )


def register(app: App, *, services: Services) -> None:
    for view_id, field, submit in (
        (ViewId.REPLY, BlockId.REPLY_TEXT, _reply),
        (ViewId.REJECT, BlockId.REASON, _reject),
        (ViewId.ASK_OWNER, BlockId.QUESTION, _ask_owner),
        (ViewId.ANSWER, BlockId.ANSWER, _answer),
    ):
        app.view(view_id.value)(_submission(services, field, submit))
