"""Add `healthstate`: the last state of each health check, shared by every process (bot/health.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "healthstate",
        sa.Column("check", sa.String(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiry_warned", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("check"),
    )


def downgrade() -> None:
    op.drop_table("healthstate")
