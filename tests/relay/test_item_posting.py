"""An item's first post reads what it shows in bulk for its batch: the message is the same as when
each post reads its own (a latest draft, an open owner question, a re-render queued before it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import col, delete, select, update

from bot.brands import Brands
from bot.relay.kinds import TaskKind
from bot.relay.pacing import Pacer
from bot.relay.queue import enqueue
from bot.relay.runners.items import ItemRunners
from bot.relay.runners.threads import Threads
from bot.relay.worker import Relay
from bot.services.accounts import PlatformRegistry
from bot.storage.db import Database
from bot.storage.models import Draft, DraftStatus, ItemMessage, ItemState, OwnerQuestion, SlackTask
from tests.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.rows import a_draft, an_item


def _relay(db: Database, slack: FakeSlack, clock: FakeClock, *, prepared: bool) -> Relay:
    client = WebClient(token="xoxb-test", base_url=slack.url + "/api/", timeout=10)
    threads = Threads(db=db, client=client, pacer=Pacer(db=db, per_second=100, burst=100))
    runners = ItemRunners(
        threads=threads, platforms=PlatformRegistry(db=db, brands=Brands(all=()), connected=[]), clock=clock
    )
    return Relay(
        db=db,
        clock=clock,
        runners=runners.runners(),
        preparers=runners.preparers() if prepared else None,
    )


def _field(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # a form field's JSON, or a JSON body's


def _posts(slack: FakeSlack) -> dict[int, tuple[str, list[object]]]:
    posted = {}
    for call in slack.calls_to("chat.postMessage"):
        item_id = _field(call.form["metadata"])["event_payload"]["item_id"]
        posted[item_id] = (call.form["text"], _field(call.form["blocks"]))
    return posted


def test_a_batch_read_in_bulk_posts_the_same_messages_as_one_read_per_post(
    db: Database, slack: FakeSlack
) -> None:
    clock = FakeClock()
    plain, asked = an_item(db), an_item(db)
    drafted, superseded = (an_item(db, state=ItemState.SCHEDULED) for _ in range(2))
    for item_id in (drafted, superseded):
        draft = a_draft(db, item_id=item_id)
        with db.session() as session:
            session.execute(
                update(Draft)
                .where(col(Draft.id) == draft)
                .values(send_at=datetime(2026, 12, 24, 9, tzinfo=UTC))
            )
    a_draft(db, item_id=superseded, status=DraftStatus.SUPERSEDED)  # the latest, but not the one shown
    with db.session() as session:
        session.add(OwnerQuestion(item_id=asked, question="Is the blue one back?", asked_by="U0ALICE"))
    shown: dict[bool, dict[int, tuple[str, list[object]]]] = {}
    for prepared in (True, False):
        with db.session() as session:
            session.execute(delete(ItemMessage))
            for item_id in (plain, drafted, asked, superseded):
                enqueue(session, TaskKind.POST_ITEM, item_id=item_id, channel="C0INBOX")
            enqueue(session, TaskKind.UPDATE_ITEM, item_id=drafted)  # shown by the post itself
        slack.reset()
        assert _relay(db, slack, clock, prepared=prepared).drain() == 5  # the re-render is done by the post
        assert not slack.calls_to("chat.update")
        shown[prepared] = _posts(slack)
        with db.session() as session:
            assert not session.exec(select(SlackTask.id).where(col(SlackTask.done).is_(False))).all()
    assert shown[True] == shown[False]
    # The latest draft that is not superseded says when the reply goes out.
    assert "Scheduled for" in json.dumps(shown[True][drafted][1])
    assert "Scheduled for" in json.dumps(shown[True][superseded][1])
    assert "Waiting for owner" in json.dumps(shown[True][asked][1])
    assert "Waiting for owner" not in json.dumps(shown[True][plain][1])
