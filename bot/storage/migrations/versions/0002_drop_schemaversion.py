"""Drop `schemaversion`: Alembic's `alembic_version` now records where a database stands.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("schemaversion")


def downgrade() -> None:
    # Back to what the home-made migrator expects, so code from before Alembic starts cleanly.
    table = op.create_table(
        "schemaversion",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1}])
