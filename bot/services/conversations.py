"""Private conversations (Messenger, Instagram DM): one item per customer, and Meta's reply window.

The first message from a customer to one of our accounts becomes the conversation's item;
later ones are items in its Slack thread, so the team sees and can answer each. Every
message moves the window's start (`last_customer_at`, Meta's own timestamp); the window
closes `reply_window` later, is shown on the items, warned about an hour before it closes
(once, by a conditional UPDATE that only one process wins), and enforced at approval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import slack_date
from bot.platforms.base import IncomingItem
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.storage.db import Database
from bot.storage.models import CLOSED_STATES, Account, Conversation, Item

log = logging.getLogger(__name__)

WARN_BEFORE = timedelta(hours=1)


def conversation_for(db: Database, incoming: IncomingItem) -> int:
    """The conversation's id, created on the customer's first message (before the item's transaction)."""
    query = select(Conversation.id).where(
        Conversation.platform == incoming.platform,
        Conversation.account_external_id == incoming.account_external_id,
        Conversation.customer_id == incoming.author.id,
    )
    with db.session() as session:
        found = session.exec(query).first()
    if found is None:
        try:
            with db.session() as session:
                session.add(
                    Conversation(
                        platform=incoming.platform,
                        account_external_id=incoming.account_external_id,
                        customer_id=incoming.author.id,
                    )
                )
        except IntegrityError:
            pass  # another process stored the same customer's first message at the same moment
        with db.session() as session:
            found = session.exec(query).one()
    assert found is not None
    return found


def attach(session: Session, *, conversation_id: int, item: Item) -> None:
    """File a stored (flushed) message under its conversation, in the item's own transaction."""
    assert item.id is not None
    conversation = session.get(Conversation, conversation_id)
    assert conversation is not None
    if conversation.root_item_id is None:
        won = session.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id, col(Conversation.root_item_id).is_(None))
            .values(root_item_id=item.id)
        ).rowcount  # type: ignore[attr-defined]
        if not won:
            session.refresh(conversation)
    root = conversation.root_item_id if conversation.root_item_id != item.id else None
    if root is not None:
        item.root_item_id = root
        session.add(item)
    session.execute(
        update(Conversation)
        .where(
            col(Conversation.id) == conversation_id,
            or_(
                col(Conversation.last_customer_at).is_(None),
                col(Conversation.last_customer_at) < item.created_at,
            ),
        )
        .values(last_customer_at=item.created_at)
    )
    # The window moved: the conversation's other open items show the new closing time.
    for other in open_items(session, root_item_id=root or item.id):
        if other != item.id:
            enqueue(session, TaskKind.UPDATE_ITEM, item_id=other)


def open_items(session: Session, *, root_item_id: int) -> list[int]:
    return [
        found
        for found in session.exec(
            select(Item.id).where(
                or_(col(Item.id) == root_item_id, col(Item.root_item_id) == root_item_id),
                col(Item.state).not_in(CLOSED_STATES),
            )
        ).all()
        if found is not None
    ]


def last_customer_message(session: Session, item: Item) -> datetime | None:
    """When the customer of a private item last wrote; None for every other item."""
    return session.exec(
        select(Conversation.last_customer_at)
        .join(Account, col(Account.external_id) == col(Conversation.account_external_id))
        .where(
            Account.id == item.account_id,
            Account.platform == item.platform,
            Conversation.platform == item.platform,
            Conversation.customer_id == item.author_id,
        )
    ).first()


@dataclass
class Conversations:
    db: Database
    clock: Clock
    windows: Mapping[str, timedelta]  # platform name -> its reply window
    labels: Mapping[str, str]
    wake: Callable[[], None]

    def warn_closing(self) -> int:
        """Post one note per conversation whose window closes within the hour and has open items."""
        now = self.clock.now()
        warned = 0
        for platform, window in self.windows.items():
            with self.db.session() as session:
                closing = session.exec(
                    select(Conversation).where(
                        Conversation.platform == platform,
                        col(Conversation.root_item_id).is_not(None),
                        col(Conversation.last_customer_at) <= now - (window - WARN_BEFORE),
                        col(Conversation.last_customer_at) > now - window,
                        or_(
                            col(Conversation.warned_for).is_(None),
                            col(Conversation.warned_for) != col(Conversation.last_customer_at),
                        ),
                    )
                ).all()
            for conversation in closing:
                warned += self._warn(conversation, window=window)
        if warned:
            self.wake()
        return warned

    def _warn(self, conversation: Conversation, *, window: timedelta) -> int:
        last = conversation.last_customer_at
        assert last is not None and conversation.root_item_id is not None
        with self.db.session() as session:
            # Only one process moves warned_for to this window; only it posts the note.
            if not session.execute(
                update(Conversation)
                .where(
                    col(Conversation.id) == conversation.id,
                    col(Conversation.last_customer_at) == last,
                    or_(
                        col(Conversation.warned_for).is_(None),
                        col(Conversation.warned_for) != last,
                    ),
                )
                .values(warned_for=last)
            ).rowcount:  # type: ignore[attr-defined]
                return 0
            items = open_items(session, root_item_id=conversation.root_item_id)
            if not items:
                return 0  # answered or closed: nothing is waiting on the window
            label = self.labels.get(conversation.platform, conversation.platform)
            note = strings.NOTE_WINDOW_CLOSING.format(
                platform=label, closes=slack_date(last + window), hours=int(window.total_seconds() // 3600)
            )
            enqueue(session, TaskKind.NOTE, item_id=conversation.root_item_id, text=note)
            for item_id in items:
                enqueue(session, TaskKind.UPDATE_ITEM, item_id=item_id)
        log.info(
            "conversations.window_warned conversation=%s platform=%s", conversation.id, conversation.platform
        )
        return 1
