"""Index `item.received_at`: reports read the items received in a period.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_item_received_at", "item", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_item_received_at", table_name="item")
