"""The schema as the home-made migrator left it (its step 1), written out so history never moves.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _at() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("slack_channel", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id"),
    )
    op.create_index("ix_account_platform", "account", ["platform"])
    op.create_table(
        "pollcursor",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("since_id", sa.String(), nullable=True),
        sa.Column("updated_at", _at(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "schemaversion",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "userprofile",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("tz", sa.String(), nullable=False),
        sa.Column("fetched_at", _at(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=False),
        sa.Column("author_name", sa.String(), nullable=False),
        sa.Column("author_handle", sa.String(), nullable=False),
        sa.Column("author_url", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("parent_external_id", sa.String(), nullable=True),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("root_item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _at(), nullable=False),
        sa.Column("received_at", _at(), nullable=False),
        sa.Column("edited_at", _at(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("owner_hint", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["root_item_id"], ["item.id"]),
    )
    op.create_index("ix_item_account_id", "item", ["account_id"])
    op.create_index("ix_item_state", "item", ["state"])
    op.create_index("ix_item_conversation_id", "item", ["conversation_id"])
    op.create_table(
        "auditevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("at", _at(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
    )
    op.create_index("ix_auditevent_item_id", "auditevent", ["item_id"])
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", _at(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", _at(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("send_at", _at(), nullable=True),
        sa.Column("scheduled_by", sa.String(), nullable=True),
        sa.Column("slack_ts", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _at(), nullable=True),
        sa.Column("claimed_until", _at(), nullable=True),
        sa.Column("published_id", sa.String(), nullable=True),
        sa.Column("published_url", sa.String(), nullable=True),
        sa.Column("published_at", _at(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
    )
    op.create_index("ix_draft_status", "draft", ["status"])
    op.create_index("ix_draft_item_id", "draft", ["item_id"])
    op.create_index("ix_draft_send_at", "draft", ["send_at"])
    op.create_table(
        "itemmessage",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        sa.Column("posted_at", _at(), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
    )
    op.create_table(
        "ownerquestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("asked_by", sa.String(), nullable=False),
        sa.Column("asked_at", _at(), nullable=False),
        sa.Column("dm_channel", sa.String(), nullable=True),
        sa.Column("dm_ts", sa.String(), nullable=True),
        sa.Column("answer", sa.String(), nullable=True),
        sa.Column("answered_at", _at(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("next_reminder_at", _at(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
    )
    op.create_index("ix_ownerquestion_dm_ts", "ownerquestion", ["dm_ts"])
    op.create_index("ix_ownerquestion_item_id", "ownerquestion", ["item_id"])
    op.create_table(
        "slacktask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("blocks_json", sa.String(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", _at(), nullable=True),
        sa.Column("claimed_until", _at(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", _at(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
    )
    op.create_index("ix_slacktask_item_id", "slacktask", ["item_id"])
    op.create_index("ix_slacktask_done", "slacktask", ["done"])


def downgrade() -> None:
    for table in (
        "slacktask",
        "ownerquestion",
        "itemmessage",
        "draft",
        "auditevent",
        "item",
        "userprofile",
        "schemaversion",
        "pollcursor",
        "account",
    ):
        op.drop_table(table)
