"""Items belong to a brand: `item.brand_key`; every existing item belongs to `default`.

Revision ID: 0005_brands
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_brands"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default fills existing rows: a single-brand database becomes brand `default`.
    with op.batch_alter_table("item") as batch:
        batch.add_column(
            sa.Column("brand_key", sqlmodel.AutoString(), nullable=False, server_default="default")
        )
        batch.create_index("ix_item_brand_key", ["brand_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.drop_index("ix_item_brand_key")
        batch.drop_column("brand_key")
