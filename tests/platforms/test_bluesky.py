"""Bluesky mentions and replies through the atproto SDK against the loopback PDS."""

from __future__ import annotations

import pytest

from bot.platforms.base import PermanentError, PollingPlatform, ReplyTarget, TransientError
from bot.platforms.bluesky import BlueskyPlatform
from tests.fakes.bluesky_pds import FakeBlueskyPDS

HOSTILE = [
    "<!channel> <@U123> <https://evil.example|click> &amp;&lt;&gt; &&<<>>",
    "nul\x00byte, rtl \u202eevil\u202c, emoji 👩‍👩‍👧 and é",
    "\n".join(f"l{n}" for n in range(60)),  # 229 graphemes: inside one post
]


def adapter(fake: FakeBlueskyPDS, *, timeout: float = 5.0, password: str | None = None) -> BlueskyPlatform:
    return BlueskyPlatform(
        handle=fake.handle,
        app_password=password or fake.app_password,
        service_url=fake.url,
        timeout=timeout,
    )


def test_mentions_and_replies_arrive_once_and_likes_do_not(pds: FakeBlueskyPDS) -> None:
    mention = pds.add_post(
        text="@shop.bsky.social open on Sunday?", handle="ann.bsky.social", display_name="Ann"
    )
    platform = adapter(pds)
    assert isinstance(platform, PollingPlatform)
    result = platform.fetch_new(since_id=None)
    [item] = result.items
    assert (item.external_id, item.text, item.author.name, item.author.handle) == (
        mention,
        "@shop.bsky.social open on Sunday?",
        "Ann",
        "@ann.bsky.social",
    )
    assert item.url == f"https://bsky.app/profile/ann.bsky.social/post/{mention.rsplit('/', 1)[1]}"
    assert item.conversation_id == mention and item.parent_external_id is None
    assert pds.calls_to("createSession")[0].form["identifier"] == pds.handle

    ours = platform.publish_reply(
        target=ReplyTarget(external_id=mention, author_handle="@ann.bsky.social"), text="Yes"
    )
    pds.add_like(post_uri=ours.external_id, handle="bob.bsky.social")
    later = platform.fetch_new(since_id=result.newest_id)
    assert later.items == []  # a like is not a question, our own post is not an item
    assert platform.fetch_new(since_id=later.newest_id).items == []


def test_a_restarted_adapter_given_the_stored_cursor_repeats_nothing_and_skips_nothing(
    pds: FakeBlueskyPDS,
) -> None:
    pds.add_post(text="first", handle="a.bsky.social")
    stored = adapter(pds).fetch_new(since_id=None).newest_id
    second = pds.add_post(text="second", handle="b.bsky.social")
    third = pds.add_post(text="third", handle="c.bsky.social")
    restarted = adapter(pds)
    result = restarted.fetch_new(since_id=stored)
    assert [i.external_id for i in result.items] == [second, third]
    assert restarted.fetch_new(since_id=result.newest_id).items == []


def test_many_new_notifications_are_paged_until_the_stored_one(pds: FakeBlueskyPDS) -> None:
    pds.add_post(text="seen", handle="a.bsky.social")
    platform = adapter(pds)
    stored = platform.fetch_new(since_id=None).newest_id
    fresh = [pds.add_post(text=f"n{n}", handle="b.bsky.social") for n in range(130)]
    result = platform.fetch_new(since_id=stored)
    assert [i.external_id for i in result.items] == fresh
    assert len(pds.calls_to("listNotifications")) == 3  # first poll + two pages of 100


def test_a_reply_keeps_the_thread_with_strong_refs_and_a_reply_to_it_comes_back(pds: FakeBlueskyPDS) -> None:
    root = pds.add_post(text="@shop.bsky.social gluten free?", handle="ann.bsky.social")
    platform = adapter(pds)
    cursor = platform.fetch_new(since_id=None).newest_id
    ours = platform.publish_reply(
        target=ReplyTarget(external_id=root, author_handle="@ann", conversation_id=root), text="Some are"
    )
    [post] = pds.published()
    root_cid = pds.records[root]["cid"]
    assert post["value"]["reply"]["root"] == {
        "uri": root,
        "cid": root_cid,
        "$type": "com.atproto.repo.strongRef",
    }
    assert post["value"]["reply"]["parent"]["uri"] == root and post["value"]["text"] == "Some are"
    assert ours.external_id == post["uri"]

    follow = pds.add_post(text="which ones?", handle="ann.bsky.social", reply_to=ours.external_id)
    [item] = platform.fetch_new(since_id=cursor).items
    assert (item.external_id, item.parent_external_id, item.conversation_id) == (
        follow,
        ours.external_id,
        root,
    )

    platform.publish_reply(
        target=ReplyTarget(external_id=follow, author_handle="@ann", conversation_id=root), text="Rye"
    )
    second = pds.published()[1]["value"]["reply"]
    assert second["root"]["uri"] == root and second["root"]["cid"] == root_cid
    assert (second["parent"]["uri"], second["parent"]["cid"]) == (follow, pds.records[follow]["cid"])


def test_length_is_counted_in_graphemes_like_bluesky(pds: FakeBlueskyPDS) -> None:
    root = pds.add_post(text="hi", handle="ann.bsky.social")
    platform = adapter(pds)
    family = "👩‍👩‍👧"  # five code points, one grapheme
    assert platform.reply_length(family * 300) == 300 == platform.max_reply_length
    assert platform.reply_length("e\u0301") == 1
    platform.publish_reply(target=ReplyTarget(external_id=root, author_handle="@ann"), text="é" * 300)
    with pytest.raises(PermanentError, match="300 graphemes"):
        platform.publish_reply(target=ReplyTarget(external_id=root, author_handle="@ann"), text="x" * 301)
    assert len(pds.published()) == 1


@pytest.mark.parametrize("text", HOSTILE, ids=["mrkdwn", "controls", "lines"])
def test_hostile_text_round_trips_unchanged(pds: FakeBlueskyPDS, text: str) -> None:
    root = pds.add_post(text=text, handle="ann.bsky.social")
    platform = adapter(pds)
    [item] = platform.fetch_new(since_id=None).items
    assert item.text == text
    platform.publish_reply(target=ReplyTarget(external_id=root, author_handle="@ann"), text=text)
    assert pds.published()[0]["value"]["text"] == text


def test_a_rate_limit_is_transient_until_its_reset(pds: FakeBlueskyPDS) -> None:
    platform = adapter(pds)
    platform.fetch_new(since_id=None)
    pds.rate_limit("listNotifications", reset_in=300)
    with pytest.raises(TransientError, match="rate limit") as caught:
        platform.fetch_new(since_id=None)
    assert caught.value.retry_after is not None and 200 < caught.value.retry_after <= 300


def test_a_wrong_app_password_is_permanent_and_says_what_to_fix(pds: FakeBlueskyPDS) -> None:
    with pytest.raises(PermanentError, match="BLUESKY_APP_PASSWORD"):
        adapter(pds, password="wrong-pass-word-1234").fetch_new(since_id=None)


def test_a_session_the_pds_no_longer_accepts_is_replaced_by_a_fresh_login(pds: FakeBlueskyPDS) -> None:
    pds.add_post(text="hello", handle="ann.bsky.social")
    platform = adapter(pds)
    platform.fetch_new(since_id=None)
    pds.expire_sessions()
    assert len(platform.fetch_new(since_id=None).items) == 1
    assert pds.sessions_created == 2


def test_server_errors_are_transient_and_timeouts_are_honoured(pds: FakeBlueskyPDS) -> None:
    platform = adapter(pds, timeout=0.5)
    platform.fetch_new(since_id=None)
    pds.fail_next(path_contains="listNotifications", status=500)
    with pytest.raises(TransientError, match="500"):
        platform.fetch_new(since_id=None)
    pds.delay(3, path_contains="listNotifications")
    with pytest.raises(TransientError, match="in time"):
        platform.fetch_new(since_id=None)


def test_the_sdk_refreshes_a_session_about_to_expire_without_logging_in_again(pds: FakeBlueskyPDS) -> None:
    pds.access_ttl = 600  # inside the SDK's 15-minute refresh margin
    platform = adapter(pds)
    platform.fetch_new(since_id=None)
    platform.fetch_new(since_id=None)
    assert pds.calls_to("refreshSession") and pds.sessions_created == 1
