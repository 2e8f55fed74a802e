"""YouTube comments through google-api-python-client against the loopback Data API and token endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.platforms.base import PermanentError, PollingPlatform, ReplyTarget, TransientError
from bot.platforms.youtube import DAILY_QUOTA_UNITS, YouTubePlatform, poll_cost_per_day
from tests.fakes.youtube_api import FakeYouTube

HOSTILE = [
    "<!channel> <@U123> <https://evil.example|click> &amp;&lt;&gt; &&<<>>",
    "nul\x00byte, rtl \u202eevil\u202c, emoji 👩‍👩‍👧 and é",
    "\n".join(f"line {n}" for n in range(2_000))[:10_000],
    "x" * 10_000,
]


def adapter(fake: FakeYouTube, *, timeout: float = 5.0, **overrides: Any) -> YouTubePlatform:
    settings: dict[str, Any] = {
        "channel_id": fake.channel_id,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token,
        "api_url": fake.url,
        "token_url": fake.url + "/token",
        "timeout": timeout,
    }
    settings.update(overrides)
    return YouTubePlatform(**settings)


def test_it_is_a_polling_platform_built_without_any_discovery_request(youtube: FakeYouTube) -> None:
    platform = adapter(youtube)
    assert isinstance(platform, PollingPlatform)
    assert youtube.calls == []  # the discovery document is the bundled one; conftest blocks the internet
    platform.fetch_new(since_id=None)
    assert [c.path for c in youtube.calls] == ["/token", "/youtube/v3/commentThreads"]


def test_new_comments_arrive_once_oldest_first_and_our_own_are_skipped(youtube: FakeYouTube) -> None:
    first = youtube.add_comment(text="Is this in stock?", author="@jane", author_channel="UCjane")
    second = youtube.add_comment(text="Love it", author="@bob", author_channel="UCbob")
    platform = adapter(youtube)
    result = platform.fetch_new(since_id=None)
    assert [i.external_id for i in result.items] == [first, second]
    item = result.items[0]
    assert (item.text, item.author.name, item.author.handle) == ("Is this in stock?", "@jane", "@jane")
    assert item.url == f"https://www.youtube.com/watch?v=vid00000001&lc={first}"
    assert item.conversation_id == first and item.parent_external_id is None
    assert youtube.calls_to("/commentThreads")[0].query["allThreadsRelatedToChannelId"] == youtube.channel_id
    assert youtube.calls_to("/commentThreads")[0].query["order"] == "time"

    again = platform.fetch_new(since_id=result.newest_id)
    assert again.items == [] and again.newest_id == result.newest_id


def test_a_restarted_adapter_given_the_stored_cursor_repeats_nothing_and_skips_nothing(
    youtube: FakeYouTube,
) -> None:
    youtube.add_comment(text="old one")
    stored = adapter(youtube).fetch_new(since_id=None).newest_id
    newer = youtube.add_comment(text="new after restart")
    reply_in_old = youtube.add_reply(thread_id=youtube.add_comment(text="q"), text="and another thing")

    restarted = adapter(youtube)
    result = restarted.fetch_new(since_id=stored)
    texts = [i.text for i in result.items]
    assert texts == ["new after restart", "q", "and another thing"]
    assert result.items[0].external_id == newer and result.items[2].external_id == reply_in_old
    assert restarted.fetch_new(since_id=result.newest_id).items == []


def test_the_first_poll_of_a_new_install_reads_one_short_page(youtube: FakeYouTube) -> None:
    for n in range(30):
        youtube.add_comment(text=f"comment {n}")
    result = adapter(youtube).fetch_new(since_id=None)
    assert len(result.items) == 20 and result.items[-1].text == "comment 29"
    assert len(youtube.calls_to("/commentThreads")) == 1


def test_a_reply_is_published_once_under_the_thread_and_a_reply_to_it_comes_back_in_the_thread(
    youtube: FakeYouTube,
) -> None:
    thread = youtube.add_comment(text="Do you ship abroad?", author="@jane", author_channel="UCjane")
    platform = adapter(youtube)
    cursor = platform.fetch_new(since_id=None).newest_id
    published = platform.publish_reply(
        target=ReplyTarget(external_id=thread, author_handle="@jane", conversation_id=thread), text="We do!"
    )
    [reply] = youtube.published()
    assert reply["snippet"]["parentId"] == thread and reply["snippet"]["textOriginal"] == "We do!"
    assert published.external_id == reply["id"]
    assert published.url == f"https://www.youtube.com/watch?v=vid00000001&lc={reply['id']}"

    follow_up = youtube.add_reply(
        thread_id=thread, text="Thanks! To Norway too?", author="@jane", author_channel="UCjane"
    )
    result = platform.fetch_new(since_id=cursor)
    assert [i.external_id for i in result.items] == [follow_up]  # our own reply is not an item
    assert result.items[0].parent_external_id == thread and result.items[0].conversation_id == thread

    # Answering the follow-up: YouTube nests one level, so the parent is still the thread.
    platform.publish_reply(
        target=ReplyTarget(external_id=follow_up, author_handle="@jane", conversation_id=thread), text="Yes"
    )
    assert [r["snippet"]["parentId"] for r in youtube.published()] == [thread, thread]


def test_threads_with_more_replies_than_come_inline_are_read_in_full(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="top")
    platform = adapter(youtube)
    cursor = platform.fetch_new(since_id=None).newest_id
    replies = [youtube.add_reply(thread_id=thread, text=f"reply {n}") for n in range(8)]
    result = platform.fetch_new(since_id=cursor)
    assert [i.external_id for i in result.items] == replies
    assert youtube.calls_to("/youtube/v3/comments", "GET")[0].query["parentId"] == thread


@pytest.mark.parametrize("text", HOSTILE, ids=["mrkdwn", "controls", "lines", "longest"])
def test_hostile_text_round_trips_unchanged(youtube: FakeYouTube, text: str) -> None:
    thread = youtube.add_comment(text=text)
    platform = adapter(youtube)
    [item] = platform.fetch_new(since_id=None).items
    assert item.text == text
    platform.publish_reply(
        target=ReplyTarget(external_id=thread, author_handle="@v", conversation_id=thread), text=text
    )
    assert youtube.published()[0]["snippet"]["textOriginal"] == text


def test_a_reply_over_the_limit_is_refused_as_youtube_refuses_it(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="q")
    platform = adapter(youtube)
    assert platform.max_reply_length == 10_000
    with pytest.raises(PermanentError, match="commentTextTooLong"):
        platform.publish_reply(target=ReplyTarget(external_id=thread, author_handle="@v"), text="x" * 10_001)
    with pytest.raises(PermanentError, match="parentCommentNotFound"):
        platform.publish_reply(target=ReplyTarget(external_id="Ugnope", author_handle="@v"), text="hi")
    assert youtube.published() == []


def test_hold_for_review_moves_the_comment_out_of_public_view(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="buy followers at spam.example")
    adapter(youtube).hold_for_review(comment_id=thread)
    assert youtube.moderation == {thread: "heldForReview"}
    call = youtube.calls_to("/setModerationStatus")[0]
    assert (call.query["id"], call.query["moderationStatus"]) == (thread, "heldForReview")


def test_a_spent_quota_is_transient_and_retried_after_midnight_pacific(youtube: FakeYouTube) -> None:
    youtube.add_comment(text="q")
    youtube.daily_quota = 0
    noon_pacific = datetime(2026, 1, 15, 20, 0, tzinfo=UTC)  # 12:00 PST
    platform = adapter(youtube, clock=lambda: noon_pacific)
    with pytest.raises(TransientError, match="quota") as caught:
        platform.fetch_new(since_id=None)
    assert caught.value.retry_after == 12 * 3600


def test_a_revoked_refresh_token_is_permanent_and_says_what_to_do(youtube: FakeYouTube) -> None:
    youtube.add_comment(text="q")
    platform = adapter(youtube)
    platform.fetch_new(since_id=None)
    youtube.revoke()  # the access token in hand now gets 401; refreshing gets invalid_grant
    with pytest.raises(PermanentError, match="YOUTUBE_REFRESH_TOKEN"):
        platform.fetch_new(since_id=None)
    with pytest.raises(PermanentError, match="invalid_grant"):
        adapter(youtube).fetch_new(since_id=None)


def test_server_errors_are_transient_and_timeouts_are_honoured(youtube: FakeYouTube) -> None:
    platform = adapter(youtube, timeout=0.5)
    platform.fetch_new(since_id=None)
    youtube.fail_next(path_contains="/commentThreads", status=503)
    with pytest.raises(TransientError, match="503"):
        platform.fetch_new(since_id=None)
    youtube.delay(3, path_contains="/commentThreads")
    with pytest.raises(TransientError, match="in time"):
        platform.fetch_new(since_id=None)


def test_the_quota_arithmetic_of_the_default_interval() -> None:
    # README "YouTube quota": a quiet poll is one page, 1 unit.
    assert poll_cost_per_day(poll_seconds=120) == 720
    assert (DAILY_QUOTA_UNITS - poll_cost_per_day(poll_seconds=120)) // 50 == 185


def test_quiet_threads_with_many_replies_cost_no_extra_units(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="top")
    for n in range(8):
        youtube.add_reply(thread_id=thread, text=f"reply {n}")
    platform = adapter(youtube)
    cursor = platform.fetch_new(since_id=None).newest_id
    spent = youtube.quota_used
    assert platform.fetch_new(since_id=cursor).items == []
    assert youtube.quota_used == spent + 1  # one page of threads, no comments.list
