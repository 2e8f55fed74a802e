"""Meta webhooks through the real HTTP server: signatures, parsing, redelivery, edits."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.storage.models import Item
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import batch, fb_comment_change, ig_comment_change, sign
from tests.fakes.slack_api import FakeSlack
from tests.harness import APP_SECRET, IG_ID, INBOX, PAGE_ID, VERIFY_TOKEN, Bot


def _fb(comment_id: str = "555_1", message: str = "Do you ship to Canada?", **kw: object) -> dict:
    return fb_comment_change(
        page_id=PAGE_ID,
        comment_id=comment_id,
        post_id="555",
        message=message,
        from_id="42",
        from_name="Jane Doe",
        **kw,  # type: ignore[arg-type]
    )


def _items(bot: Bot) -> list[Item]:
    bot.ingested()  # what the 200 stored becomes items right after it
    with bot.runtime.db.session() as session:
        return list(session.exec(select(Item).order_by(Item.id)).all())


def test_verification_handshake_echoes_challenge_only_with_the_right_token(bot: Bot) -> None:
    ok = bot.http.get(
        bot.url + "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = bot.http.get(
        bot.url + "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )
    assert wrong.status_code == 403
    assert "1158201444" not in wrong.text


def test_facebook_comment_reaches_the_inbox_once_however_often_delivered(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.add_fb_comment(
        comment_id="555_1",
        post_id="555",
        message="Do you ship to Canada?",
        from_id="42",
        from_name="Jane Doe",
        permalink_url="https://www.facebook.com/555/posts/555?comment_id=1",
    )
    for _ in range(3):
        assert bot.meta(_fb()).status_code == 200
    # Stored before the 200: the item is in the database already.
    assert [i.external_id for i in _items(bot)] == ["555_1"]
    # The webhook has no link to the comment; the message shows Graph's once it is fetched.
    message = _latest_item_message(bot, slack, containing="comment_id=1")
    assert "#1" in message["text"] and "Jane Doe" in message["text"] and "Canada" in message["text"]
    rendered = str(message["blocks"])
    for expected in (
        "Facebook comment",
        "#1",
        "Jane Doe",
        "https://www.facebook.com/42",
        "https://www.facebook.com/555/posts/555?comment_id=1",
        "Reply",
        "Ask owner",
        "Claim",
        "Ignore / Spam",
        "<!date^",
    ):
        assert expected in rendered, expected
    bot.runtime.relay.drain()
    assert len(bot.item_messages()) == 1


def test_instagram_comment_shows_the_post_link_and_author_profile(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.add_ig_media(media_id="1789", permalink="https://www.instagram.com/p/ABC123/")
    payload = ig_comment_change(
        ig_account_id=IG_ID,
        comment_id="1790",
        media_id="1789",
        text="Is this vegan?",
        username="sam.eats",
        from_id="77",
    )
    assert bot.meta(payload).status_code == 200
    message = _latest_item_message(bot, slack, containing="/p/ABC123/")
    rendered = str(message["blocks"])
    assert "Instagram comment" in rendered
    assert "https://www.instagram.com/sam.eats" in rendered
    assert "https://www.instagram.com/p/ABC123/" in rendered
    assert "Is this vegan?" in message["text"]


def _latest_item_message(bot: Bot, slack: FakeSlack, *, containing: str) -> dict[str, Any]:
    """The first item message as the channel shows it now, once its blocks contain `containing`."""

    def shown() -> dict[str, Any] | None:
        posted = bot.item_messages()
        latest = posted and slack.message(posted[0]["channel_id"], posted[0]["ts"])
        return latest if latest and containing in str(latest["blocks"]) else None

    return slack.wait_for(shown, message=f"item message showing {containing}")


def test_a_slow_graph_permalink_does_not_hold_up_other_items(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.add_ig_media(media_id="1789", permalink="https://www.instagram.com/p/SLOW/")
    graph.delay(3, path_contains="1789")  # the look-up of the first comment's post answers late
    slow = ig_comment_change(
        ig_account_id=IG_ID, comment_id="1790", media_id="1789", text="First", username="a", from_id="7"
    )
    assert bot.meta(slow).status_code == 200
    graph.wait_for(lambda: graph.calls_to("1789"), message="the slow permalink look-up has started")
    assert bot.meta(_fb(comment_id="555_2", message="Second")).status_code == 200
    # Both items are in Slack while Graph is still thinking about the first one's link.
    texts = slack.wait_for(
        lambda: len(bot.item_messages()) == 2 and [m["text"] for m in bot.item_messages()],
        message="both items posted",
    )
    assert texts[0].startswith("#1 ") and texts[1].startswith("#2 ")
    first = bot.item_messages()[0]
    assert "/p/SLOW/" not in str(slack.message(first["channel_id"], first["ts"]))
    # Once Graph answers, the first item's message is edited to carry the better link.
    _latest_item_message(bot, slack, containing="/p/SLOW/")


def test_a_link_found_before_the_first_post_is_in_that_post_and_no_edit_follows(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.add_ig_media(media_id="1789", permalink="https://www.instagram.com/p/FOUND/")
    bot.runtime.relay.stop()  # Slack is busy: the link is found while the item waits for its post
    change = ig_comment_change(
        ig_account_id=IG_ID, comment_id="1790", media_id="1789", text="First", username="a", from_id="7"
    )
    assert bot.meta(change).status_code == 200
    graph.wait_for(
        lambda: any(item.url.startswith("https://www.instagram.com/p/FOUND/") for item in _items(bot)),
        message="the link is stored",
    )
    message = slack.wait_for(
        lambda: bot.runtime.relay.drain() and bot.item_messages() and bot.item_messages()[0],
        message="the item is posted",
    )
    assert "/p/FOUND/" in str(slack.message(message["channel_id"], message["ts"]))
    bot.runtime.relay.drain()  # whatever else was queued for the item
    # The re-render queued for the link was shown by the post: chat.update (Tier 3) is not spent.
    assert slack.updates(message["channel_id"], message["ts"]) == []


def test_our_own_page_replies_are_not_items(bot: Bot) -> None:
    own = fb_comment_change(
        page_id=PAGE_ID,
        comment_id="555_9",
        post_id="555",
        message="Thanks!",
        from_id=PAGE_ID,
        from_name="The Shop",
    )
    assert bot.meta(own).status_code == 200
    assert _items(bot) == []


def test_a_reply_to_a_shown_comment_lands_in_its_thread(bot: Bot, slack: FakeSlack) -> None:
    bot.meta(_fb())
    root = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    reply = _fb(comment_id="555_2", message="Also, to Alaska?", parent_id="555_1")
    assert bot.meta(reply).status_code == 200
    threaded = slack.wait_for(lambda: slack.thread(INBOX, root["ts"]))
    assert "Alaska" in threaded[0]["text"] and "#2" in threaded[0]["text"]
    assert len(bot.item_messages()) == 2  # both are items; the second is a thread reply
    assert bot.item_messages()[1].get("thread_ts") == root["ts"]


def test_edited_and_removed_comments_update_the_item_message(bot: Bot, slack: FakeSlack) -> None:
    bot.meta(_fb())
    root = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    bot.meta(_fb(message="Do you ship to Mexico?", verb="edited"))
    slack.wait_for(lambda: any("Mexico" in u["text"] for u in slack.updates(INBOX, root["ts"])))
    bot.meta(_fb(verb="remove"))
    slack.wait_for(
        lambda: any("Removed by its author" in str(u["blocks"]) for u in slack.updates(INBOX, root["ts"]))
    )
    notes = slack.wait_for(
        lambda: len(slack.thread(INBOX, root["ts"])) >= 2 and slack.thread(INBOX, root["ts"])
    )
    assert "edited" in notes[0]["text"] and "removed" in notes[1]["text"]


def test_unsigned_or_forged_webhooks_are_refused_and_leave_no_trace(bot: Bot, slack: FakeSlack) -> None:
    assert bot.meta(_fb(), sign=False).status_code == 401
    assert bot.meta(_fb(), signature="sha256=" + "0" * 64).status_code == 403
    assert bot.meta(_fb(), signature=sign(b"other body", APP_SECRET)).status_code == 403
    assert bot.meta(_fb(), signature=sign(b"x", "not-the-secret")).status_code == 403
    bot.runtime.relay.drain()
    assert _items(bot) == []
    assert bot.item_messages() == []


def test_signed_but_malformed_bodies_are_never_500(bot: Bot) -> None:
    # Only a body that is not JSON at all is refused; a signed JSON body Meta would only
    # redeliver forever, so what cannot be stored in it is logged and skipped.
    response = bot.meta(b"not json", signature=sign(b"not json", APP_SECRET))
    assert response.status_code == 400
    for body in (
        b"[]",
        b'{"object": "page"}',
        b'{"object": "page", "entry": [1]}',
        b'{"object": "page", "entry": [{"id": "111111", "changes": [{"field": "feed"}]}]}',
        b'{"object": "page", "entry": [{"id": "111111", "changes": [{"field": "feed", '
        b'"value": {"item": "comment", "verb": "add"}}]}]}',
    ):
        response = bot.meta(body, signature=sign(body, APP_SECRET))
        assert response.status_code == 200, body
    assert _items(bot) == []
    assert bot.http.get(bot.url + "/healthz").status_code == 200


def test_batched_delivery_stores_every_entry(bot: Bot, slack: FakeSlack) -> None:
    payload = batch(_fb("555_1"), _fb("555_2", message="second"), _fb("555_3", message="third"))
    assert bot.meta(payload).status_code == 200
    assert len(_items(bot)) == 3
    slack.wait_for(lambda: len(bot.item_messages()) == 3)
