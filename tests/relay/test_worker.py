"""The worker with plain runners: order per item, waiting, pausing, and which kinds it works."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from bot.relay.errors import Cause, Classified, NotReady
from bot.relay.kinds import Priority, TaskKind
from bot.relay.queue import enqueue
from bot.relay.worker import Relay, Runner
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, SlackTask
from tests.clock import FakeClock
from tests.rows import a_draft, an_item, tasks


def _worker(db: Database, clock: FakeClock, **runners: Runner) -> Relay:
    return Relay(db=db, clock=clock, runners={TaskKind(k): r for k, r in runners.items()})


def _recorder(ran: list[tuple[str, int]], *, fail: Callable[[SlackTask], None] | None = None) -> Runner:
    def run(task: SlackTask) -> None:
        if fail is not None:
            fail(task)
        ran.append((task.kind, task.item_id))

    return run


def _queue(db: Database, kind: TaskKind, item_id: int) -> None:
    with db.session() as session:
        enqueue(session, kind, item_id=item_id, text="x")


def test_a_task_waiting_for_its_message_holds_its_item_only(db: Database) -> None:
    clock = FakeClock()
    first, second = an_item(db), an_item(db)
    ran: list[tuple[str, int]] = []

    def not_posted(task: SlackTask) -> None:
        if task.item_id == first:
            raise NotReady("no message yet")

    relay = _worker(db, clock, post_item=_recorder(ran, fail=not_posted), note=_recorder(ran))
    _queue(db, TaskKind.POST_ITEM, first)
    _queue(db, TaskKind.NOTE, first)
    _queue(db, TaskKind.POST_ITEM, second)
    _queue(db, TaskKind.NOTE, second)
    assert relay.drain() == 2
    assert ran == [("post_item", second), ("note", second)]
    assert tasks(db, first) == [("post_item", None), ("note", None)]


def test_a_429_pauses_every_task_until_retry_after(db: Database) -> None:
    clock = FakeClock()
    item = an_item(db)
    ran: list[tuple[str, int]] = []
    limited = [True]

    def rate_limited(task: SlackTask) -> None:
        if limited.pop() if limited else False:
            raise SlackApiError(
                "ratelimited",
                SlackResponse(
                    client=None,
                    http_verb="POST",
                    api_url="",
                    req_args={},
                    data={"ok": False, "error": "ratelimited"},
                    headers={"Retry-After": "30"},
                    status_code=429,
                ),
            )

    relay = _worker(db, clock, note=_recorder(ran, fail=rate_limited))
    _queue(db, TaskKind.NOTE, item)
    _queue(db, TaskKind.NOTE, an_item(db))
    assert relay.drain() == 0
    clock.advance(seconds=29)
    assert relay.drain() == 0 and ran == []
    clock.advance(seconds=2)
    assert relay.drain() == 2


def test_a_worker_works_only_its_own_kinds_and_is_not_held_by_the_others(db: Database) -> None:
    clock = FakeClock()
    item = an_item(db)
    slack_ran: list[tuple[str, int]] = []
    looked_up: list[tuple[str, int]] = []
    slack = _worker(db, clock, post_item=_recorder(slack_ran))
    permalinks = _worker(db, clock, fetch_permalink=_recorder(looked_up))
    _queue(db, TaskKind.FETCH_PERMALINK, item)  # queued first, yet does not hold the post
    _queue(db, TaskKind.POST_ITEM, item)
    assert slack.drain() == 1 and slack_ran == [("post_item", item)]
    assert looked_up == []
    assert permalinks.drain() == 1 and looked_up == [("fetch_permalink", item)]


def _parked(db: Database) -> list[tuple[str, int, str | None]]:
    with db.session() as session:
        rows = session.exec(select(SlackTask).where(col(SlackTask.failed_at).is_not(None))).all()
        return [(r.kind, r.item_id, r.last_error) for r in sorted(rows, key=lambda r: r.id or 0)]


def test_a_bug_in_a_runner_parks_the_task_with_the_error_and_holds_only_its_item(db: Database) -> None:
    clock = FakeClock()
    broken_item, other = an_item(db), an_item(db)
    ran: list[tuple[str, int]] = []
    told: list[tuple[int, str, Cause | None]] = []

    class Parking:
        def parked(self, task: SlackTask, outcome: Classified) -> None:
            told.append((task.item_id, outcome.error, outcome.cause))

        def delivered(self) -> None:
            pass

    def broken(task: SlackTask) -> None:
        if task.item_id == broken_item:
            raise KeyError("blocks")
        ran.append((task.kind, task.item_id))

    relay = Relay(
        db=db,
        clock=clock,
        runners={TaskKind.POST_ITEM: broken, TaskKind.NOTE: _recorder(ran)},
        parking=Parking(),
    )
    _queue(db, TaskKind.POST_ITEM, broken_item)
    _queue(db, TaskKind.NOTE, broken_item)
    _queue(db, TaskKind.POST_ITEM, other)
    _queue(db, TaskKind.NOTE, other)
    assert relay.drain() == 2
    assert ran == [("post_item", other), ("note", other)]
    relay.drain()  # the next round finds the note behind a parked task
    # Not left claimed: parked with the error, and the item's later task parked behind it.
    parked = _parked(db)
    assert [(kind, item) for kind, item, _ in parked] == [("post_item", broken_item), ("note", broken_item)]
    assert parked[0][2] == "internal error (KeyError)"
    assert parked[1][2] is not None and "internal error (KeyError)" in parked[1][2]
    assert told == [(broken_item, "internal error (KeyError)", Cause.BUG)]  # told once, for the first
    clock.advance(seconds=3600)
    assert relay.drain() == 0 and ran == [("post_item", other), ("note", other)]


def test_a_slack_refusal_is_parked_not_retried(db: Database) -> None:
    clock = FakeClock()
    item = an_item(db)
    calls: list[int] = []

    def refused(task: SlackTask) -> None:
        calls.append(task.item_id)
        raise SlackApiError(
            "msg_too_long",
            SlackResponse(
                client=None,
                http_verb="POST",
                api_url="",
                req_args={},
                data={"ok": False, "error": "msg_too_long"},
                headers={},
                status_code=200,
            ),
        )

    relay = _worker(db, clock, post_item=refused)
    _queue(db, TaskKind.POST_ITEM, item)
    relay.drain()
    clock.advance(seconds=3600)
    relay.drain()
    assert calls == [item]
    assert _parked(db) == [("post_item", item, "msg_too_long")]


def test_a_re_render_a_person_asked_for_does_not_wait_at_a_background_priority(db: Database) -> None:
    """The spam digest re-renders after the groups; a Not spam click's re-render must not."""
    item = an_item(db)
    with db.session() as session:
        enqueue(session, TaskKind.RENDER_GROUP, item_id=item, ref_id=7, priority=Priority.SPAM_DIGEST)
    with db.session() as session:
        enqueue(session, TaskKind.RENDER_GROUP, item_id=item, ref_id=7, priority=Priority.PEOPLE)
    with db.session() as session:
        waiting = session.exec(select(SlackTask.priority).where(col(SlackTask.done).is_(False))).all()
    assert waiting == [Priority.PEOPLE]


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="SQLite: one process's sessions take turns and writers are serialised, so no claim can interleave",
)
def test_a_re_render_absorbed_by_a_waiting_task_is_not_lost_to_a_concurrent_claim(db: Database) -> None:
    """A change committed with a collapsed re-render is what the message ends up showing.

    The writer finds a waiting re-render and adds nothing; if a worker claimed that task and read
    the draft before the writer committed, the message would keep the old status for good.
    """
    clock = FakeClock()
    item = an_item(db)
    draft = a_draft(db, item_id=item)
    seen: list[DraftStatus] = []

    def render(task: SlackTask) -> None:
        with db.session() as session:
            row = session.get(Draft, task.ref_id)
            assert row is not None
            seen.append(row.status)

    relay = _worker(db, clock, update_draft=render)
    with db.session() as session:
        enqueue(session, TaskKind.UPDATE_DRAFT, item_id=item, ref_id=draft)

    writer = db.engine.connect()
    session = Session(bind=writer)
    session.execute(update(Draft).where(col(Draft.id) == draft).values(status=DraftStatus.APPROVED))
    enqueue(session, TaskKind.UPDATE_DRAFT, item_id=item, ref_id=draft)  # absorbed by the waiting one
    claimer = threading.Thread(target=relay.drain)
    claimer.start()
    try:
        # Either the worker is done (it claimed past the writer) or it waits on the writer's lock.
        deadline = time.monotonic() + 10
        while claimer.is_alive() and not _waiting_on_a_lock(db) and time.monotonic() < deadline:
            claimer.join(timeout=0.05)
    finally:
        session.commit()
        session.close()
        writer.close()
    claimer.join(timeout=10)
    relay.drain()
    assert seen and seen[-1] is DraftStatus.APPROVED


def _waiting_on_a_lock(db: Database) -> bool:
    with db.engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar_one()
    return bool(waiting)


def test_new_items_wait_behind_an_earlier_post_another_process_holds_unless_more_urgent(db: Database) -> None:
    clock = FakeClock()
    held, later, question = an_item(db), an_item(db), an_item(db)
    with db.session() as session:
        enqueue(session, TaskKind.POST_ITEM, item_id=held, priority=Priority.ROUTINE)
        enqueue(session, TaskKind.POST_ITEM, item_id=later, priority=Priority.ROUTINE)
        enqueue(session, TaskKind.POST_ITEM, item_id=question, priority=Priority.QUESTION)
        # Another process is posting the first item right now (its lease runs for a minute).
        session.execute(
            update(SlackTask)
            .where(col(SlackTask.item_id) == held)
            .values(claimed_until=clock.now() + timedelta(minutes=1))
        )
    ran: list[tuple[str, int]] = []
    relay = _worker(db, clock, post_item=_recorder(ran))
    assert relay.drain() == 1
    assert ran == [("post_item", question)]  # a question goes before held praise; later praise waits
    with db.session() as session:  # that process finished its post
        session.execute(
            update(SlackTask).where(col(SlackTask.item_id) == held).values(done=True, claimed_until=None)
        )
    assert relay.drain() == 1
    assert ran[-1] == ("post_item", later)


def test_a_preparer_sees_the_claimed_batch_then_forgets_and_a_failing_one_stops_nothing(db: Database) -> None:
    clock = FakeClock()
    items = [an_item(db) for _ in range(3)]
    for item in items:
        _queue(db, TaskKind.POST_ITEM, item)
        _queue(db, TaskKind.NOTE, item)
    seen: list[list[tuple[str, int]]] = []

    def prepare(batch: list[SlackTask]) -> None:
        seen.append([(t.kind, t.item_id) for t in batch])
        if batch:
            raise RuntimeError("the bulk read broke")

    ran: list[tuple[str, int]] = []
    relay = Relay(
        db=db,
        clock=clock,
        runners={TaskKind.POST_ITEM: _recorder(ran), TaskKind.NOTE: _recorder(ran)},
        preparers={TaskKind.POST_ITEM: prepare},
    )
    assert relay.drain() == 6
    assert seen == [[("post_item", item) for item in items], []]
    assert sorted(ran) == sorted([("post_item", i) for i in items] + [("note", i) for i in items])
