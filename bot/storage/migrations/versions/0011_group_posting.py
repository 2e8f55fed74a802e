"""A group's first post is claimed, so two processes never post one group twice.

Revision ID: 0011_group_posting
Revises: 0010_busy
Create Date: 2026-11-26 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_group_posting"
down_revision: str | None = "0010_busy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("itemgroup") as batch_op:
        batch_op.add_column(sa.Column("posting_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("itemgroup") as batch_op:
        batch_op.drop_column("posting_until")
