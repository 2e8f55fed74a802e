"""`/social`: ack at once, parse, call a service, answer ephemerally."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.message_builder import strings
from bot.message_builder.brands import brands_blocks
from bot.message_builder.format import escape
from bot.message_builder.inbox import inbox_blocks, queue_blocks, spam_list_blocks
from bot.message_builder.snippets import snippet_list_text
from bot.services.errors import UserError
from bot.services.items import InboxFilter
from bot.services.schedule import local_format
from bot.slack_text import plain, user_id
from bot.storage.models import DraftStatus

if TYPE_CHECKING:
    from bot.handlers.services import Services

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"#?(\d{1,9})")


class Command:
    """One parsed invocation: `/social SUB [N] [REST]`."""

    def __init__(self, text: str) -> None:
        parts = text.strip().split(None, 2)
        self.sub = parts[0].lower() if parts else "help"
        self._args = parts[1:]
        self.words = [w.lower() for w in text.split()[1:]]

    def item(self, *, rest_hint: str = "") -> int:
        found = _NUMBER.fullmatch(self._args[0]) if self._args else None
        if not found:
            raise UserError(strings.NEEDS_ITEM.format(sub=escape(self.sub), rest=rest_hint))
        return int(found.group(1))

    @property
    def rest(self) -> str:
        return self._args[1] if len(self._args) > 1 else ""


def _item(services: Services, command: Command, body: dict[str, Any], *, rest_hint: str = "") -> int:
    """The `#N` the command names, refused when this channel belongs to another brand."""
    n = command.item(rest_hint=rest_hint)
    services.scope.item(item_id=n, channel=body.get("channel_id"))
    return n


def _source(kind: str, body: dict[str, Any]) -> str | None:
    """A replay of one signed request carries its trigger_id again; a new invocation never does."""
    trigger = body.get("trigger_id")
    return f"{kind}:{trigger}" if trigger else None


Handler = Callable[["Services", Command, str, dict[str, Any]], "str | list[dict[str, Any]]"]


def _help(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    return strings.HELP


def _inbox(services: Services, command: Command, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """`/social inbox [mine] [waiting] [PLATFORM] [page N]`, in any order; a brand's channel sees its own."""
    platform: str | None = None
    mine = waiting = False
    page = 1
    for word in command.words:
        if word == "mine":
            mine = True
        elif word in ("waiting", "owner"):
            waiting = True
        elif word == "page":
            continue
        elif word.isdigit():
            page = int(word)
        elif word in services.replies.platform_names():
            platform = word
        else:
            raise UserError(strings.INBOX_USAGE.format(word=word))
    keys = services.scope.brand_keys(body.get("channel_id"))
    where = InboxFilter(
        brand_keys=keys,
        platform=platform,
        claimed_by=user if mine else None,
        waiting_owner=waiting,
        page=page,
    )
    page_of = services.items.inbox(where=where)
    now = services.clock.now()
    if keys is not None or len(services.scope.brands) == 1:
        return inbox_blocks(page_of, now=now, command=command.words)
    groups = [
        (brand.key, strings.INBOX_BRAND_HEADING.format(name=escape(brand.name), channel=brand.channel))
        for brand in services.scope.brands
    ]
    return inbox_blocks(page_of, now=now, command=command.words, groups=groups)


def _spam_list(services: Services, command: Command, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    return spam_list_blocks(
        services.groups.spam_list(brand_keys=services.scope.brand_keys(body.get("channel_id")))
    )


def _brands(services: Services, command: Command, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    return brands_blocks(services.scope.brands, health=services.scope.health)


def _draft(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body, rest_hint=" TEXT")
    services.replies.draft(
        item_id=n,
        text=plain(command.rest, names=services.zones.name),
        author=user,
        source=_source("command", body),
    )
    return strings.DRAFT_POSTED.format(n=n)


def _approve(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body)
    draft = services.replies.approve(user=user, item_id=n)
    return (
        strings.APPROVED_SCHEDULED
        if draft.send_at and draft.send_at > services.clock.now()
        else strings.APPROVED
    ).format(n=n)


def _reject(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body, rest_hint=" [reason]")
    services.replies.reject(user=user, item_id=n, reason=plain(command.rest))
    return strings.REJECTED.format(n=n)


def _claim(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body)
    services.items.claim(item_id=n, user=user)
    return strings.CLAIMED.format(n=n)


def _assign(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body, rest_hint=" @someone")
    assignee = user_id(command.rest.split()[0]) if command.rest else None
    if assignee is None:
        raise UserError(strings.NEEDS_USER.format(n=n))
    services.items.assign(item_id=n, user=user, assignee=assignee)
    return strings.ASSIGNED.format(n=n, user=assignee)


def _schedule(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body, rest_hint=" WHEN")
    draft, send_at, zone = services.schedules.schedule(item_id=n, when=command.rest, user=user)
    approval = "" if draft.status == DraftStatus.APPROVED else strings.SCHEDULED_NEEDS_APPROVAL
    return strings.SCHEDULED.format(n=n, local=local_format(send_at, zone), zone=zone.key, approval=approval)


def _queue(services: Services, command: Command, user: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    keys = services.scope.brand_keys(body.get("channel_id"))
    return queue_blocks(
        services.schedules.queue(brand_keys=keys), zone=services.zones.zone(user), now=services.clock.now()
    )


def _cancel(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body)
    services.schedules.cancel(item_id=n, user=user)
    return strings.CANCELLED.format(n=n)


def _ask_owner(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    n = _item(services, command, body, rest_hint=" QUESTION")
    services.owner.owner_of(item_id=n)
    services.owner.ask(item_id=n, question=plain(command.rest), user=user)
    return strings.ASKED.format(n=n)


def _close(spam: bool) -> Handler:
    def close(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
        n = _item(services, command, body)
        state = services.items.close(item_id=n, user=user, spam=spam)
        return strings.CLOSED.format(n=n, state=state.value)

    return close


def _snippet(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    parts = body.get("text", "").strip().split(None, 3)  # snippet VERB NAME TEXT
    verb = parts[1].lower() if len(parts) > 1 else ""
    snippets = services.snippets
    brand = snippets.brand_of_channel(body.get("channel_id", ""))
    if verb == "list" and len(parts) == 2:
        return snippet_list_text(snippets.all(brand=brand))
    if verb == "add" and len(parts) >= 3:
        saved = snippets.add(
            brand=brand, name=parts[2], text=plain(parts[3] if len(parts) > 3 else ""), user=user
        )
        return strings.SNIPPET_ADDED.format(name=saved.name)
    if verb == "delete" and len(parts) == 3:
        snippets.delete(brand=brand, name=parts[2])
        return strings.SNIPPET_DELETED.format(name=parts[2].lower())
    raise UserError(strings.SNIPPET_USAGE)


def _report(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    parts = body.get("text", "").split()
    if len(parts) > 2:
        raise UserError(strings.REPORT_USAGE)
    days = services.reporting.period(parts[1] if len(parts) == 2 else "7d")
    services.reporting.for_channel(channel=body.get("channel_id", ""), days=days)
    return strings.REPORT_POSTED.format(days=days)


def _retry_slack(services: Services, command: Command, user: str, body: dict[str, Any]) -> str:
    count = services.deliveries.retry_parked(user=user, channel=body.get("channel_id"))
    return strings.RETRIED_SLACK.format(n=count) if count else strings.NOTHING_PARKED


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "inbox": _inbox,
    "brands": _brands,
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
    "spam-list": _spam_list,
    "snippet": _snippet,
    "report": _report,
    "retry-slack": _retry_slack,
}


def register(app: App, *, services: Services) -> None:
    @app.command("/social")
    def social(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        command = Command(body.get("text", ""))
        user = body["user_id"]
        handler = HANDLERS.get(command.sub)
        try:
            if handler is None:
                raise UserError(strings.UNKNOWN_SUBCOMMAND.format(sub=escape(command.sub)))
            answer = handler(services, command, user, body)
        except UserError as exc:
            log.info("command.refused sub=%s user=%s", command.sub, user)
            respond(text=exc.message, response_type="ephemeral")
            return
        if isinstance(answer, str):
            respond(text=answer, response_type="ephemeral")
        else:
            respond(text=f"/social {command.sub}", blocks=answer, response_type="ephemeral")
