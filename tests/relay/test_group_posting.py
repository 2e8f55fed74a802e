"""A group's first message is posted once, however many workers (processes) render it at once."""

from __future__ import annotations

import threading

from slack_sdk import WebClient
from sqlalchemy import update
from sqlmodel import col

from bot.relay.kinds import TaskKind
from bot.relay.pacing import Pacer
from bot.relay.queue import enqueue
from bot.relay.runners.groups import GroupRunners
from bot.relay.runners.threads import Threads
from bot.relay.worker import Relay
from bot.storage.db import Database
from bot.storage.models import GroupPurpose, Item, ItemGroup
from tests.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.rows import an_item

CHANNEL = "C0INBOX"


def _worker(db: Database, slack: FakeSlack, clock: FakeClock, name: str) -> Relay:
    """One process's relay: its own client and pacer, the database shared."""
    client = WebClient(token="xoxb-test", base_url=slack.url + "/api/", timeout=10)
    threads = Threads(db=db, client=client, pacer=Pacer(db=db, per_second=100, burst=100))
    return Relay(db=db, clock=clock, runners=GroupRunners(threads=threads, clock=clock).runners(), name=name)


def _render(db: Database, *, item: int, group: int) -> None:
    with db.session() as session:
        enqueue(session, TaskKind.RENDER_GROUP, item_id=item, ref_id=group, channel=CHANNEL)


def test_two_workers_rendering_a_new_group_post_it_once_and_the_second_edits_it(
    db: Database, slack: FakeSlack
) -> None:
    clock = FakeClock()
    first, second = an_item(db), an_item(db)
    with db.session() as session:
        group = ItemGroup(channel=CHANNEL, purpose=GroupPurpose.ITEMS, hour="g1")
        session.add(group)
        session.flush()
        group_id = group.id or 0
        session.execute(update(Item).where(col(Item.id).in_([first, second])).values(group_id=group_id))
    one, other = _worker(db, slack, clock, "one"), _worker(db, slack, clock, "other")
    _render(db, item=first, group=group_id)

    slack.delay(1.0, path_contains="chat.postMessage")  # the first post is still on its way...
    posting = threading.Thread(target=one.drain)
    posting.start()
    slack.wait_for(lambda: slack.calls_to("chat.postMessage"), message="the first worker's post")
    _render(db, item=second, group=group_id)  # ...when the group changes: a second task
    assert other.drain() == 0  # it waits for the first post instead of posting the group again
    posting.join(timeout=10)
    slack.delay(0, path_contains="chat.postMessage")

    assert other.drain() == 1
    assert len(slack.posted(CHANNEL)) == 1
    ts = slack.posted(CHANNEL)[0]["ts"]
    assert slack.updates(CHANNEL, ts), "the waiting render edits the posted message"
