"""The inbox index: open, not removed, not likely spam, covering the filters; unanswered owner questions.

`ix_item_open` was never used by SQLite: the inbox query's `removed IS 0` and bound state
parameters did not repeat the index's terms, and it left likely spam out after reading each row.
The new one covers the count of every filter but "waiting", which starts from its few questions.

Revision ID: 0012_inboxidx
Revises: 0011_group_posting
Create Date: 2026-11-26 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_inboxidx"
down_revision: str | None = "0011_group_posting"
branch_labels = None
depends_on = None

_OPEN = "state IN ('new', 'claimed', 'draft', 'scheduled', 'waiting_owner', 'failed') AND NOT removed"
_INBOX = "state NOT IN ('replied', 'ignored', 'spam') AND NOT removed AND NOT spam"


def upgrade() -> None:
    op.drop_index("ix_item_open", table_name="item")
    op.create_index(
        "ix_item_inbox",
        "item",
        ["received_at", "id", "brand_key", "platform", "claimed_by"],
        unique=False,
        sqlite_where=sa.text(_INBOX),
        postgresql_where=sa.text(_INBOX),
    )
    op.create_index(
        "ix_ownerquestion_unanswered",
        "ownerquestion",
        ["item_id"],
        unique=False,
        sqlite_where=sa.text("answered_at IS NULL"),
        postgresql_where=sa.text("answered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_ownerquestion_unanswered", table_name="ownerquestion")
    op.drop_index("ix_item_inbox", table_name="item")
    op.create_index(
        "ix_item_open",
        "item",
        ["received_at", "id"],
        unique=False,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
