"""The one way to queue work for the relay: a row written in the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.relay.kinds import TaskKind
from bot.storage.models import SlackTask


def enqueue(
    session: Session,
    kind: TaskKind,
    *,
    item_id: int,
    ref_id: int | None = None,
    text: str = "",
    blocks: list[dict[str, Any]] | None = None,
    not_before: datetime | None = None,
) -> None:
    """Queue `kind` for the item; a re-render already waiting for the same message absorbs this one."""
    if kind.collapses:
        pending = session.exec(
            select(SlackTask.id).where(
                SlackTask.item_id == item_id,
                SlackTask.kind == kind.value,
                SlackTask.ref_id == ref_id,
                col(SlackTask.done).is_(False),
                col(SlackTask.claimed_until).is_(None),
            )
        ).first()
        if pending is not None:
            return
    session.add(
        SlackTask(
            kind=kind.value,
            item_id=item_id,
            ref_id=ref_id,
            text=text,
            blocks_json=json.dumps(blocks) if blocks else None,
            not_before=not_before,
        )
    )
