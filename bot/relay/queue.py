"""The one way to queue work for the relay: a row written in the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.relay.kinds import Priority, TaskKind
from bot.storage.models import CLOSED_STATES, GroupPurpose, Item, ItemGroup, ItemMessage, SlackTask


def enqueue(
    session: Session,
    kind: TaskKind,
    *,
    item_id: int,
    ref_id: int | None = None,
    text: str = "",
    blocks: list[dict[str, Any]] | None = None,
    not_before: datetime | None = None,
    priority: Priority = Priority.PEOPLE,
    channel: str | None = None,
) -> None:
    """Queue `kind` for the item; a re-render already waiting for the same message absorbs this one.

    `channel` (where it posts, when the caller knows) lets the relay skip a channel that is at
    Slack's pace without claiming its tasks.
    """
    if kind.collapses:
        # A group's message is named by the group alone, whichever member asked for the re-render.
        same_message = (
            [SlackTask.ref_id == ref_id]
            if kind is TaskKind.RENDER_GROUP
            else [SlackTask.item_id == item_id, SlackTask.ref_id == ref_id]
        )
        # The waiting task is locked until this transaction commits, so a worker cannot claim it
        # and render from the database before the change it is absorbing is visible (on
        # PostgreSQL the claim waits; SQLite serialises writers anyway). One already locked (being
        # claimed, or absorbing another writer's change) is skipped: this one is queued anew
        # rather than waiting, and never deadlocks. A second re-render is harmless; a lost one
        # leaves a message showing an old state.
        pending = session.exec(
            select(SlackTask.id, SlackTask.priority)
            .where(
                *same_message,
                SlackTask.kind == kind.value,
                col(SlackTask.done).is_(False),
                col(SlackTask.claimed_until).is_(None),
            )
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if pending is not None:
            pending_id, pending_priority = pending
            if pending_priority > priority:
                # A person's re-render absorbed by a background one must not wait at its priority.
                session.execute(
                    update(SlackTask).where(col(SlackTask.id) == pending_id).values(priority=int(priority))
                )
            return
    session.add(
        SlackTask(
            kind=kind.value,
            item_id=item_id,
            ref_id=ref_id,
            text=text,
            blocks_json=json.dumps(blocks) if blocks else None,
            not_before=not_before,
            priority=int(priority),
            channel=channel,
        )
    )


# Where a group's first post stands in the relay's order; once posted, a re-render is an edit.
_FIRST_POST = {
    GroupPurpose.LISTING: Priority.PEOPLE,
    GroupPurpose.ITEMS: Priority.GROUP,
    GroupPurpose.SPAM: Priority.SPAM_DIGEST,
}


def rerender_group(session: Session, *, group: ItemGroup, item_id: int) -> None:
    """Queue a re-render of `group`'s message after a change to one of its items.

    An edit goes first (it is not paced); a group not posted yet keeps its place in line, so a
    link found for a spam item does not push the spam digest ahead of the questions.
    """
    enqueue(
        session,
        TaskKind.RENDER_GROUP,
        item_id=item_id,
        ref_id=group.id,
        priority=Priority.PEOPLE if group.ts else _FIRST_POST[group.purpose],
        channel=group.channel,
    )


def promote(session: Session, *, item_id: int) -> None:
    """A grouped item needs a thread (a note, a draft, the owner): it gets its own message first.

    Its waiting post (a storm listing's) moves to the front; an item whose post was folded into a
    group gets a new one. Closed grouped items stay in their group.
    """
    item = session.get(Item, item_id)
    if item is None or item.group_id is None or item.state in CLOSED_STATES:
        return
    if session.get(ItemMessage, item_id) is not None:
        return
    moved = session.execute(
        update(SlackTask)
        .where(
            col(SlackTask.item_id) == item_id,
            col(SlackTask.kind) == TaskKind.POST_ITEM.value,
            col(SlackTask.done).is_(False),
        )
        .values(priority=int(Priority.PEOPLE))
    )
    if moved.rowcount == 0:  # type: ignore[attr-defined]
        enqueue(session, TaskKind.POST_ITEM, item_id=item_id, priority=Priority.PEOPLE)
