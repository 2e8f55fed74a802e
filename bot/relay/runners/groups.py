"""Grouped messages: when a channel's queue holds more than Slack takes in a few seconds.

`Grouper.plan` runs before each of the relay's batches. Per channel with too long a queue:
- a storm of questions and complaints is listed first (their own posts stay queued, now behind
  the listing, oldest question first);
- praise and comments waiting for a message of their own are folded into groups of up to 40.
Both are conditional UPDATEs, so two processes never group or list one item twice.
`GroupRunners.render_group` posts a group's message once, then edits it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import Session, col, select

from bot.clock import Clock, SystemClock
from bot.message_builder.group import MAX_LINES, GroupLine, group_message
from bot.relay.errors import NotReady
from bot.relay.kinds import Priority, TaskKind
from bot.relay.pacing import Paced
from bot.relay.queue import rerender_group
from bot.relay.runners.threads import Threads
from bot.relay.worker import Runner
from bot.storage.models import GroupPurpose, Item, ItemGroup, ItemMessage, SlackTask, utcnow

log = logging.getLogger(__name__)

FILL_WAIT = timedelta(seconds=2)
# A storm's listing takes later questions while it is this recent: a few posts up the channel at most.
LISTING_OPEN = timedelta(seconds=10)
_URGENT = (int(Priority.QUESTION), int(Priority.URGENT))
_LISTED = {
    int(Priority.QUESTION): int(Priority.LISTED_QUESTION),
    int(Priority.URGENT): int(Priority.LISTED_URGENT),
}


@dataclass(frozen=True)
class Grouper:
    threads: Threads
    clock: Clock

    def plan(self) -> None:
        """Group what waits too long on each busy channel."""
        db = self.threads.db
        with db.session() as session:
            rows = session.exec(
                select(SlackTask.channel, SlackTask.priority, func.count())
                .where(
                    col(SlackTask.done).is_(False),
                    SlackTask.kind == TaskKind.POST_ITEM.value,
                    col(SlackTask.channel).is_not(None),
                )
                .group_by(col(SlackTask.channel), col(SlackTask.priority))
            ).all()
        queues: dict[str, dict[int, int]] = {}
        for channel, priority, count in rows:
            queues.setdefault(str(channel), {})[int(priority)] = int(count)
        few_seconds = self.threads.pacer.few_seconds()
        for channel, by_priority in queues.items():
            if sum(by_priority.values()) <= few_seconds:
                continue
            urgent = sum(by_priority.get(p, 0) for p in _URGENT)
            if urgent:
                self._list_storm(channel, start_new=urgent > few_seconds)
            while by_priority.get(int(Priority.ROUTINE), 0) > 0:
                grouped = self._group_routine(channel)
                if not grouped:
                    break
                by_priority[int(Priority.ROUTINE)] -= grouped

    def _new_group(self, session: Session, *, channel: str, purpose: GroupPurpose) -> ItemGroup:
        group = ItemGroup(channel=channel, purpose=purpose, hour=uuid.uuid4().hex)
        session.add(group)
        session.flush()
        return group

    def _list_storm(self, channel: str, *, start_new: bool) -> None:
        """List the questions and complaints waiting on a busy channel.

        A storm's questions keep arriving after its listing went out: while that listing is recent
        and has room they join it (an edit, which costs none of the channel's posts) rather than each
        taking a post ahead of the praise groups; when it is full, the rest start another. New
        listings are otherwise started only for a storm (`start_new`): a few questions on a busy
        channel get their own messages first.
        """
        with self.threads.db.session() as session:
            waiting = list(
                session.exec(
                    select(SlackTask.item_id)
                    .join(Item, col(Item.id) == col(SlackTask.item_id))
                    .where(
                        col(SlackTask.done).is_(False),
                        SlackTask.kind == TaskKind.POST_ITEM.value,
                        SlackTask.channel == channel,
                        col(SlackTask.priority).in_(_URGENT),
                        col(Item.group_id).is_(None),
                    )
                    .order_by(col(SlackTask.id))
                ).all()
            )
            recent = self._recent_listing(session, channel=channel)
            if recent is not None:
                group, room = recent
                chunk, waiting = waiting[:room], waiting[room:]
                self._list(session, group=group, chunk=chunk)
                # The storm's listing is full: one more listing costs one post, their own messages
                # one post each, ahead of the praise groups.
                start_new = start_new or len(waiting) > 1
            if not start_new:
                return
            for start in range(0, len(waiting), MAX_LINES):
                chunk = waiting[start : start + MAX_LINES]
                group = self._new_group(session, channel=channel, purpose=GroupPurpose.LISTING)
                if not self._list(session, group=group, chunk=chunk):
                    session.delete(group)

    def _recent_listing(self, session: Session, *, channel: str) -> tuple[ItemGroup, int] | None:
        """The channel's newest listing if it is recent (still near the bottom), with its room left."""
        group = session.exec(
            select(ItemGroup)
            .where(
                ItemGroup.channel == channel,
                ItemGroup.purpose == GroupPurpose.LISTING,
                col(ItemGroup.created_at) > utcnow() - LISTING_OPEN,
            )
            .order_by(col(ItemGroup.id).desc())
            .limit(1)
        ).first()
        if group is None:
            return None
        listed = session.exec(select(func.count()).select_from(Item).where(Item.group_id == group.id)).one()
        return group, max(0, MAX_LINES - int(listed))

    def _list(self, session: Session, *, group: ItemGroup, chunk: list[int]) -> bool:
        """Put `chunk` in `group`: their own posts now follow the listing; (re-)render it."""
        if not chunk:
            return False
        listed = session.execute(
            update(Item)
            .where(col(Item.id).in_(chunk), col(Item.group_id).is_(None))
            .values(group_id=group.id)
        )
        if listed.rowcount == 0:  # type: ignore[attr-defined]
            return False
        for before, after in _LISTED.items():
            session.execute(
                update(SlackTask)
                .where(
                    col(SlackTask.item_id).in_(chunk),
                    col(SlackTask.kind) == TaskKind.POST_ITEM.value,
                    col(SlackTask.done).is_(False),
                    col(SlackTask.priority) == before,
                )
                .values(priority=after)
            )
        rerender_group(session, group=group, item_id=chunk[0])
        log.info("relay.listed channel=%s group=%s items=%s", group.channel, group.id, len(chunk))
        return True

    def _group_routine(self, channel: str) -> int:
        now = self.clock.now()
        with self.threads.db.session() as session:
            candidates = session.exec(
                select(SlackTask.id, SlackTask.created_at)
                .where(
                    col(SlackTask.done).is_(False),
                    SlackTask.kind == TaskKind.POST_ITEM.value,
                    SlackTask.channel == channel,
                    SlackTask.priority == int(Priority.ROUTINE),
                    _unclaimed(now),
                )
                .order_by(col(SlackTask.id))
                .limit(MAX_LINES)
            ).all()
            if not candidates:
                return 0
            # While comments keep arriving, wait a moment to fill a group: one post shows 40.
            if len(candidates) < MAX_LINES and min(at for _, at in candidates) > utcnow() - FILL_WAIT:
                return 0
            taken = session.execute(
                update(SlackTask)
                .where(
                    col(SlackTask.id).in_([task_id for task_id, _ in candidates]),
                    col(SlackTask.done).is_(False),
                    _unclaimed(now),
                )
                .values(done=True, last_error="grouped")
                .returning(col(SlackTask.item_id))
            )
            item_ids = sorted(row[0] for row in taken)
            if not item_ids:
                return 0
            group = self._new_group(session, channel=channel, purpose=GroupPurpose.ITEMS)
            session.execute(update(Item).where(col(Item.id).in_(item_ids)).values(group_id=group.id))
            rerender_group(session, group=group, item_id=item_ids[0])
        log.info("relay.grouped channel=%s group=%s items=%s", channel, group.id, len(item_ids))
        return len(item_ids)


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(col(SlackTask.claimed_until).is_(None), col(SlackTask.claimed_until) < now)


# How long a worker may take to post a group's first message before another one may try.
POSTING_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class GroupRunners:
    threads: Threads
    clock: Clock = field(default_factory=SystemClock)

    def runners(self) -> dict[TaskKind, Runner]:
        return {TaskKind.RENDER_GROUP: self.render_group}

    def render_group(self, task: SlackTask) -> None:
        db = self.threads.db
        with db.session() as session:
            group = session.get(ItemGroup, task.ref_id)
            assert group is not None
            total = session.exec(
                select(func.count()).select_from(Item).where(Item.group_id == group.id)
            ).one()
            items = list(
                reversed(
                    session.exec(
                        select(Item)
                        .where(Item.group_id == group.id)
                        .order_by(col(Item.id).desc())
                        .limit(MAX_LINES)
                    ).all()
                )
            )
            own = set(
                session.exec(
                    select(ItemMessage.item_id).where(col(ItemMessage.item_id).in_([i.id for i in items]))
                ).all()
            )
        lines = [GroupLine(item=item, own_message=item.id in own) for item in items]
        text, blocks = group_message(purpose=group.purpose, hour=group.hour, lines=lines, total=total)
        if group.ts is None:
            # A second re-render task exists while the first runs; in another process it would post
            # the group again. The first post is claimed: the other task waits, then edits it.
            now = self.clock.now()
            with db.session() as session:
                claimed = session.execute(
                    update(ItemGroup)
                    .where(
                        col(ItemGroup.id) == group.id,
                        col(ItemGroup.ts).is_(None),
                        or_(col(ItemGroup.posting_until).is_(None), col(ItemGroup.posting_until) < now),
                    )
                    .values(posting_until=now + POSTING_LEASE)
                ).rowcount  # type: ignore[attr-defined]
            if claimed != 1:
                raise NotReady(f"group {group.id} is being posted")
            try:
                response = self.threads.post(
                    channel=group.channel,
                    # The spam digest, like praise one by one, leaves part of the burst to the rest.
                    reserve=self.threads.pacer.reserve if Priority.is_routine(task.priority) else 0,
                    text=text,
                    blocks=blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata={
                        "event_type": "social_inbox_group",
                        "event_payload": {"group_id": group.id, "purpose": group.purpose.value},
                    },
                )
            except (Paced, SlackApiError):
                # Not posted (our pace, or Slack answered no): the next try may claim it at once.
                # Anything else (a lost answer) keeps the claim until it runs out.
                with db.session() as session:
                    session.execute(
                        update(ItemGroup).where(col(ItemGroup.id) == group.id).values(posting_until=None)
                    )
                raise
            with db.session() as session:
                session.execute(
                    update(ItemGroup)
                    .where(col(ItemGroup.id) == group.id)
                    .values(ts=str(response["ts"]), posting_until=None)
                )
            log.info("relay.group_posted group=%s purpose=%s items=%s", group.id, group.purpose, total)
            return
        self.threads.client.chat_update(channel=group.channel, ts=group.ts, text=text, blocks=blocks)
