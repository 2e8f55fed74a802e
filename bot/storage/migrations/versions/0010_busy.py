"""Busy days: triage on the item, grouped messages, a per-channel pace for Slack, the open-items index.

Revision ID: 0010_busy
Revises: 0009_conversations
Create Date: 2026-11-26 14:19:54.393896
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_busy"
down_revision: str | None = "0009_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "itemgroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("hour", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "purpose", "hour"),
    )
    op.create_table(
        "inboxentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inboxentry_done", "inboxentry", ["done"], unique=False)
    op.create_table(
        "slackpace",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    # Plain ALTERs: a batch copy of `item` would trip the foreign keys that point at it on SQLite.
    op.add_column("item", sa.Column("kind", sa.String(), server_default="comment", nullable=False))
    op.add_column("item", sa.Column("sentiment", sa.Float(), server_default="0", nullable=False))
    op.add_column("item", sa.Column("kind_reasons", sa.String(), server_default="", nullable=False))
    op.add_column("item", sa.Column("spam", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("item", sa.Column("spam_reasons", sa.String(), server_default="", nullable=False))
    op.add_column("item", sa.Column("fingerprint", sa.String(), nullable=True))
    op.add_column("item", sa.Column("group_id", sa.Integer(), nullable=True))
    op.create_index("ix_item_fingerprint", "item", ["fingerprint"], unique=False)
    op.create_index("ix_item_group_id", "item", ["group_id"], unique=False)
    op.create_index(
        "ix_item_open",
        "item",
        ["received_at", "id"],
        unique=False,
        sqlite_where=sa.text(
            "state IN ('new', 'claimed', 'draft', 'scheduled', 'waiting_owner', 'failed') AND NOT removed"
        ),
        postgresql_where=sa.text(
            "state IN ('new', 'claimed', 'draft', 'scheduled', 'waiting_owner', 'failed') AND NOT removed"
        ),
    )

    op.add_column("slacktask", sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
    op.add_column("slacktask", sa.Column("channel", sa.String(), nullable=True))
    op.create_index(
        "ix_slacktask_due",
        "slacktask",
        ["priority", "id"],
        unique=False,
        sqlite_where=sa.text("NOT done"),
        postgresql_where=sa.text("NOT done"),
    )


def downgrade() -> None:
    with op.batch_alter_table("slacktask", schema=None) as batch_op:
        batch_op.drop_index("ix_slacktask_due")
        batch_op.drop_column("channel")
        batch_op.drop_column("priority")

    op.drop_index("ix_item_open", table_name="item")
    op.drop_index("ix_item_group_id", table_name="item")
    op.drop_index("ix_item_fingerprint", table_name="item")
    with op.batch_alter_table("item", schema=None) as batch_op:
        for column in (
            "group_id",
            "fingerprint",
            "spam_reasons",
            "spam",
            "kind_reasons",
            "sentiment",
            "kind",
        ):
            batch_op.drop_column(column)

    op.drop_table("slackpace")
    op.drop_index("ix_inboxentry_done", table_name="inboxentry")
    op.drop_table("inboxentry")
    op.drop_table("itemgroup")
