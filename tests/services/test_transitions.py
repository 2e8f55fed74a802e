"""The transition tables, and how a move is written: conditional, with its re-render and audit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.services.transitions import (
    DRAFT_MOVES,
    ITEM_MOVES,
    Audit,
    IllegalTransition,
    draft_may,
    item_may,
    move_draft,
    move_item,
)
from bot.storage.db import Database
from bot.storage.models import CLOSED_STATES, DraftStatus, ItemState
from tests.rows import a_draft, an_item, audit_actions, draft_status, item_state, tasks

D, S = DraftStatus, ItemState


def test_every_state_and_status_has_a_row() -> None:
    assert set(ITEM_MOVES) == set(ItemState)
    assert set(DRAFT_MOVES) == set(DraftStatus)


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (D.PENDING, D.APPROVED),
        (D.PENDING, D.REJECTED),
        (D.PENDING, D.SUPERSEDED),
        (D.APPROVED, D.PUBLISHING),
        (D.APPROVED, D.PENDING),  # a schedule cancelled: the approval was for that time
        (D.PUBLISHING, D.PUBLISHED),
        (D.PUBLISHING, D.APPROVED),  # a transient failure, retried later
        (D.PUBLISHING, D.FAILED),
        (D.FAILED, D.APPROVED),  # Retry
        (D.PUBLISHING, D.UNKNOWN),  # the answer was lost and the reply is not found
        (D.UNKNOWN, D.APPROVED),  # a person pressed Retry
        (D.UNKNOWN, D.PUBLISHED),  # a person pressed Mark as sent
    ],
)
def test_draft_moves_the_flow_needs(frm: DraftStatus, to: DraftStatus) -> None:
    assert draft_may(frm, to)


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (D.PUBLISHED, D.APPROVED),
        (D.PUBLISHED, D.FAILED),
        (D.SUPERSEDED, D.PENDING),
        (D.CANCELLED, D.APPROVED),
        (D.REJECTED, D.APPROVED),
        (D.PENDING, D.PUBLISHING),  # nothing is sent without an approval
        (D.PENDING, D.PUBLISHED),
        (D.FAILED, D.PUBLISHING),  # a failure is retried only through approved
        (D.UNKNOWN, D.PUBLISHING),  # never sent again without a person
        (D.UNKNOWN, D.SUPERSEDED),  # nor forgotten by a newer draft while it may be out there
        (D.UNKNOWN, D.FAILED),
    ],
)
def test_draft_moves_refused(frm: DraftStatus, to: DraftStatus) -> None:
    assert not draft_may(frm, to)


def test_a_closed_item_stays_closed() -> None:
    for closed in CLOSED_STATES:
        assert [s for s in ItemState if s != closed and item_may(closed, s)] == []


def test_an_open_item_can_be_closed_and_replied() -> None:
    for state in set(ItemState) - CLOSED_STATES:
        assert item_may(state, S.IGNORED) and item_may(state, S.SPAM) and item_may(state, S.REPLIED)


def test_a_move_writes_its_rerender_and_audit_in_the_same_transaction(db: Database) -> None:
    item = an_item(db)
    draft = a_draft(db, item_id=item)
    with db.session() as session:
        assert move_draft(
            session,
            draft_id=draft,
            item_id=item,
            to=D.APPROVED,
            only_from=(D.PENDING,),
            values={"decided_by": "U0BOB"},
            audit=Audit(actor="U0BOB", action="approved"),
        )
        assert move_item(session, item_id=item, to=S.DRAFT)
    assert draft_status(db, draft) is D.APPROVED and item_state(db, item) is S.DRAFT
    assert tasks(db, item) == [("update_draft", draft), ("update_item", None)]
    assert audit_actions(db, item) == ["approved"]


def test_a_failed_transaction_leaves_no_move_task_or_audit(db: Database) -> None:
    item = an_item(db)
    draft = a_draft(db, item_id=item)
    with pytest.raises(RuntimeError), db.session() as session:
        move_draft(
            session,
            draft_id=draft,
            item_id=item,
            to=D.REJECTED,
            only_from=(D.PENDING,),
            audit=Audit(actor="U0BOB", action="rejected"),
        )
        raise RuntimeError("the caller failed after the move")
    assert draft_status(db, draft) is D.PENDING
    assert tasks(db, item) == [] and audit_actions(db, item) == []


def test_of_two_writers_who_both_saw_pending_only_one_moves(db: Database) -> None:
    item = an_item(db)
    draft = a_draft(db, item_id=item)
    with db.session() as first, db.session() as second:
        # Both read the draft as pending before either writes (on SQLite, sessions of a thread nest).
        assert draft_status(db, draft) is D.PENDING
        approve = {
            "to": D.APPROVED,
            "only_from": (D.PENDING,),
            "audit": Audit(actor="U0BOB", action="approved"),
        }
        won = move_draft(first, draft_id=draft, item_id=item, **approve)  # type: ignore[arg-type]
        first.commit()
        lost = move_draft(
            second,
            draft_id=draft,
            item_id=item,
            to=D.REJECTED,
            only_from=(D.PENDING,),
            audit=Audit(actor="U0CAROL", action="rejected"),
        )
    assert (won, lost) == (True, False)
    assert draft_status(db, draft) is D.APPROVED
    assert tasks(db, item) == [("update_draft", draft)]
    assert audit_actions(db, item) == ["approved"]


def test_a_move_the_table_refuses_is_a_bug(db: Database) -> None:
    item = an_item(db, state=S.SPAM)
    draft = a_draft(db, item_id=item, status=D.PUBLISHED)
    with db.session() as session:
        with pytest.raises(IllegalTransition):
            move_draft(session, draft_id=draft, item_id=item, to=D.APPROVED, only_from=(D.PUBLISHED,))
        with pytest.raises(IllegalTransition):
            move_item(session, item_id=item, to=S.NEW, only_from=(S.SPAM,))
        # Without `only_from`, a closed item is simply not among the states it may leave.
        assert not move_item(session, item_id=item, to=S.CLAIMED)
    assert item_state(db, item) is S.SPAM and tasks(db, item) == []


def test_states_are_enums_in_the_model_and_plain_strings_in_the_table(db: Database) -> None:
    item = an_item(db, state=S.WAITING_OWNER)
    assert item_state(db, item) is S.WAITING_OWNER
    with db.engine.connect() as connection:
        stored = connection.execute(text("SELECT state FROM item WHERE id = :id"), {"id": item}).scalar()
    assert stored == "waiting_owner" and type(stored) is str
