"""No schedule-and-forget: before a scheduled reply goes out, look again.

The publisher has claimed the draft (PUBLISHING) when it asks; this step either lets the
send go on, or ends the claim: a comment removed on the platform cancels the send, and a
customer who wrote again since the reply was drafted holds it until the drafter chooses
**Send anyway** or **Edit**. A platform that cannot tell whether the comment is there does
not stop the send: an unknown is not a removal.

Scheduled replies due together are looked at together: the platform is asked a few seconds
ahead of the send (``look_ahead``, before the claim, so a cancel still wins), and the
database once for a whole claimed batch (``read_claimed``); ``check`` then uses both.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_
from sqlmodel import col, select

from bot.brands import Brands
from bot.clock import Clock, as_utc
from bot.message_builder import strings
from bot.message_builder.presend import held_note_blocks
from bot.platforms.base import ExistenceChecking, Platform
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.services.errors import UserError
from bot.services.items import reply_target
from bot.services.transitions import Audit, end_claim, move_draft, move_item
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, Item, ItemState, utcnow

log = logging.getLogger(__name__)

# How long a look made ahead of the send stands in for one made at it (seconds, monotonic).
LOOK_VALID_S = 15.0
_NOT_LOOKED = object()


@dataclass
class PreSend:
    db: Database
    clock: Clock
    brands: Brands  # Send anyway: the drafter, or an approver of the item's own brand
    wake: Callable[[], None]
    kick: Callable[[int], None] = lambda draft_id: None  # hands a confirmed draft to the publisher
    # draft id -> (time.monotonic() of the look, what it found)
    _looked: dict[int, tuple[float, object]] = field(default_factory=dict, init=False)
    _read: dict[int, tuple[float, object]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def check(self, draft: Draft, item: Item, platform: Platform) -> bool:
        """True: send it now. False: the claim was ended here (cancelled or held) and shown."""
        if draft.send_at is None:
            return True  # sent at approval: nobody has looked away yet
        if isinstance(platform, ExistenceChecking):
            exists = self._take(self._looked, draft.id or 0)
            if exists is _NOT_LOOKED:
                exists = platform.exists(target=reply_target(item))
            if exists is False:
                self._cancel(draft, item, platform_label=platform.label)
                return False
        newer = self._take(self._read, draft.id or 0)
        if newer is _NOT_LOOKED:
            newer = self._newer_message(draft, item)
        if isinstance(newer, Item):
            self._hold(draft, item, newer)
            return False
        return True

    def look_ahead(self, due: Sequence[tuple[Draft, Item, Platform]]) -> None:
        """Ask the platform now about replies due in the next few seconds (not yet claimed)."""
        for draft, item, platform in due:
            if draft.send_at is None or not isinstance(platform, ExistenceChecking):
                continue
            exists = platform.exists(target=reply_target(item))
            self._keep(self._looked, draft.id or 0, exists)

    def read_claimed(self, claimed: Sequence[tuple[Draft, Item]]) -> None:
        """The newer-message check for a whole claimed batch, in one query."""
        scheduled = [(d, i) for d, i in claimed if d.send_at is not None]
        if not scheduled:
            return
        if len(scheduled) == 1:
            draft, item = scheduled[0]
            self._keep(self._read, draft.id or 0, self._newer_message(draft, item))
            return
        since = {d.id: as_utc(max(filter(None, (d.created_at, d.confirmed_at)))) for d, _ in scheduled}
        with self.db.session() as session:
            candidates = session.exec(
                select(Item).where(
                    col(Item.platform).in_({i.platform for _, i in scheduled}),
                    col(Item.author_id).in_({i.author_id for _, i in scheduled}),
                    col(Item.received_at) > min(since.values()),
                )
            ).all()
        by_author: dict[tuple[str, str | None], list[Item]] = {}
        for other in candidates:
            by_author.setdefault((other.platform, other.author_id), []).append(other)
        for draft, item in scheduled:
            newer = [
                other
                for other in by_author.get((item.platform, item.author_id), [])
                if other.id != item.id
                and as_utc(other.received_at) > since[draft.id]
                and (
                    other.root_item_id == item.id
                    or (item.conversation_id and other.conversation_id == item.conversation_id)
                )
            ]
            latest = max(newer, key=lambda other: as_utc(other.received_at), default=None)
            self._keep(self._read, draft.id or 0, latest)

    def _keep(self, cache: dict[int, tuple[float, object]], draft_id: int, value: object) -> None:
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, (at, _) in cache.items() if now - at > LOOK_VALID_S]:
                del cache[stale]
            cache[draft_id] = (now, value)

    def _take(self, cache: dict[int, tuple[float, object]], draft_id: int) -> object:
        with self._lock:
            entry = cache.pop(draft_id, None)
        if entry is None or time.monotonic() - entry[0] > LOOK_VALID_S:
            return _NOT_LOOKED
        return entry[1]

    def send_anyway(self, *, draft_id: int, user: str) -> None:
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            if draft is None or draft.status != DraftStatus.HELD:
                raise UserError(strings.NOT_HELD)
            item = session.get(Item, draft.item_id)
            brand = self.brands.get(item.brand_key) if item is not None else None
            if user != draft.author and not (brand is not None and brand.may_approve(user)):
                raise UserError(strings.SEND_ANYWAY_WHO.format(author=draft.author))
            if not move_draft(
                session,
                draft_id=draft_id,
                item_id=draft.item_id,
                to=DraftStatus.APPROVED,
                only_from=(DraftStatus.HELD,),
                # Compared with items' received_at, stamped at storage by the same wall clock.
                values={"confirmed_at": utcnow()},
                audit=Audit(actor=user, action="send_anyway", detail=f"draft {draft_id}"),
            ):
                raise UserError(strings.NOT_HELD)
            move_item(session, item_id=draft.item_id, to=ItemState.SCHEDULED)
            enqueue(
                session, TaskKind.NOTE, item_id=draft.item_id, text=strings.NOTE_SEND_ANYWAY.format(user=user)
            )
        log.info("presend.confirmed draft=%s", draft_id)
        self.wake()
        self.kick(draft_id)

    def _newer_message(self, draft: Draft, item: Item) -> Item | None:
        """The customer's latest message in the same conversation since the draft (or its confirmation)."""
        since = max(filter(None, (draft.created_at, draft.confirmed_at)))
        same_thread = [col(Item.root_item_id) == item.id]
        if item.conversation_id:
            same_thread.append(col(Item.conversation_id) == item.conversation_id)
        with self.db.session() as session:
            return session.exec(
                select(Item)
                .where(
                    Item.platform == item.platform,
                    Item.author_id == item.author_id,
                    col(Item.id) != item.id,
                    col(Item.received_at) > since,
                    or_(*same_thread),
                )
                .order_by(col(Item.received_at).desc())
            ).first()

    def _cancel(self, draft: Draft, item: Item, *, platform_label: str) -> None:
        item_id = item.id or 0
        with self.db.session() as session:
            end_claim(
                session,
                draft=draft,
                to=DraftStatus.CANCELLED,
                values={"last_error": "the comment was removed"},
                audit=Audit(actor="system", action="cancelled", detail="comment removed"),
            )
            move_item(
                session,
                item_id=item_id,
                to=ItemState.NEW,
                only_from=(ItemState.SCHEDULED, ItemState.DRAFT, ItemState.CLAIMED),
                values={"removed": True},
            )
            note = strings.NOTE_REMOVED_BEFORE_SEND.format(platform=platform_label, author=draft.author)
            enqueue(session, TaskKind.NOTE, item_id=item_id, text=note)
        log.info("presend.cancelled item=%s draft=%s reason=removed", item_id, draft.id)
        self.wake()

    def _hold(self, draft: Draft, item: Item, newer: Item) -> None:
        item_id = item.id or 0
        with self.db.session() as session:
            end_claim(
                session,
                draft=draft,
                to=DraftStatus.HELD,
                audit=Audit(actor="system", action="held", detail=f"item {newer.id}"),
            )
            move_item(session, item_id=item_id, to=ItemState.DRAFT, only_from=(ItemState.SCHEDULED,))
            text = strings.NOTE_HELD.format(author=draft.author, n=newer.id)
            enqueue(
                session,
                TaskKind.NOTE,
                item_id=item_id,
                text=text,
                blocks=held_note_blocks(text=text, newer=newer, draft_id=draft.id or 0),
            )
        log.info("presend.held item=%s draft=%s newer=%s", item_id, draft.id, newer.id)
        self.wake()
