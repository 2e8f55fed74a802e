"""The item's own message, notes in its thread, and the platform permalink look-up."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.clock import Clock, SystemClock
from bot.message_builder import strings
from bot.message_builder.item import ItemView, fallback_text, item_blocks
from bot.platforms.base import ModeratedPlatform, PlatformError, WindowedPlatform
from bot.relay.errors import NotReady
from bot.relay.kinds import Priority, TaskKind
from bot.relay.queue import enqueue, rerender_group
from bot.relay.runners.threads import Threads
from bot.relay.worker import Runner
from bot.services.accounts import PlatformRegistry
from bot.services.conversations import last_customer_message
from bot.storage.models import Account, GroupPurpose, Item, ItemGroup, ItemMessage, ItemState, SlackTask
from bot.storage.queries import latest_draft, open_question_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemRunners:
    threads: Threads
    platforms: PlatformRegistry
    clock_label: Callable[[Item], str | None] = lambda item: None
    clock: Clock = field(default_factory=SystemClock)

    def runners(self) -> dict[TaskKind, Runner]:
        return {
            TaskKind.POST_ITEM: self.post_item,
            TaskKind.UPDATE_ITEM: self.update_item,
            TaskKind.NOTE: self.post_note,
        }

    def item_view(self, session: Session, item: Item) -> ItemView:
        assert item.id is not None
        platform = self.platforms.for_item(item)
        closes = None
        if isinstance(platform, WindowedPlatform):
            last = last_customer_message(session, item)
            closes = last + platform.reply_window if last else None
        return ItemView(
            item=item,
            reply_closes=closes,
            now=self.clock.now(),
            platform_label=platform.label if platform else item.platform.title(),
            draft=latest_draft(session, item_id=item.id),
            waiting_owner=open_question_count(session, item_id=item.id) > 0
            and item.state is not ItemState.REPLIED,
            clock=self.clock_label(item),
        )

    def post_item(self, task: SlackTask) -> None:
        db = self.threads.db
        with db.session() as session:
            if session.get(ItemMessage, task.item_id) is not None:
                return  # already posted (a retried task after a lost acknowledgement)
            # Re-renders queued before the item is read (a link found, a state change) are shown
            # by this post itself: read first, so whatever they were queued for is in the view.
            shown_updates = list(
                session.exec(
                    select(SlackTask.id).where(
                        SlackTask.item_id == task.item_id,
                        SlackTask.kind == TaskKind.UPDATE_ITEM.value,
                        col(SlackTask.done).is_(False),
                    )
                ).all()
            )
            item = session.get(Item, task.item_id)
            assert item is not None
            account = session.get(Account, item.account_id)
            assert account is not None
            root = session.get(ItemMessage, item.root_item_id) if item.root_item_id else None
            if item.root_item_id and root is None:
                raise NotReady("root item not posted yet")
            view = self.item_view(session, item)
        # Posted with the link it came with; `fetch_permalink` improves it later, off this path.
        # Praise and comments leave part of the burst to questions and grouped messages.
        routine = Priority.is_routine(task.priority)
        response = self.threads.post(
            channel=account.slack_channel,
            reserve=self.threads.pacer.reserve if routine else 0,
            text=fallback_text(view),
            blocks=item_blocks(view),
            thread_ts=root.thread_ts if root else None,
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": "social_inbox_item", "event_payload": {"item_id": item.id}},
        )
        ts, channel = str(response["ts"]), str(response["channel"])
        with db.session() as session:
            session.add(
                ItemMessage(
                    item_id=task.item_id, channel=channel, ts=ts, thread_ts=root.thread_ts if root else ts
                )
            )
            if shown_updates:
                session.execute(
                    update(SlackTask)
                    .where(col(SlackTask.id).in_(shown_updates), col(SlackTask.done).is_(False))
                    .values(done=True, claimed_until=None, last_error=None)
                )
            group = session.get(ItemGroup, item.group_id) if item.group_id else None
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
