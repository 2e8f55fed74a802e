"""The worker with plain runners: order per item, waiting, pausing, and which kinds it works."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.relay.errors import NotReady
from bot.relay.kinds import TaskKind
from bot.relay.queue import enqueue
from bot.relay.worker import Relay, Runner
from bot.storage.db import Database
from bot.storage.models import SlackTask
from tests.clock import FakeClock
from tests.rows import an_item, tasks


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


def test_a_bug_in_a_runner_is_raised_and_the_task_kept(db: Database) -> None:
    clock = FakeClock()
    item = an_item(db)

    def broken(task: SlackTask) -> None:
        raise KeyError("blocks")

    relay = _worker(db, clock, note=broken)
    _queue(db, TaskKind.NOTE, item)
    with pytest.raises(KeyError):
        relay.drain()
    assert tasks(db, item) == [("note", None)]
