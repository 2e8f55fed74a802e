"""The first-response clock on items (due, nudge, sent-once marks, next re-render) and saved replies; when a held draft was confirmed; weekly reports claimed once.

Revision ID: 0007_quick
Revises: 0006_slackside
Create Date: 2026-11-26 14:19:41.577186
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_quick"
down_revision: str | None = "0006_slackside"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snippet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand_key", "name"),
    )
    op.create_table(
        "weeklyreport",
        sa.Column("brand_key", sa.String(), nullable=False),
        sa.Column("week", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("brand_key", "week"),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("nudge_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("nudged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("clock_render_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_item_clock_render_at"), ["clock_render_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_nudge_at"), ["nudge_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_nudge_at"))
        batch_op.drop_index(batch_op.f("ix_item_due_at"))
        batch_op.drop_index(batch_op.f("ix_item_clock_render_at"))
        batch_op.drop_column("clock_render_at")
        batch_op.drop_column("overdue_at")
        batch_op.drop_column("nudged_at")
        batch_op.drop_column("nudge_at")
        batch_op.drop_column("due_at")

    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
    op.drop_table("snippet")
    op.drop_table("weeklyreport")
