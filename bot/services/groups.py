"""Items shown in a grouped message: the hourly spam digest, Not spam, promotion to a message of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.message_builder import strings
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue, promote
from bot.services.errors import UserError
from bot.services.items import ensure_open, get_item
from bot.storage.db import Database
from bot.storage.models import GroupPurpose, Item, ItemGroup
from bot.storage.queries import audit

SPAM_LIST_LENGTH = 50


def spam_digest_in(session: Session, *, channel: str, at: datetime) -> int:
    """The channel's "Filtered as likely spam" group for the hour of `at`, created on first use.

    Created in the caller's transaction: when another process opened the same hour's digest at
    the same moment, the commit fails on the unique key and the caller stores again (finding it).
    """
    hour = at.astimezone(UTC).strftime("%Y-%m-%dT%H")
    found = session.exec(
        select(ItemGroup.id).where(
            ItemGroup.channel == channel, ItemGroup.purpose == GroupPurpose.SPAM, ItemGroup.hour == hour
        )
    ).first()
    if found is not None:
        return found
    group = ItemGroup(channel=channel, purpose=GroupPurpose.SPAM, hour=hour)
    session.add(group)
    session.flush()
    assert group.id is not None
    return group.id


@dataclass
class Groups:
    db: Database
    clock: Clock
    wake: Callable[[], None]

    def promote(self, *, item_id: int) -> None:
        """An action that needs a thread was chosen on a grouped line: the item gets its own message."""
        with self.db.session() as session:
            ensure_open(get_item(session, item_id))
            promote(session, item_id=item_id)
        self.wake()

    def not_spam(self, *, item_id: int, user: str) -> None:
        with self.db.session() as session:
            item = get_item(session, item_id)
            ensure_open(item)
            cleared = session.execute(
                update(Item).where(col(Item.id) == item_id, col(Item.spam).is_(True)).values(spam=False)
            )
            if cleared.rowcount != 1:  # type: ignore[attr-defined]
                raise UserError(strings.NOT_FILTERED.format(n=item_id))
            session.refresh(item)
            promote(session, item_id=item_id)
            enqueue(session, TaskKind.NOTE, item_id=item_id, text=strings.NOTE_NOT_SPAM.format(user=user))
            audit(session, item_id=item_id, actor=user, action="not_spam")
        self.wake()

    def spam_list(self, *, brand_keys: list[str] | None = None) -> list[Item]:
        """The newest items filtered as spam; only those of `brand_keys` when given (a brand's channel)."""
        query = select(Item).where(col(Item.spam).is_(True))
        if brand_keys is not None:
            query = query.where(col(Item.brand_key).in_(brand_keys))
        with self.db.session() as session:
            return list(session.exec(query.order_by(col(Item.id).desc()).limit(SPAM_LIST_LENGTH)).all())
