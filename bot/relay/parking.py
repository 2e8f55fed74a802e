"""Telling people about parked tasks: once, where they can see it, and in the health check.

A refusal about one message (msg_too_long, invalid_blocks, a bug) is told in the item's
thread, or in its channel before the item is shown. A channel that refuses the bot
(channel_not_found, not_in_channel, is_archived) cannot carry its own notice, so the owner
and the approvers get a DM. A refused token reaches nobody in Slack: the log and the
`slack` health check say it (and /healthz answers 503, as for any Slack auth failure).
Other refusals show in the `slack_messages` check: /healthz stays 200, since the bot
works for everything else. One notice per error while tasks with that error are parked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlmodel import col, func, select

from bot.message_builder import strings
from bot.message_builder.format import escape
from bot.relay.errors import Cause, Classified
from bot.storage.db import Database
from bot.storage.models import Account, Item, ItemMessage, SlackTask

log = logging.getLogger(__name__)

Report = Callable[..., None]  # bot.health.Health.report(check, *, ok, error)
CHECK_AUTH = "slack"  # essential: /healthz 503
CHECK_MESSAGES = "slack_messages"  # shown, not essential

FIXES = {
    "channel_not_found": strings.FIX_CHANNEL_NOT_FOUND,
    "not_in_channel": strings.FIX_NOT_IN_CHANNEL,
    "is_archived": strings.FIX_IS_ARCHIVED,
    "msg_too_long": strings.FIX_REFUSED_MESSAGE,
    "invalid_blocks": strings.FIX_REFUSED_MESSAGE,
    "no_text": strings.FIX_REFUSED_MESSAGE,
}
CAUSE_FIXES = {
    Cause.AUTH: strings.FIX_TOKEN,
    Cause.CHANNEL: strings.FIX_NOT_IN_CHANNEL,
    Cause.MESSAGE: strings.FIX_REFUSED_MESSAGE,
    Cause.BUG: strings.FIX_BUG,
}


def fix_for(outcome: Classified) -> str:
    return FIXES.get(outcome.error) or CAUSE_FIXES.get(outcome.cause or Cause.BUG, strings.FIX_BUG)


@dataclass
class Notices:
    db: Database
    client: WebClient
    people: Sequence[str]  # the owner and the approvers: told by DM when a channel refuses the bot
    report: Report | None = None
    _failing: set[str] = field(default_factory=set)  # health checks this reported as failing
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def parked(self, task: SlackTask, outcome: Classified) -> None:
        channel = self._channel_of(task.item_id)
        where = f" in <#{channel}>" if channel and outcome.cause is Cause.CHANNEL else ""
        if self.report is not None:
            check = CHECK_AUTH if outcome.cause is Cause.AUTH else CHECK_MESSAGES
            with self._lock:
                self._failing.add(check)
            self.report(check, ok=False, error=f"{outcome.error}{where}: {fix_for(outcome)}")
        if self._already_told(task, outcome.error):
            return
        text = strings.SLACK_PARKED.format(
            n=task.item_id, error=escape(outcome.error), where=where, fix=fix_for(outcome)
        )
        if outcome.cause is Cause.AUTH:
            return  # nothing reaches Slack with this token; /healthz and the log say it
        if outcome.cause is not Cause.CHANNEL and self._in_channel(task.item_id, text):
            return
        self._by_dm(text)

    def delivered(self) -> None:
        """A task went through: the checks are well again once nothing is parked."""
        if self.report is None or not self._failing:
            return
        with self.db.session() as session:
            left = session.exec(
                select(func.count()).select_from(SlackTask).where(col(SlackTask.failed_at).is_not(None))
            ).one()
        if left:
            return
        with self._lock:
            recovered, self._failing = self._failing, set()
        for check in sorted(recovered):
            self.report(check, ok=True)

    # -- internals ----------------------------------------------------------------------------

    def _already_told(self, task: SlackTask, error: str) -> bool:
        """Another task parked with this error already brought its notice."""
        with self.db.session() as session:
            return (
                session.exec(
                    select(SlackTask.id).where(
                        col(SlackTask.failed_at).is_not(None),
                        SlackTask.last_error == error[:500],
                        SlackTask.id != task.id,
                    )
                ).first()
                is not None
            )

    def _channel_of(self, item_id: int) -> str | None:
        with self.db.session() as session:
            item = session.get(Item, item_id)
            account = session.get(Account, item.account_id) if item else None
            return account.slack_channel if account else None

    def _in_channel(self, item_id: int, text: str) -> bool:
        with self.db.session() as session:
            message = session.get(ItemMessage, item_id)
        channel = message.channel if message else self._channel_of(item_id)
        if channel is None:
            return False
        try:
            self.client.chat_postMessage(
                channel=channel,
                thread_ts=message.thread_ts if message else None,
                text=text,
                unfurl_links=False,
            )
        except (SlackClientError, OSError) as exc:
            log.warning("relay.notice_failed where=channel error=%s", type(exc).__name__)
            return False
        log.info("relay.notice item=%s where=channel", item_id)
        return True

    def _by_dm(self, text: str) -> None:
        for person in dict.fromkeys(self.people):
            try:
                channel = self.client.conversations_open(users=person)["channel"]["id"]
                self.client.chat_postMessage(channel=channel, text=text, unfurl_links=False)
            except (SlackClientError, OSError) as exc:
                log.warning("relay.notice_failed where=dm error=%s", type(exc).__name__)
                continue
            log.info("relay.notice where=dm user=%s", person)
