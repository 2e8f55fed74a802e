"""TaskKind: which kinds collapse, which talk to Slack, and the one way to queue them."""

from __future__ import annotations

from sqlalchemy import update

from bot.relay.kinds import PLATFORM_KINDS, SLACK_KINDS, TaskKind
from bot.relay.queue import enqueue
from bot.storage.db import Database
from bot.storage.models import SlackTask
from tests.rows import a_draft, an_item, tasks


def test_only_rerenders_collapse() -> None:
    assert {k for k in TaskKind if k.collapses} == {
        TaskKind.UPDATE_ITEM,
        TaskKind.UPDATE_DRAFT,
        TaskKind.UPDATE_OWNER_DM,
        TaskKind.RENDER_GROUP,
    }


def test_platform_calls_are_the_only_kinds_off_the_slack_worker() -> None:
    assert {TaskKind.FETCH_PERMALINK, TaskKind.HOLD_FOR_REVIEW} == PLATFORM_KINDS
    assert set(TaskKind) == SLACK_KINDS | PLATFORM_KINDS


def test_pending_rerenders_of_one_message_collapse_and_posts_never_do(db: Database) -> None:
    item = an_item(db)
    draft, other = a_draft(db, item_id=item), a_draft(db, item_id=item)
    with db.session() as session:
        for _ in range(3):
            enqueue(session, TaskKind.UPDATE_ITEM, item_id=item)
            enqueue(session, TaskKind.UPDATE_DRAFT, item_id=item, ref_id=draft)
            enqueue(session, TaskKind.NOTE, item_id=item, text="hello")
        enqueue(session, TaskKind.UPDATE_DRAFT, item_id=item, ref_id=other)
    assert tasks(db, item) == [
        ("update_item", None),
        ("update_draft", draft),
        ("note", None),
        ("note", None),
        ("note", None),
        ("update_draft", other),
    ]


def test_a_rerender_already_claimed_does_not_absorb_a_new_one(db: Database) -> None:
    """The claimed one may have rendered before the latest change: another must follow."""
    item = an_item(db)
    with db.session() as session:
        enqueue(session, TaskKind.UPDATE_ITEM, item_id=item)
    with db.session() as session:
        session.execute(update(SlackTask).values(claimed_until=SlackTask.created_at))
    with db.session() as session:
        enqueue(session, TaskKind.UPDATE_ITEM, item_id=item)
    assert tasks(db, item) == [("update_item", None), ("update_item", None)]
