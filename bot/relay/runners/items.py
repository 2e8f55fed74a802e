"""The item's own message, notes in its thread, and the platform permalink look-up."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, func, select

from bot.clock import Clock, SystemClock
from bot.message_builder import strings
from bot.message_builder.item import ItemView, fallback_text, item_blocks
from bot.platforms.base import ModeratedPlatform, PlatformError, WindowedPlatform
from bot.relay.errors import NotReady
from bot.relay.kinds import Priority, TaskKind
from bot.relay.queue import enqueue, rerender_group
from bot.relay.runners.threads import Threads
from bot.relay.worker import Preparer, Runner
from bot.services.accounts import PlatformRegistry
from bot.services.conversations import last_customer_message
from bot.storage.models import (
    Account,
    Draft,
    DraftStatus,
    GroupPurpose,
    Item,
    ItemGroup,
    ItemMessage,
    ItemState,
    OwnerQuestion,
    SlackTask,
    utcnow,
)
from bot.storage.queries import latest_draft, open_question_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Post:
    """What an item's first post needs, read for a whole batch at once (`ItemRunners.prepare`)."""

    item: Item
    account: Account
    root: ItemMessage | None
    posted: bool
    # Re-renders queued before the item was read: the post itself shows what they were queued for.
    shown_updates: list[int]
    draft: Draft | None
    open_questions: int
    last_customer_at: datetime | None


@dataclass(frozen=True)
class ItemRunners:
    threads: Threads
    platforms: PlatformRegistry
    clock_label: Callable[[Item], str | None] = lambda item: None
    clock: Clock = field(default_factory=SystemClock)
    # The current batch's first posts, by task id (only the relay's thread touches it).
    _prepared: dict[int, _Post] = field(default_factory=dict, init=False, repr=False)

    def runners(self) -> dict[TaskKind, Runner]:
        return {
            TaskKind.POST_ITEM: self.post_item,
            TaskKind.UPDATE_ITEM: self.update_item,
            TaskKind.NOTE: self.post_note,
        }

    def preparers(self) -> dict[TaskKind, Preparer]:
        return {TaskKind.POST_ITEM: self.prepare}

    def item_view(self, session: Session, item: Item) -> ItemView:
        assert item.id is not None
        windowed = isinstance(self.platforms.for_item(item), WindowedPlatform)
        last = last_customer_message(session, item) if windowed else None
        return self._view(
            item,
            draft=latest_draft(session, item_id=item.id),
            open_questions=open_question_count(session, item_id=item.id),
            last_customer_at=last,
        )

    def _view(
        self, item: Item, *, draft: Draft | None, open_questions: int, last_customer_at: datetime | None
    ) -> ItemView:
        platform = self.platforms.for_item(item)
        closes = None
        if isinstance(platform, WindowedPlatform) and last_customer_at is not None:
            closes = last_customer_at + platform.reply_window
        return ItemView(
            item=item,
            reply_closes=closes,
            now=self.clock.now(),
            platform_label=platform.label if platform else item.platform.title(),
            draft=draft,
            waiting_owner=open_questions > 0 and item.state is not ItemState.REPLIED,
            clock=self.clock_label(item),
        )

    def prepare(self, tasks: list[SlackTask]) -> None:
        """Read what this batch's first posts need in a few queries instead of six per post.

        Called by the worker after it claimed the batch (the tasks are leased to it) and with no
        tasks after the batch, to forget. A task run without it reads its own, the same way.
        """
        self._prepared.clear()
        self._prepared.update(self._read_posts(tasks))

    def _read_posts(self, tasks: list[SlackTask]) -> dict[int, _Post]:
        """By task id; a task whose item or account is gone is left out."""
        if not tasks:
            return {}
        ids = sorted({t.item_id for t in tasks})
        with self.threads.db.session() as session:
            # Re-renders first, then the items: whatever they were queued for is in what is read.
            updates: dict[int, list[int]] = {}
            for item_id, task_id in session.exec(
                select(SlackTask.item_id, SlackTask.id).where(
                    col(SlackTask.item_id).in_(ids),
                    SlackTask.kind == TaskKind.UPDATE_ITEM.value,
                    col(SlackTask.done).is_(False),
                )
            ).all():
                assert task_id is not None
                updates.setdefault(item_id, []).append(task_id)
            posted = set(
                session.exec(select(ItemMessage.item_id).where(col(ItemMessage.item_id).in_(ids))).all()
            )
            items = {i.id: i for i in session.exec(select(Item).where(col(Item.id).in_(ids))).all()}
            accounts = {
                a.id: a
                for a in session.exec(
                    select(Account).where(col(Account.id).in_({i.account_id for i in items.values()}))
                ).all()
            }
            root_ids = {i.root_item_id for i in items.values() if i.root_item_id}
            roots = {
                m.item_id: m
                for m in session.exec(select(ItemMessage).where(col(ItemMessage.item_id).in_(root_ids))).all()
            }
            drafts: dict[int, Draft] = {}
            for draft in session.exec(
                select(Draft)
                .where(col(Draft.item_id).in_(ids), Draft.status != DraftStatus.SUPERSEDED)
                .order_by(col(Draft.id))
            ).all():
                drafts[draft.item_id] = draft  # the latest wins, as in `latest_draft`
            questions = dict(
                session.exec(
                    select(OwnerQuestion.item_id, func.count())
                    .where(col(OwnerQuestion.item_id).in_(ids), col(OwnerQuestion.answered_at).is_(None))
                    .group_by(col(OwnerQuestion.item_id))
                ).all()
            )
            windowed = {
                item_id: last_customer_message(session, item)
                for item_id, item in items.items()
                if isinstance(self.platforms.for_item(item), WindowedPlatform)
            }
        read: dict[int, _Post] = {}
        for task in tasks:
            item = items.get(task.item_id)
            account = accounts.get(item.account_id) if item is not None else None
            if item is None or account is None or task.id is None:
                continue
            read[task.id] = _Post(
                item=item,
                account=account,
                root=roots.get(item.root_item_id) if item.root_item_id else None,
                posted=item.id in posted,
                shown_updates=updates.get(task.item_id, []),
                draft=drafts.get(task.item_id),
                open_questions=int(questions.get(task.item_id, 0)),
                last_customer_at=windowed.get(task.item_id),
            )
        return read

    def post_item(self, task: SlackTask) -> None:
        assert task.id is not None
        post = self._prepared.pop(task.id, None) or self._read_posts([task]).get(task.id)
        if post is None:
            raise LookupError(f"item {task.item_id} or its account is gone")
        if post.posted:
            return  # already posted (a retried task after a lost acknowledgement)
        item, root = post.item, post.root
        if item.root_item_id and root is None:
            raise NotReady("root item not posted yet")
        view = self._view(
            item, draft=post.draft, open_questions=post.open_questions, last_customer_at=post.last_customer_at
        )
        # Posted with the link it came with; `fetch_permalink` improves it later, off this path.
        # Praise and comments leave part of the burst to questions and grouped messages.
        routine = Priority.is_routine(task.priority)
        response = self.threads.post(
            channel=post.account.slack_channel,
            reserve=self.threads.pacer.reserve if routine else 0,
            text=fallback_text(view),
            blocks=item_blocks(view),
            thread_ts=root.thread_ts if root else None,
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": "social_inbox_item", "event_payload": {"item_id": item.id}},
        )
        ts, channel = str(response["ts"]), str(response["channel"])
        # Core statements, not ORM objects: for most posts an ORM session costs more than they do.
        message: dict[str, Any] = {
            "item_id": task.item_id,
            "channel": channel,
            "ts": ts,
            "thread_ts": root.thread_ts if root else ts,
            "posted_at": utcnow(),
        }
        shown = (
            update(SlackTask)
            .where(col(SlackTask.id).in_(post.shown_updates), col(SlackTask.done).is_(False))
            .values(done=True, claimed_until=None, last_error=None)
        )
        if item.group_id is None:
            with self.threads.db.connection() as connection:
                connection.execute(insert(ItemMessage), message)
                if post.shown_updates:
                    connection.execute(shown)
        else:
            with self.threads.db.session() as session:
                session.execute(insert(ItemMessage), message)
                if post.shown_updates:
                    session.execute(shown)
                group = session.get(ItemGroup, item.group_id)
                if group is not None and group.purpose is not GroupPurpose.LISTING:
                    # The group's line now points at the item's own message (promoted, or not spam).
                    rerender_group(session, group=group, item_id=task.item_id)
        log.info("relay.posted item=%s channel=%s", item.id, channel)

    def update_item(self, task: SlackTask) -> None:
        with self.threads.db.session() as session:
            if session.exec(select(SlackTask.done).where(SlackTask.id == task.id)).first():
                # The item's first post showed this change (claimed in the same batch as the post):
                # chat.update is a Tier 3 method, and a storm would spend it on nothing.
                return
            item = session.get(Item, task.item_id)
            assert item is not None
            group = session.get(ItemGroup, item.group_id) if item.group_id is not None else None
            if group is not None and session.get(ItemMessage, task.item_id) is None:
                # Shown only as a line of a group: that message shows the new state.
                rerender_group(session, group=group, item_id=task.item_id)
                return
        message = self.threads.message_of(task.item_id)
        with self.threads.db.session() as session:
            item = session.get(Item, task.item_id)
            assert item is not None
            view = self.item_view(session, item)
        self.threads.client.chat_update(
            channel=message.channel, ts=message.ts, text=fallback_text(view), blocks=item_blocks(view)
        )

    def post_note(self, task: SlackTask) -> None:
        blocks = json.loads(task.blocks_json) if task.blocks_json else None
        self.threads.post_in_thread(task.item_id, text=task.text, blocks=blocks)


@dataclass(frozen=True)
class PermalinkRunners:
    """Webhooks carry no link to a comment; the platform may know a better one.

    Worked by its own relay thread, so a slow platform answer delays only other look-ups,
    never a Slack post. A better link is stored and the item's message re-rendered.
    """

    threads: Threads
    platforms: PlatformRegistry
    wake_slack: Callable[[], None]

    def runners(self) -> dict[TaskKind, Runner]:
        return {TaskKind.FETCH_PERMALINK: self.fetch_permalink}

    def fetch_permalink(self, task: SlackTask) -> None:
        db = self.threads.db
        with db.session() as session:
            item = session.get(Item, task.item_id)
            assert item is not None
        platform = self.platforms.for_item(item)
        if platform is None:
            return
        better = platform.permalink(external_id=item.external_id, conversation_id=item.conversation_id)
        if not better or better == item.url:
            return
        with db.session() as session:
            stored = session.get(Item, task.item_id)
            assert stored is not None
            stored.url = better
            session.add(stored)
            enqueue(session, TaskKind.UPDATE_ITEM, item_id=task.item_id)
        log.info("relay.permalink item=%s", task.item_id)
        self.wake_slack()


@dataclass(frozen=True)
class ModerationRunners:
    """The Spam action's platform side, on the platform worker: the comment is hidden there too."""

    threads: Threads
    platforms: PlatformRegistry
    wake_slack: Callable[[], None]

    def runners(self) -> dict[TaskKind, Runner]:
        return {TaskKind.HOLD_FOR_REVIEW: self.hold_for_review}

    def hold_for_review(self, task: SlackTask) -> None:
        db = self.threads.db
        with db.session() as session:
            item = session.get(Item, task.item_id)
            assert item is not None
        platform = self.platforms.for_item(item)
        if not isinstance(platform, ModeratedPlatform):
            return
        try:
            platform.hold_for_review(comment_id=item.external_id)
        except PlatformError as exc:
            # Not retried: the team sees it and can hide the comment on the platform themselves.
            note = strings.NOTE_HOLD_FAILED.format(platform=platform.label, reason=exc.reason)
            log.warning("relay.hold_failed item=%s reason=%s", item.id, exc.reason)
        else:
            note = strings.NOTE_HELD_FOR_REVIEW.format(platform=platform.label)
            log.info("relay.held_for_review item=%s", item.id)
        with db.session() as session:
            enqueue(session, TaskKind.NOTE, item_id=task.item_id, text=note)
        self.wake_slack()
