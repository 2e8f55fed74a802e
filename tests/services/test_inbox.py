"""The raw inbox: deliveries stored before the 200, then ingested several to a transaction."""

from __future__ import annotations

import time

from sqlmodel import col, select

from bot.storage.models import InboxEntry, Item, ItemGroup
from tests.fakes.meta_webhooks import fb_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.harness import INBOX, PAGE_ID, Bot


def _fb(comment_id: str, message: str, *, author: str = "42", **kw: object) -> dict:
    return fb_comment_change(
        page_id=PAGE_ID,
        comment_id=comment_id,
        post_id="555",
        message=message,
        from_id=author,
        from_name=f"Fan {author}",
        **kw,  # type: ignore[arg-type]
    )


def test_a_burst_becomes_items_in_arrival_order_each_once_with_edits_after_their_item(
    bot: Bot, slack: FakeSlack
) -> None:
    inbox = bot.runtime.inbox
    inbox.stop()  # the burst is stored (each delivery answered 200) before any of it is ingested
    bot.meta(_fb("555_1", "Do you ship to Canada?"))
    bot.meta(_fb("555_0", "Not the first one stored"))
    assert inbox.drain() == 2  # two items stored before the burst
    deliveries = [
        _fb("555_2", "Love it 😍", author="43"),
        _fb("555_1", "Do you ship to Canada?"),  # a redelivery of a stored item
        _fb("555_3", "https://bit.ly/x", author="44"),  # link-only: likely spam
        _fb("555_2", "Love it so much 😍", author="43", verb="edited"),
        _fb("555_4", "<!channel> where is my order?", author="45"),
        _fb("555_4", "<!channel> where is my order?", author="45"),  # twice in one burst
        _fb("555_5", "Wow", author="46"),
    ]
    for payload in deliveries:
        assert bot.meta(payload).status_code == 200
    assert inbox.pending() == len(deliveries)

    assert inbox.drain() == len(deliveries)
    assert inbox.pending() == 0
    with bot.runtime.db.session() as session:
        items = session.exec(select(Item).order_by(col(Item.id))).all()
        digests = session.exec(select(ItemGroup)).all()
    assert [i.external_id for i in items] == ["555_1", "555_0", "555_2", "555_3", "555_4", "555_5"]
    by_id = {i.external_id: i for i in items}
    assert by_id["555_2"].text == "Love it so much 😍"  # the edit came after its item
    assert by_id["555_3"].spam and by_id["555_3"].group_id == digests[0].id
    assert not any(by_id[n].spam for n in ("555_1", "555_2", "555_4", "555_5"))

    # Each shown once (the spam in the hour's digest), outside text never pinging the channel.
    slack.wait_for(lambda: len(bot.item_messages()) == 5)
    slack.wait_for(lambda: any("likely spam" in m["text"] for m in slack.posted(INBOX)))
    shown = sorted(m["text"].split(" ", 1)[0] for m in bot.item_messages())
    assert shown == ["#1", "#2", "#3", "#5", "#6"]
    (five,) = [m for m in slack.posted(INBOX) if m["text"].startswith("#5 ")]
    assert "where is my order" in five["text"] and "<!channel>" not in five["text"]


def test_an_unreadable_stored_delivery_is_skipped_and_the_rest_of_its_run_is_ingested(
    bot: Bot, slack: FakeSlack
) -> None:
    inbox = bot.runtime.inbox
    inbox.stop()
    bot.meta(_fb("555_1", "first"))
    with bot.runtime.db.session() as session:
        session.add(InboxEntry(body='{"type": "item", "platform": 1}'))  # a row no version could read
    bot.meta(_fb("555_2", "second", author="43"))
    bot.meta(_fb("555_3", "third", author="44"))
    assert inbox.drain() == 4
    with bot.runtime.db.session() as session:
        stored = session.exec(select(Item.external_id).order_by(col(Item.id))).all()
    assert stored == ["555_1", "555_2", "555_3"]
    assert inbox.pending() == 0


def test_items_reach_slack_while_deliveries_keep_arriving(bot: Bot, slack: FakeSlack) -> None:
    # Background work gives way while webhooks arrive, but only for a while: a stream that never
    # pauses (a delivery every 20 ms, never the 100 ms of calm) must not hold items back.
    shown_during_stream = False
    for n in range(1, 400):
        assert bot.meta(_fb(f"555_{n}", f"Where is order {n}?", author=str(100 + n))).status_code == 200
        if bot.item_messages():
            shown_during_stream = True
            break
        time.sleep(0.02)
    assert shown_during_stream, "no item reached Slack while deliveries kept arriving"
    assert bot.item_messages()[0]["text"].startswith("#1 ")
