"""Frozen copy of the schema the home-made migrator made (`schemaversion` 1), before Alembic.

This is what `SQLModel.metadata.create_all` produced from bot/storage/models.py at commit 229556f.
It must never follow the models: it stands for databases already out there.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()


def _text(name: str, *, null: bool = False) -> Column[str]:
    return Column(name, String, nullable=null)


def _at(name: str, *, null: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=null)


def _int(name: str, *, null: bool = False) -> Column[int]:
    return Column(name, Integer, nullable=null)


def _item_fk(*, null: bool = False) -> Column[int]:
    return Column("item_id", Integer, ForeignKey("item.id"), nullable=null)


Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True),
    _text("platform"),
    _text("external_id"),
    _text("name"),
    _text("slack_channel"),
    UniqueConstraint("platform", "external_id"),
    Index("ix_account_platform", "platform"),
)
Table(
    "pollcursor",
    metadata,
    Column("key", String, primary_key=True),
    _text("since_id", null=True),
    _at("updated_at"),
)
Table(
    "schemaversion",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    _int("version"),
)
Table(
    "userprofile",
    metadata,
    Column("user_id", String, primary_key=True),
    _text("tz"),
    _at("fetched_at"),
)
Table(
    "item",
    metadata,
    Column("id", Integer, primary_key=True),
    _text("platform"),
    _text("external_id"),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    *(_text(name) for name in ("author_id", "author_name", "author_handle", "author_url", "text", "url")),
    _text("parent_external_id", null=True),
    _text("conversation_id", null=True),
    Column("root_item_id", Integer, ForeignKey("item.id"), nullable=True),
    _at("created_at"),
    _at("received_at"),
    _at("edited_at", null=True),
    Column("removed", Boolean, nullable=False),
    _text("state"),
    _text("claimed_by", null=True),
    Column("owner_hint", Boolean, nullable=False),
    UniqueConstraint("platform", "external_id"),
    Index("ix_item_account_id", "account_id"),
    Index("ix_item_state", "state"),
    Index("ix_item_conversation_id", "conversation_id"),
)
Table(
    "auditevent",
    metadata,
    Column("id", Integer, primary_key=True),
    _item_fk(null=True),
    _text("actor"),
    _text("action"),
    _text("detail"),
    _at("at"),
    Index("ix_auditevent_item_id", "item_id"),
)
Table(
    "draft",
    metadata,
    Column("id", Integer, primary_key=True),
    _item_fk(),
    _text("text"),
    _text("author"),
    _text("status"),
    _at("created_at"),
    _text("decided_by", null=True),
    _at("decided_at", null=True),
    _text("reason", null=True),
    _at("send_at", null=True),
    _text("scheduled_by", null=True),
    _text("slack_ts", null=True),
    _int("attempts"),
    _at("next_attempt_at", null=True),
    _at("claimed_until", null=True),
    _text("published_id", null=True),
    _text("published_url", null=True),
    _at("published_at", null=True),
    _text("last_error", null=True),
    Index("ix_draft_status", "status"),
    Index("ix_draft_item_id", "item_id"),
    Index("ix_draft_send_at", "send_at"),
)
Table(
    "itemmessage",
    metadata,
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True, autoincrement=False),
    _text("channel"),
    _text("ts"),
    _text("thread_ts"),
    _at("posted_at"),
)
Table(
    "ownerquestion",
    metadata,
    Column("id", Integer, primary_key=True),
    _item_fk(),
    _text("question"),
    _text("asked_by"),
    _at("asked_at"),
    _text("dm_channel", null=True),
    _text("dm_ts", null=True),
    _text("answer", null=True),
    _at("answered_at", null=True),
    _int("reminders_sent"),
    _at("next_reminder_at", null=True),
    Index("ix_ownerquestion_dm_ts", "dm_ts"),
    Index("ix_ownerquestion_item_id", "item_id"),
)
Table(
    "slacktask",
    metadata,
    Column("id", Integer, primary_key=True),
    _text("kind"),
    _item_fk(),
    _int("ref_id", null=True),
    _text("text"),
    _text("blocks_json", null=True),
    Column("done", Boolean, nullable=False),
    _int("attempts"),
    _at("not_before", null=True),
    _at("claimed_until", null=True),
    _text("last_error", null=True),
    _at("created_at"),
    Index("ix_slacktask_item_id", "item_id"),
    Index("ix_slacktask_done", "done"),
)
