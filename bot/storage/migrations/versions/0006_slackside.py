"""Parked relay tasks (`slacktask.failed_at`), one draft per Slack request (`draft.source`), mention names.

Revision ID: 0006_slackside
Revises: 0005_brands
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_slackside"
down_revision: str | None = "0005_brands"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(), nullable=True))
        batch_op.create_unique_constraint("uq_draft_source", ["source"])

    with op.batch_alter_table("slacktask", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_slacktask_failed_at"), ["failed_at"], unique=False)

    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.drop_column("name")

    with op.batch_alter_table("slacktask", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slacktask_failed_at"))
        batch_op.drop_column("failed_at")

    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_constraint("uq_draft_source", type_="unique")
        batch_op.drop_column("source")
