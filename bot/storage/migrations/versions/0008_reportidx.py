"""Covering indexes for reports: the period's items and their first reply read from indexes alone.

`ix_item_received_report` starts with `received_at`, so it replaces `ix_item_received_at` for
every range on it. With 100,000 items a 30-day report read the wide item rows twice over;
from the indexes it costs a fraction (issue 12, `python -m bench answer`).

Revision ID: 0008_reportidx
Revises: 0007_quick
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0008_reportidx"
down_revision: str | None = "0007_quick"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_item_received_report", "item", ["received_at", "account_id", "platform", "state", "removed"]
    )
    op.drop_index("ix_item_received_at", table_name="item")
    op.create_index("ix_draft_first_reply", "draft", ["item_id", "status", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_draft_first_reply", table_name="draft")
    op.create_index("ix_item_received_at", "item", ["received_at"])
    op.drop_index("ix_item_received_report", table_name="item")
