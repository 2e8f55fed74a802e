"""Ingestion: an item is stored (with its Slack task) in one transaction before anything else.

Whatever happens to Slack afterwards, the item is in the database and the relay will
post it; the unique (platform, external_id) key makes every redelivery a no-op.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.message_builder import strings
from bot.message_builder.notes import edited_note, removed_note
from bot.platforms.base import IncomingItem, ItemChange
from bot.relay.kinds import Priority, TaskKind
from bot.relay.queue import enqueue, rerender_group
from bot.services import conversations, triage
from bot.services.groups import spam_digest_in
from bot.storage.db import Database
from bot.storage.models import Account, Draft, DraftStatus, Item, ItemGroup, ItemKind, utcnow
from bot.storage.queries import audit, find_item

if TYPE_CHECKING:
    from bot.services.accounts import Connected, PlatformRegistry

log = logging.getLogger(__name__)

# New items stored per transaction when several come at once (a burst of webhooks, a page of a
# poll): fewer commits and relay passes than one each, while whoever waits for the database's
# writer meanwhile (a webhook's answer) waits only as long as a few items take.
INGEST_RUN = 10


@dataclass
class Ingestor:
    db: Database
    # The connected accounts: which brand and channel an item belongs to.
    accounts: PlatformRegistry
    on_stored: Callable[[], None] = lambda: None  # wakes the relay
    stamp: Callable[[Item], None] = lambda item: None  # starts the first-response clock
    _accounts: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    _owner_words: dict[str, re.Pattern[str] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for brand in self.accounts.brands:
            words = [re.escape(w) for w in brand.owner_keywords if w]
            self._owner_words[brand.key] = (
                re.compile(r"\b(" + "|".join(words) + r")", re.IGNORECASE) if words else None
            )

    def ingest(self, incoming: IncomingItem) -> int | None:
        """Store a new item and queue its Slack message; None when it was already stored.

        An item for an account no brand lists is skipped: nobody would see it. Triage runs here,
        so the relay knows what matters first: likely spam is listed in the channel's hourly
        digest instead of getting a message of its own.
        """
        return self.ingest_many([incoming])[0]

    def ingest_many(self, incomings: Sequence[IncomingItem]) -> list[int | None]:
        """Store several items in one transaction (a burst's deliveries); each one's id or None.

        One commit and one wake of the relay for the lot: on a busy day the per-item transaction,
        and a relay pass per item, cost more than the items. When another process stored one of
        them (or opened the hour's spam digest) at the same moment, they are stored again one by
        one, which finds what it stored. That is rare, and costs numbers: on PostgreSQL the `#N`
        the first try took are skipped (a sequence does not roll back).
        """
        try:
            return self._store(incomings)
        except IntegrityError:
            if len(incomings) > 1:
                return [self.ingest(incoming) for incoming in incomings]
        try:
            return self._store(incomings)  # now the other process's row is there to be found
        except IntegrityError:
            return [None]

    def _store(self, incomings: Sequence[IncomingItem]) -> list[int | None]:
        # Look-ups that may write rows of their own (an account, a conversation) come first:
        # nothing may wait on the database's writer while this transaction holds it.
        prepared: list[_Prepared | None] = []
        for incoming in incomings:
            connected = self.accounts.find(
                platform=incoming.platform, external_id=incoming.account_external_id
            )
            if connected is None:
                log.warning(
                    "ingest.no_brand platform=%s account=%s", incoming.platform, incoming.account_external_id
                )
                prepared.append(None)
                continue
            account_id, channel = self._account(incoming, connected)
            conversation = conversations.conversation_for(self.db, incoming) if incoming.direct else None
            prepared.append(
                _Prepared(
                    incoming=incoming,
                    brand_key=connected.brand.key,
                    account_id=account_id,
                    channel=channel,
                    conversation=conversation,
                )
            )
        received_at = utcnow()
        stored: list[int | None] = []
        with self.db.session() as session:
            seen = _stored_keys(session, [p.incoming for p in prepared if p is not None])
            digests: dict[str, int] = {}
            for entry in prepared:
                if entry is None or (entry.incoming.platform, entry.incoming.external_id) in seen:
                    stored.append(None)
                    continue
                seen.add((entry.incoming.platform, entry.incoming.external_id))
                stored.append(self._store_one(session, entry, received_at=received_at, digests=digests))
        for entry, item_id in zip(prepared, stored, strict=True):
            if entry is not None and item_id is not None:
                log.info(
                    "ingest.stored item=%s platform=%s brand=%s",
                    item_id,
                    entry.incoming.platform,
                    entry.brand_key,
                )
        if any(item_id is not None for item_id in stored):
            self.on_stored()
        return stored

    def _store_one(
        self, session: Session, entry: _Prepared, *, received_at: datetime, digests: dict[str, int]
    ) -> int:
        incoming = entry.incoming
        item = self._new_item(session, incoming, account_id=entry.account_id, brand_key=entry.brand_key)
        item.received_at = received_at
        self.stamp(item)
        self._triage(session, item, incoming)
        if item.spam:
            if entry.channel not in digests:
                digests[entry.channel] = spam_digest_in(session, channel=entry.channel, at=received_at)
            item.group_id = digests[entry.channel]
        session.add(item)
        session.flush()
        assert item.id is not None
        if entry.conversation is not None:
            conversations.attach(session, conversation_id=entry.conversation, item=item)
        if item.spam:
            digest = session.get(ItemGroup, item.group_id)
            assert digest is not None
            rerender_group(session, group=digest, item_id=item.id)
        else:
            enqueue(
                session,
                TaskKind.POST_ITEM,
                item_id=item.id,
                priority=post_priority(item),
                channel=entry.channel,
            )
        # Off the Slack path: the message goes out with the link we have, then improves.
        enqueue(session, TaskKind.FETCH_PERMALINK, item_id=item.id)
        self._warn_scheduled(session, item)
        audit(session, item_id=item.id, actor=incoming.platform, action="received")
        return item.id

    def apply_change(self, change: ItemChange) -> bool:
        with self.db.session() as session:
            item = find_item(session, platform=change.platform, external_id=change.external_id)
            if item is None or item.id is None:
                return False
            if change.verb == "removed":
                if item.removed:
                    return False
                item.removed = True
            elif change.verb == "edited" and change.text is not None:
                if change.text == item.text:
                    return False
                item.text = change.text
                item.edited_at = utcnow()
            else:
                return False
            session.add(item)
            enqueue(session, TaskKind.UPDATE_ITEM, item_id=item.id)
            note, blocks = (
                removed_note()
                if change.verb == "removed"
                else edited_note(item_id=item.id, text=change.text or "")
            )
            enqueue(session, TaskKind.NOTE, item_id=item.id, text=note, blocks=blocks)
            audit(session, item_id=item.id, actor=change.platform, action=change.verb)
        log.info("ingest.changed item=%s verb=%s", item.id, change.verb)
        self.on_stored()
        return True

    def _new_item(self, session: Session, incoming: IncomingItem, *, account_id: int, brand_key: str) -> Item:
        owner_words = self._owner_words.get(brand_key)
        return Item(
            brand_key=brand_key,
            platform=incoming.platform,
            external_id=incoming.external_id,
            account_id=account_id,
            author_id=incoming.author.id,
            author_name=incoming.author.name,
            author_handle=incoming.author.handle,
            author_url=incoming.author.url,
            text=incoming.text,
            url=incoming.url,
            parent_external_id=incoming.parent_external_id,
            conversation_id=incoming.conversation_id,
            root_item_id=self._root_item(session, incoming),
            created_at=incoming.created_at,
            owner_hint=bool(owner_words and owner_words.search(incoming.text)),
        )

    def _triage(self, session: Session, item: Item, incoming: IncomingItem) -> None:
        fingerprint = triage.fingerprint(text=incoming.text)
        recent: list[triage.RecentItem] = []
        if fingerprint is not None:
            since = item.received_at - triage.DUPLICATE_WINDOW
            recent = [
                triage.RecentItem(author_id=author_id, fingerprint=fingerprint, received_at=at)
                for author_id, at in session.exec(
                    select(Item.author_id, Item.received_at)
                    .where(Item.fingerprint == fingerprint, col(Item.received_at) >= since)
                    .limit(triage.DUPLICATE_AUTHORS * 4)
                ).all()
            ]
        author = incoming.author
        verdict = triage.triage(
            text=incoming.text,
            received_at=item.received_at,
            author=triage.AuthorFacts(
                id=author.id,
                platform=incoming.platform,
                followers_count=author.followers_count,
                account_created_at=author.created_at,
            ),
            recent=recent,
        )
        item.kind = ItemKind(verdict.kind.value)
        item.sentiment = verdict.sentiment
        item.kind_reasons = "; ".join(verdict.kind_reasons)
        item.spam = verdict.spam
        item.spam_reasons = "; ".join(verdict.reasons)
        item.fingerprint = fingerprint

    def _warn_scheduled(self, session: Session, item: Item) -> None:
        """The customer wrote again: a reply scheduled on their conversation may no longer fit."""
        related: list[int | None] = [item.root_item_id] if item.root_item_id else []
        if item.conversation_id:
            related += session.exec(
                select(Item.id).where(
                    Item.platform == item.platform,
                    Item.conversation_id == item.conversation_id,
                    Item.author_id == item.author_id,
                    Item.id != item.id,
                )
            ).all()
        if not related:
            return
        for draft in session.exec(
            select(Draft).where(
                col(Draft.item_id).in_(related),
                col(Draft.send_at).is_not(None),
                col(Draft.status).in_([DraftStatus.PENDING, DraftStatus.APPROVED]),
            )
        ).all():
            enqueue(
                session,
                TaskKind.NOTE,
                item_id=draft.item_id,
                text=strings.NOTE_WROTE_AGAIN.format(drafter=draft.author),
            )

    def _root_item(self, session: Session, incoming: IncomingItem) -> int | None:
        """A reply to an item we show, or to our published reply, goes into that item's thread."""
        parent_id = incoming.parent_external_id
        if not parent_id:
            return None
        parent = find_item(session, platform=incoming.platform, external_id=parent_id)
        if parent is None:
            parent = session.exec(
                select(Item)
                .join(Draft, Draft.item_id == Item.id)  # type: ignore[arg-type]
                .where(Item.platform == incoming.platform, Draft.published_id == parent_id)
            ).first()
        if parent is None:
            return None
        return parent.root_item_id or parent.id

    def _account(self, incoming: IncomingItem, connected: Connected) -> tuple[int, str]:
        """The account's id and Slack channel (its row created on the first item); the channel follows the brands file."""
        key = (incoming.platform, incoming.account_external_id)
        if key not in self._accounts:
            channel = connected.channel
            query = select(Account).where(Account.platform == key[0], Account.external_id == key[1])
            with self.db.session() as session:
                account = session.exec(query).first()
                if account is not None and account.slack_channel != channel:
                    # A restart with a changed file moves new items; shown ones stay where they are.
                    account.slack_channel = channel
                    session.add(account)
            if account is None:
                try:
                    with self.db.session() as session:
                        session.add(Account(platform=key[0], external_id=key[1], slack_channel=channel))
                except IntegrityError:
                    pass  # a concurrent first item created it
                with self.db.session() as session:
                    account = session.exec(query).one()
            assert account.id is not None
            self._accounts[key] = (account.id, channel)
        return self._accounts[key]


@dataclass(frozen=True)
class _Prepared:
    """An incoming item with what was looked up for it before its transaction."""

    incoming: IncomingItem
    brand_key: str
    account_id: int
    channel: str
    conversation: int | None


def _stored_keys(session: Session, incomings: list[IncomingItem]) -> set[tuple[str, str]]:
    """(platform, external_id) of those already stored: a redelivery is a no-op."""
    if not incomings:
        return set()
    # Both columns of the unique index, so it is searched (external_id alone scans every item).
    found = session.exec(
        select(Item.platform, Item.external_id).where(
            col(Item.platform).in_({i.platform for i in incomings}),
            col(Item.external_id).in_({i.external_id for i in incomings}),
        )
    ).all()
    return {(platform, external_id) for platform, external_id in found}


def post_priority(item: Item) -> Priority:
    """Questions, complaints and what may need the owner reach Slack before praise and comments."""
    if item.kind is ItemKind.QUESTION:
        return Priority.QUESTION
    if item.kind is ItemKind.COMPLAINT or item.owner_hint:
        return Priority.URGENT
    return Priority.ROUTINE


def is_urgent(item: Item) -> bool:
    return post_priority(item) is not Priority.ROUTINE
