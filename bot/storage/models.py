"""The tables. Times are aware UTC datetimes (sqlmodel stores them as UTC on every database)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import AutoString, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class ItemState(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    WAITING_OWNER = "waiting_owner"
    REPLIED = "replied"
    IGNORED = "ignored"
    SPAM = "spam"
    FAILED = "failed"


CLOSED_STATES = frozenset({ItemState.REPLIED, ItemState.IGNORED, ItemState.SPAM})


class DraftStatus(StrEnum):
    PENDING = "pending"  # awaiting approval
    APPROVED = "approved"  # in the outbox, due at send_at (or now)
    PUBLISHING = "publishing"  # claimed by one process for the platform call
    PUBLISHED = "published"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the send may or may not have reached the platform; a person decides
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # replaced by a newer draft before it was sent
    CANCELLED = "cancelled"
    HELD = "held"  # not sent: the customer wrote again since it was drafted; the drafter decides


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A StrEnum stored as the plain VARCHAR the column always had: no schema change, no migration."""

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class Account(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(index=True)
    external_id: str
    name: str = ""
    slack_channel: str


class ItemKind(StrEnum):
    """What triage made of the item (`bot.services.triage.Kind`)."""

    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    COMMENT = "comment"


# An item `/social inbox` lists: not closed, not removed, not likely spam (that waits in the spam
# list). The inbox query uses this very text: SQLite uses a partial index only when the query's
# WHERE repeats the index's terms as written (`removed IS 0` or bound parameters do not match), and
# NOT IN, unlike IN, does not tempt its planner to read every open row through ix_item_state.
INBOX_ITEM_SQL = "state NOT IN ('replied', 'ignored', 'spam') AND NOT removed AND NOT spam"


class Item(SQLModel, table=True):
    """One comment or mention. Its id is the `#N` people type in Slack."""

    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        # `/social inbox` counts and pages the open items oldest first; with a million closed ones
        # around, only this partial index keeps it quick. It covers the filters too (brand,
        # platform, mine), so the count never reads a row.
        Index(
            "ix_item_inbox",
            "received_at",
            "id",
            "brand_key",
            "platform",
            "claimed_by",
            sqlite_where=text(INBOX_ITEM_SQL),
            postgresql_where=text(INBOX_ITEM_SQL),
        ),
        # Every column a report reads of an item, after the period's range (which every
        # received_at query uses): the report reads the index alone, never the wide rows.
        Index("ix_item_received_report", "received_at", "account_id", "platform", "state", "removed"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    external_id: str
    account_id: int = Field(foreign_key="account.id", index=True)
    # The brand the item belongs to (SPEC "Brands"); every Slack action is scoped by it. Kept on
    # the item, not only the account, so scoped lists need no join and a removed account's
    # items keep their brand.
    brand_key: str = Field(
        default="default",
        sa_column=Column("brand_key", AutoString, nullable=False, index=True, server_default="default"),
    )
    author_id: str = ""
    author_name: str = ""
    author_handle: str = ""
    author_url: str = ""
    text: str = ""
    url: str = ""
    parent_external_id: str | None = None
    conversation_id: str | None = Field(default=None, index=True)
    # The item whose Slack thread this one lands in (a reply to something we already show).
    root_item_id: int | None = Field(default=None, foreign_key="item.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Indexed for reports, which read the items received in a period (ix_item_received_report).
    received_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    removed: bool = False
    state: ItemState = Field(
        default=ItemState.NEW, sa_column=Column("state", EnumText(ItemState), nullable=False, index=True)
    )
    claimed_by: str | None = None
    owner_hint: bool = False
    # Triage at ingest (bot/services/triage.py): kind and VADER score, the spam verdict with its
    # reasons ("; "-separated), and the text's fingerprint for "same text from several authors".
    kind: ItemKind = Field(
        default=ItemKind.COMMENT,
        sa_column=Column("kind", EnumText(ItemKind), nullable=False, server_default="comment"),
    )
    sentiment: float = 0.0
    kind_reasons: str = ""
    spam: bool = False
    spam_reasons: str = ""
    fingerprint: str | None = Field(default=None, index=True)
    # The grouped message (busy day) or hourly spam digest that lists the item, if any.
    # No foreign key: SQLite cannot add one to an existing table without copying `item`.
    group_id: int | None = Field(default=None, index=True)
    # The first-response clock, stamped at ingest in the brand's business hours (None: no clock).
    due_at: datetime | None = Field(default=None, index=True)
    nudge_at: datetime | None = Field(default=None, index=True)
    # Set once, by the process that sends the note: the conditional UPDATE is the "once".
    nudged_at: datetime | None = None
    overdue_at: datetime | None = None
    # When the time left shown on the item's message next changes; the sweep re-renders then.
    clock_render_at: datetime | None = Field(default=None, index=True)


class GroupPurpose(StrEnum):
    ITEMS = "items"  # praise and comments of a backlog, with an overflow menu each
    LISTING = "listing"  # questions and complaints of a storm, before each gets its own message
    SPAM = "spam"  # "Filtered as likely spam", one per channel per hour


class ItemGroup(SQLModel, table=True):
    """One Slack message listing several items."""

    __table_args__ = (UniqueConstraint("channel", "purpose", "hour"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    purpose: GroupPurpose = Field(sa_column=Column("purpose", EnumText(GroupPurpose), nullable=False))
    # The spam digest's hour ("2026-11-26T14"); a unique key per other group, so it never collides.
    hour: str
    ts: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Set while one worker posts the group's first message: another one waits for its ts.
    posting_until: datetime | None = None


class InboxEntry(SQLModel, table=True):
    """A webhook's item or change as delivered (JSON), stored before the 200 and ingested after it."""

    id: int | None = Field(default=None, primary_key=True)
    body: str
    done: bool = Field(default=False, index=True)
    received_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = None  # one process ingests it; a crashed one's lease runs out


class SlackPace(SQLModel, table=True):
    """A token bucket per channel for chat.postMessage, shared by every process on the database."""

    channel: str = Field(primary_key=True)
    tokens: float
    updated: float  # epoch seconds of `tokens`
    blocked_until: float = 0.0  # a 429's Retry-After, for this channel only


class ItemMessage(SQLModel, table=True):
    """The Slack message that shows an item, and the thread its history goes into."""

    item_id: int = Field(primary_key=True, foreign_key="item.id")
    channel: str
    ts: str
    thread_ts: str
    posted_at: datetime = Field(default_factory=utcnow)


class SlackTask(SQLModel, table=True):
    """Durable relay to Slack: something to post or update, kept until Slack has it.

    kind: a `bot.relay.kinds.TaskKind` value (what to post or re-render; `ref_id` names
    the draft or owner question it is about). Messages are rendered when the task runs,
    so they always show the latest state.
    """

    # The relay reads pending tasks by priority, then age.
    __table_args__ = (
        Index(
            "ix_slacktask_due",
            "priority",
            "id",
            sqlite_where=text("NOT done"),
            postgresql_where=text("NOT done"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    item_id: int = Field(foreign_key="item.id", index=True)
    ref_id: int | None = None
    text: str = ""
    blocks_json: str | None = None
    # Lower runs first (bot/relay/kinds.py: Priority); the channel it posts to, when known at queueing.
    priority: int = 0
    channel: str | None = None
    done: bool = Field(default=False, index=True)
    attempts: int = 0
    not_before: datetime | None = None  # None: due at once (whatever the clock says)
    claimed_until: datetime | None = None
    last_error: str | None = None
    # Parked: Slack refused it for good (or a bug broke it); not run again until someone retries.
    failed_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class PollCursor(SQLModel, table=True):
    key: str = Field(primary_key=True)
    since_id: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Draft(SQLModel, table=True):
    """A reply: drafted, approved, then published once through the outbox."""

    __table_args__ = (
        UniqueConstraint("source", name="uq_draft_source"),
        # An item's first published reply, from the index alone (reports).
        Index("ix_draft_first_reply", "item_id", "status", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    text: str
    author: str
    status: DraftStatus = Field(
        default=DraftStatus.PENDING,
        sa_column=Column("status", EnumText(DraftStatus), nullable=False, index=True),
    )
    created_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    send_at: datetime | None = Field(default=None, index=True)
    scheduled_by: str | None = None
    slack_ts: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_until: datetime | None = None
    published_id: str | None = None
    published_url: str | None = None
    published_at: datetime | None = None
    last_error: str | None = None
    # When someone chose Send anyway on a held draft: later customer messages count from here.
    confirmed_at: datetime | None = None
    # What made it (a thread message's channel and ts, a command's trigger_id): Slack's
    # retries and replays of one request make one draft.
    source: str | None = None


class OwnerQuestion(SQLModel, table=True):
    # `/social inbox waiting` starts from the few unanswered questions, not from every open item.
    __table_args__ = (
        Index(
            "ix_ownerquestion_unanswered",
            "item_id",
            sqlite_where=text("answered_at IS NULL"),
            postgresql_where=text("answered_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    question: str
    asked_by: str
    asked_at: datetime = Field(default_factory=utcnow)
    dm_channel: str | None = None
    dm_ts: str | None = Field(default=None, index=True)
    answer: str | None = None
    answered_at: datetime | None = None
    reminders_sent: int = 0
    next_reminder_at: datetime | None = None


class UserProfile(SQLModel, table=True):
    """Cache of a Slack user's time zone and the name a mention of them reads as (users.info)."""

    user_id: str = Field(primary_key=True)
    tz: str
    name: str | None = None
    fetched_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    actor: str
    action: str
    detail: str = ""
    at: datetime = Field(default_factory=utcnow)


class HealthState(SQLModel, table=True):
    """The last known state of one health check, shared by every process.

    A process that flips `ok` with a conditional UPDATE posts the notice; the others see
    that the flip already happened, so one notice goes out however many processes run.
    """

    check: str = Field(primary_key=True)
    ok: bool = True
    error: str | None = None
    since: datetime | None = None
    # The token expiry we last warned about, so the 7-day warning goes out once per token.
    expiry_warned: datetime | None = None


class Snippet(SQLModel, table=True):
    """A saved reply, per brand; the Reply modal offers them."""

    __table_args__ = (UniqueConstraint("brand_key", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    brand_key: str = "default"
    name: str
    text: str
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)


class WeeklyReport(SQLModel, table=True):
    """A brand's weekly report, claimed by the one process that posts it (the key is the "once")."""

    brand_key: str = Field(primary_key=True)
    week: str = Field(primary_key=True)  # ISO week in the brand's time zone, e.g. 2026-W48
    claimed_at: datetime = Field(default_factory=utcnow)
    channel: str = ""
    ts: str | None = None  # the posted report; None while posting or if the post failed


class Conversation(SQLModel, table=True):
    """A customer's private conversation with one of our accounts (Messenger, Instagram DM).

    Its first item holds the Slack thread; `last_customer_at` starts Meta's reply window,
    and `warned_for` names the window whose closing was already warned about, so the
    warning goes out once however many processes look.
    """

    __table_args__ = (UniqueConstraint("platform", "account_external_id", "customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    account_external_id: str
    customer_id: str
    root_item_id: int | None = Field(default=None, foreign_key="item.id")
    last_customer_at: datetime | None = None
    warned_for: datetime | None = None
