"""Every change of an item's state or a draft's status goes through here.

The tables below are the whole of what may happen. A move is a conditional UPDATE
(`WHERE state IN (from…)`) checked by its row count, so of two racing writers one wins
and the other learns it lost; the re-render of the message that shows the row and the
audit row are written in the same transaction, by the caller's session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col

from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.storage.models import AuditEvent, Draft, DraftStatus, Item, ItemState

S, D = ItemState, DraftStatus

_OPEN = frozenset({S.NEW, S.CLAIMED, S.DRAFT, S.SCHEDULED, S.WAITING_OWNER, S.FAILED})

# Every open state may go to every other open state (a draft can be written while the owner
# is asked, a claim follows a failure, a rejection goes back to new or claimed) and to a
# closed one; a closed item stays closed.
ITEM_MOVES: Mapping[ItemState, frozenset[ItemState]] = {
    **{state: (_OPEN | {S.REPLIED, S.IGNORED, S.SPAM}) - {state} for state in _OPEN},
    S.REPLIED: frozenset(),
    S.IGNORED: frozenset(),
    S.SPAM: frozenset(),
}

DRAFT_MOVES: Mapping[DraftStatus, frozenset[DraftStatus]] = {
    D.PENDING: frozenset({D.APPROVED, D.REJECTED, D.SUPERSEDED, D.CANCELLED}),
    D.APPROVED: frozenset({D.PUBLISHING, D.PENDING, D.SUPERSEDED, D.CANCELLED}),
    # The pre-send check: a removed comment cancels; a newer customer message holds for the drafter.
    D.PUBLISHING: frozenset({D.PUBLISHED, D.APPROVED, D.FAILED, D.UNKNOWN, D.CANCELLED, D.HELD}),
    D.HELD: frozenset({D.APPROVED, D.SUPERSEDED, D.CANCELLED}),
    D.FAILED: frozenset({D.APPROVED, D.SUPERSEDED}),
    # Only a person leaves UNKNOWN: Retry (approved again) or Mark as sent (published).
    D.UNKNOWN: frozenset({D.APPROVED, D.PUBLISHED}),
    D.REJECTED: frozenset({D.SUPERSEDED}),
    D.PUBLISHED: frozenset(),
    D.SUPERSEDED: frozenset(),
    D.CANCELLED: frozenset(),
}


class IllegalTransition(Exception):
    """Code asked for a move the table does not allow: a bug, not a race."""


def item_may(frm: ItemState, to: ItemState) -> bool:
    return frm == to or to in ITEM_MOVES[frm]


def draft_may(frm: DraftStatus, to: DraftStatus) -> bool:
    return frm == to or to in DRAFT_MOVES[frm]


def item_sources(to: ItemState) -> frozenset[ItemState]:
    """Every state an item may come to `to` from (itself included: setting it again is no move)."""
    return frozenset(s for s in ItemState if item_may(s, to))


@dataclass(frozen=True)
class Audit:
    actor: str
    action: str
    detail: str = ""


def _audit(session: Session, item_id: int, audit: Audit | None) -> None:
    if audit is not None:
        session.add(AuditEvent(item_id=item_id, actor=audit.actor, action=audit.action, detail=audit.detail))


def move_item(
    session: Session,
    *,
    item_id: int,
    to: ItemState,
    only_from: Collection[ItemState] | None = None,
    values: Mapping[str, Any] | None = None,
    audit: Audit | None = None,
) -> bool:
    """Move the item to `to` if it is in one of `only_from` (default: any state allowed to).

    On success the item's message is queued for a re-render and `audit` recorded; False
    when the item was not in a state it may move from (another writer got there first).
    """
    sources = item_sources(to) if only_from is None else frozenset(only_from)
    for frm in sources:
        if not item_may(frm, to):
            raise IllegalTransition(f"item {frm} -> {to}")
    won = session.execute(
        update(Item)
        .where(col(Item.id) == item_id, col(Item.state).in_(sorted(sources)))
        .values(state=to, **(values or {}))
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    enqueue(session, TaskKind.UPDATE_ITEM, item_id=item_id)
    _audit(session, item_id, audit)
    return True


def move_draft(
    session: Session,
    *,
    draft_id: int,
    item_id: int,
    to: DraftStatus,
    only_from: Collection[DraftStatus],
    where: Collection[ColumnElement[bool]] = (),
    values: Mapping[str, Any] | None = None,
    audit: Audit | None = None,
    rerender: bool = True,
) -> bool:
    """Move the draft to `to` if it is in one of `only_from` (and `where` holds).

    Setting a status again (`only_from` holding `to`) is allowed: it changes the other values.

    On success the draft's message is queued for a re-render and `audit` recorded; False
    when another writer moved it first.
    """
    for frm in only_from:
        if not draft_may(frm, to):
            raise IllegalTransition(f"draft {frm} -> {to}")
    won = session.execute(
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status).in_(sorted(only_from)), *where)
        .values(status=to, **(values or {}))
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if rerender:
        enqueue(session, TaskKind.UPDATE_DRAFT, item_id=item_id, ref_id=draft_id)
    _audit(session, item_id, audit)
    return True


def end_claim(
    session: Session,
    *,
    draft: Draft,
    to: DraftStatus,
    where: Collection[ColumnElement[bool]] = (),
    values: Mapping[str, Any] | None = None,
    audit: Audit | None = None,
    rerender: bool = True,
) -> bool:
    """A send's claim ends (published, failed, unknown, cancelled, held, given back): the draft
    leaves PUBLISHING and its lease is cleared in the same UPDATE (see `move_draft`)."""
    return move_draft(
        session,
        draft_id=draft.id or 0,
        item_id=draft.item_id,
        to=to,
        only_from=(DraftStatus.PUBLISHING,),
        where=where,
        values={"claimed_until": None, **(values or {})},
        audit=audit,
        rerender=rerender,
    )


def claim_drafts(
    session: Session,
    *,
    draft_ids: Collection[int],
    where: Collection[ColumnElement[bool]] = (),
    values: Mapping[str, Any] | None = None,
) -> list[int]:
    """Move every draft of ``draft_ids`` that is still APPROVED (and ``where`` holds) to PUBLISHING.

    One conditional UPDATE for the lot; returns the ids this caller won. Like the single
    claim, it queues no re-render: published or failed follows within seconds and re-renders.
    """
    if not draft_may(D.APPROVED, D.PUBLISHING):
        raise IllegalTransition(f"draft {D.APPROVED} -> {D.PUBLISHING}")
    won = session.execute(
        update(Draft)
        .where(col(Draft.id).in_(sorted(draft_ids)), col(Draft.status) == D.APPROVED, *where)
        .values(status=D.PUBLISHING, **(values or {}))
        .returning(col(Draft.id))
    )
    return [row[0] for row in won]
