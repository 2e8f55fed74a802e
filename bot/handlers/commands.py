"""`/social`: ack at once, parse, call a service, answer ephemerally."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.message_builder import strings
from bot.message_builder.format import escape
from bot.message_builder.inbox import inbox_blocks, queue_blocks
from bot.services.errors import UserError
from bot.services.schedule import local_format
from bot.slack_text import plain, user_id
from bot.storage.models import DraftStatus

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"#?(\d{1,9})")


class Command:
    """One parsed invocation: `/social SUB [N] [REST]`."""

    def __init__(self, text: str) -> None:
        parts = text.strip().split(None, 2)
        self.sub = parts[0].lower() if parts else "help"
        self._args = parts[1:]

    def item(self, *, rest_hint: str = "") -> int:
        found = _NUMBER.fullmatch(self._args[0]) if self._args else None
        if not found:
            raise UserError(strings.NEEDS_ITEM.format(sub=escape(self.sub), rest=rest_hint))
        return int(found.group(1))

    @property
    def rest(self) -> str:
        return self._args[1] if len(self._args) > 1 else ""


Handler = Callable[["Runtime", Command, str, dict[str, Any]], "str | list[dict[str, Any]]"]


def _help(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    return strings.HELP


def _inbox(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    return inbox_blocks(runtime.items.open_items(), now=runtime.clock.now())


def _draft(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item(rest_hint=" TEXT")
    runtime.replies.draft(item_id=n, text=plain(command.rest), author=user)
    return strings.DRAFT_POSTED.format(n=n)


def _approve(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item()
    draft = runtime.replies.approve(user=user, item_id=n)
    return (
        strings.APPROVED_SCHEDULED
        if draft.send_at and draft.send_at > runtime.clock.now()
        else strings.APPROVED
    ).format(n=n)


def _reject(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item(rest_hint=" [reason]")
    runtime.replies.reject(user=user, item_id=n, reason=plain(command.rest))
    return strings.REJECTED.format(n=n)


def _claim(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item()
    runtime.items.claim(item_id=n, user=user)
    return strings.CLAIMED.format(n=n)


def _assign(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item(rest_hint=" @someone")
    assignee = user_id(command.rest.split()[0]) if command.rest else None
    if assignee is None:
        raise UserError(strings.NEEDS_USER.format(n=n))
    runtime.items.assign(item_id=n, user=user, assignee=assignee)
    return strings.ASSIGNED.format(n=n, user=assignee)


def _schedule(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item(rest_hint=" WHEN")
    draft, send_at, zone = runtime.schedules.schedule(item_id=n, when=command.rest, user=user)
    approval = "" if draft.status == DraftStatus.APPROVED else strings.SCHEDULED_NEEDS_APPROVAL
    return strings.SCHEDULED.format(n=n, local=local_format(send_at, zone), zone=zone.key, approval=approval)


def _queue(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    return queue_blocks(runtime.schedules.queue(), zone=runtime.zones.zone(user), now=runtime.clock.now())


def _cancel(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    n = command.item()
    runtime.schedules.cancel(item_id=n, user=user)
    return strings.CANCELLED.format(n=n)


def _ask_owner(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
    runtime.owner.require_owner()
    n = command.item(rest_hint=" QUESTION")
    runtime.owner.ask(item_id=n, question=plain(command.rest), user=user)
    return strings.ASKED.format(n=n)


def _close(spam: bool) -> Handler:
    def close(runtime: Runtime, command: Command, user: str, body: dict[str, Any]) -> str:
        n = command.item()
        state = runtime.items.close(item_id=n, user=user, spam=spam)
        return strings.CLOSED.format(n=n, state=state.value)

    return close


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "inbox": _inbox,
    "draft": _draft,
    "approve": _approve,
    "reject": _reject,
    "schedule": _schedule,
    "queue": _queue,
    "cancel": _cancel,
    "ask-owner": _ask_owner,
    "claim": _claim,
    "assign": _assign,
    "ignore": _close(spam=False),
    "spam": _close(spam=True),
}


def register(app: App, runtime: Runtime) -> None:
    @app.command("/social")
    def social(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        command = Command(body.get("text", ""))
        user = body["user_id"]
        handler = HANDLERS.get(command.sub)
        try:
            if handler is None:
                raise UserError(strings.UNKNOWN_SUBCOMMAND.format(sub=escape(command.sub)))
            answer = handler(runtime, command, user, body)
        except UserError as exc:
            log.info("command.refused sub=%s user=%s", command.sub, user)
            respond(text=exc.message, response_type="ephemeral")
            return
        if isinstance(answer, str):
            respond(text=answer, response_type="ephemeral")
        else:
            respond(text=f"/social {command.sub}", blocks=answer, response_type="ephemeral")
