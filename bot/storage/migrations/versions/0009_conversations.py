"""Conversations: one per customer and account for Messenger and Instagram DMs, with the reply window.

Revision ID: 0009_conversations
Revises: 0008_reportidx
Create Date: 2026-11-26 14:34:35.298772
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_conversations"
down_revision: str | None = "0008_reportidx"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("account_external_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("root_item_id", sa.Integer(), nullable=True),
        sa.Column("last_customer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_for", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["root_item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "account_external_id", "customer_id"),
    )


def downgrade() -> None:
    op.drop_table("conversation")
