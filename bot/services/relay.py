"""The relay: a durable queue of Slack posts and updates, worked by one thread per process.

Ingestion and every state change write `SlackTask` rows in their own transaction and
wake the relay. A task is claimed with a lease (an atomic conditional UPDATE, so two
processes never run the same one), run, and marked done. Slack outages, 429s and
crashes only delay a task: it stays in the table until Slack has it. Tasks of one item
run in order, and a reply's thread waits for its root item's message.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.message_builder.item import ItemView, fallback_text, item_blocks
from bot.platforms.base import Platform
from bot.storage.db import Database
from bot.storage.models import Account, Item, ItemMessage, ItemState, SlackTask
from bot.storage.queries import latest_draft, open_question_count

log = logging.getLogger(__name__)


class NotReady(Exception):
    """The task depends on a message that is not in Slack yet; try again later."""


TaskRunner = Callable[["Relay", SlackTask], None]


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class Relay:
    lease = timedelta(seconds=60)
    max_backoff = timedelta(minutes=5)
    batch = 100

    def __init__(
        self, *, db: Database, client: WebClient, platforms: Mapping[str, Platform], clock: Clock
    ) -> None:
        self.db = db
        self.client = client
        self.platforms = platforms
        self.clock = clock
        self._runners: dict[str, TaskRunner] = {
            "post_item": _post_item,
            "update_item": _update_item,
            "note": _post_note,
        }
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        # Slack limits a method for the whole workspace: after a 429 nothing is sent until
        # Retry-After has passed, which also keeps items in the order they arrived.
        self._paused_until: datetime | None = None

    def register(self, kind: str, runner: TaskRunner) -> None:
        self._runners[kind] = runner

    # -- the worker ---------------------------------------------------------------

    def wake(self) -> None:
        self._event.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="slack-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("relay.drain_failed")
            # Woken at once for new work; the timeout picks up retries and other processes' rows.
            self._event.wait(timeout=0.5)
            self._event.clear()

    def drain(self) -> int:
        """Run every due task once; returns how many were completed."""
        now = self.clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        with self.db.session() as session:
            ids = session.exec(
                select(SlackTask.id)
                .where(
                    col(SlackTask.done).is_(False),
                    or_(col(SlackTask.not_before).is_(None), col(SlackTask.not_before) <= now),
                    or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                )
                .order_by(col(SlackTask.id))
                .limit(self.batch)
            ).all()
        completed = 0
        held: set[int] = set()  # items with an earlier task still waiting: keep their order
        for task_id in ids:
            if self._stopped.is_set():
                break
            task = self._claim(task_id)
            if task is None:
                continue
            if task.item_id in held or self._has_earlier(task):
                held.add(task.item_id)
                self._release(task, delay=None)
                continue
            try:
                self._runners[task.kind](self, task)
            except NotReady:
                held.add(task.item_id)
                self._release(task, delay=timedelta(seconds=0))
                continue
            except SlackApiError as exc:
                held.add(task.item_id)
                if exc.response.status_code == 429:
                    retry_after = float(exc.response.headers.get("Retry-After", 1))
                    self._paused_until = self.clock.now() + timedelta(seconds=retry_after)
                    self._release(task, delay=None)
                    log.warning("relay.rate_limited retry_after=%ss", retry_after)
                    break
                self._failed(task, exc)
                continue
            except SlackClientError as exc:
                held.add(task.item_id)
                self._failed(task, exc)
                break  # Slack unreachable: no point trying the rest now
            self._done(task)
            completed += 1
        return completed

    # -- bookkeeping ---------------------------------------------------------------

    def _claim(self, task_id: int | None) -> SlackTask | None:
        now = self.clock.now()
        with self.db.session() as session:
            result = session.execute(
                update(SlackTask)
                .where(
                    col(SlackTask.id) == task_id,
                    col(SlackTask.done).is_(False),
                    or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now),
                )
                .values(claimed_until=now + self.lease, attempts=SlackTask.attempts + 1)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(SlackTask, task_id)

    def _has_earlier(self, task: SlackTask) -> bool:
        with self.db.session() as session:
            return (
                session.exec(
                    select(SlackTask.id).where(
                        SlackTask.item_id == task.item_id,
                        col(SlackTask.done).is_(False),
                        col(SlackTask.id) < task.id,
                    )
                ).first()
                is not None
            )

    def _release(self, task: SlackTask, *, delay: timedelta | None) -> None:
        with self.db.session() as session:
            values: dict[str, Any] = {"claimed_until": None, "attempts": SlackTask.attempts - 1}
            if delay is not None:
                values["not_before"] = self.clock.now() + delay
            session.execute(update(SlackTask).where(col(SlackTask.id) == task.id).values(**values))

    def _done(self, task: SlackTask) -> None:
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id) == task.id)
                .values(done=True, claimed_until=None, last_error=None)
            )

    def _failed(self, task: SlackTask, exc: Exception) -> None:
        error = (
            str(exc.response.get("error") or exc.response.status_code)
            if isinstance(exc, SlackApiError)
            else str(exc)
        )
        delay = self._backoff(task.attempts)
        log.warning(
            "relay.retry task=%s kind=%s item=%s error=%s in=%ss",
            task.id,
            task.kind,
            task.item_id,
            error,
            delay.total_seconds(),
        )
        with self.db.session() as session:
            session.execute(
                update(SlackTask)
                .where(col(SlackTask.id) == task.id)
                .values(claimed_until=None, last_error=error[:500], not_before=self.clock.now() + delay)
            )

    def _backoff(self, attempts: int) -> timedelta:
        return min(timedelta(seconds=2 ** min(attempts, 10)), self.max_backoff)

    # -- helpers for runners ---------------------------------------------------------

    def item_view(self, session: Session, item: Item) -> ItemView:
        assert item.id is not None
        platform = self.platforms.get(item.platform)
        return ItemView(
            item=item,
            platform_label=platform.label if platform else item.platform.title(),
            draft=latest_draft(session, item_id=item.id),
            waiting_owner=open_question_count(session, item_id=item.id) > 0
            and ItemState(item.state) is not ItemState.REPLIED,
        )

    def message_of(self, item_id: int) -> ItemMessage:
        with self.db.session() as session:
            message = session.get(ItemMessage, item_id)
        if message is None:
            raise NotReady(f"item {item_id} has no message yet")
        return message

    def post_in_thread(
        self, item_id: int, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> Posted:
        message = self.message_of(item_id)
        response = self.client.chat_postMessage(
            channel=message.channel,
            thread_ts=message.thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))


def _post_item(relay: Relay, task: SlackTask) -> None:
    with relay.db.session() as session:
        if session.get(ItemMessage, task.item_id) is not None:
            return  # already posted (a retried task after a lost acknowledgement)
        item = session.get(Item, task.item_id)
        assert item is not None
        account = session.get(Account, item.account_id)
        assert account is not None
        root = session.get(ItemMessage, item.root_item_id) if item.root_item_id else None
        if item.root_item_id and root is None:
            raise NotReady("root item not posted yet")
        platform = relay.platforms.get(item.platform)
        view = relay.item_view(session, item)
    # Webhooks carry no link to the comment; the platform may know a better one.
    better = (
        platform.permalink(external_id=item.external_id, conversation_id=item.conversation_id)
        if platform
        else None
    )
    if better and better != item.url:
        with relay.db.session() as session:
            stored = session.get(Item, item.id)
            assert stored is not None
            stored.url = better
            session.add(stored)
        item.url = better
    response = relay.client.chat_postMessage(
        channel=account.slack_channel,
        text=fallback_text(view),
        blocks=item_blocks(view),
        thread_ts=root.thread_ts if root else None,
        unfurl_links=False,
        unfurl_media=False,
        metadata={"event_type": "social_inbox_item", "event_payload": {"item_id": item.id}},
    )
    ts, channel = str(response["ts"]), str(response["channel"])
    with relay.db.session() as session:
        session.add(
            ItemMessage(
                item_id=task.item_id, channel=channel, ts=ts, thread_ts=root.thread_ts if root else ts
            )
        )
    log.info("relay.posted item=%s channel=%s", item.id, channel)


def _update_item(relay: Relay, task: SlackTask) -> None:
    message = relay.message_of(task.item_id)
    with relay.db.session() as session:
        item = session.get(Item, task.item_id)
        assert item is not None
        view = relay.item_view(session, item)
    relay.client.chat_update(
        channel=message.channel, ts=message.ts, text=fallback_text(view), blocks=item_blocks(view)
    )


def _post_note(relay: Relay, task: SlackTask) -> None:
    blocks = json.loads(task.blocks_json) if task.blocks_json else None
    relay.post_in_thread(task.item_id, text=task.text, blocks=blocks)
