"""The adapters tell a write that may have been applied from one that surely never arrived.

Real tweepy and facebook-sdk against the fakes. A read that times out is simply retried later;
a write whose answer is lost is UnknownOutcome; a refused connection is TransientError.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.platforms.base import ReplyTarget, TransientError, UnknownOutcome
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.graph import GraphClient
from bot.platforms.instagram import InstagramPlatform
from bot.platforms.x import XPlatform
from tests.fakes.graph_api import FakeGraph
from tests.fakes.x_api import FakeX
from tests.harness import IG_ID, PAGE_ID


def _x(fake: FakeX) -> XPlatform:
    return XPlatform(
        bearer_token="b",
        api_key="k",
        api_secret="s",
        access_token="a",
        access_token_secret="t",
        api_url=fake.url,
        timeout=0.5,
    )


def _graph(fake: FakeGraph) -> GraphClient:
    return GraphClient(access_token="page-token", graph_url=fake.url, version="v21.0", timeout=0.5)


def test_x_write_timeout_is_unknown_read_timeout_is_transient_refused_is_transient(x_api: FakeX) -> None:
    x = _x(x_api)
    tweet = x_api.add_mention(text="@shop hi", username="jdoe", name="Jane")
    target = ReplyTarget(external_id=tweet, author_handle="@jdoe")
    x_api.stall(path_contains="/2/tweets", method="POST", applied=True)
    with pytest.raises(UnknownOutcome, match="did not answer in time"):
        x.publish_reply(target=target, text="hello")
    since = datetime.now(UTC) - timedelta(minutes=1)
    found = x.find_reply(target=target, text="hello", since=since)
    assert found is not None and found.external_id == x_api.published()[0]["id"]
    assert x.find_reply(target=target, text="another text", since=since) is None

    x_api.stall(path_contains="/mentions", method="GET", applied=False)
    with pytest.raises(TransientError):
        x.fetch_new(since_id=None)
    x_api.stop()
    with pytest.raises(TransientError, match="could not be reached"):
        x.publish_reply(target=target, text="hello again")


def test_graph_write_timeout_is_unknown_and_the_reply_is_found_on_both_meta_platforms(
    graph: FakeGraph,
) -> None:
    client = _graph(graph)
    facebook, instagram = (
        FacebookPlatform(page_id=PAGE_ID, graph=client),
        InstagramPlatform(account_id=IG_ID, graph=client),
    )
    graph.add_fb_comment(comment_id="555_1", post_id="555", message="q", from_id="42", from_name="Jane")
    graph.add_ig_comment(comment_id="1790", media_id="1789", text="q", username="sam", from_id="77")
    # Someone else already answered with the same words: that is not our reply.
    graph.add_fb_comment(
        comment_id="555_2", post_id="555", message="thanks", from_id="43", from_name="Ann", parent_id="555_1"
    )
    graph.add_ig_comment(
        comment_id="1791", media_id="1789", text="thanks", username="ann", from_id="78", parent_id="1790"
    )
    since = datetime.now(UTC) - timedelta(minutes=1)
    for platform, comment, path in (
        (facebook, "555_1", "/555_1/comments"),
        (instagram, "1790", "/1790/replies"),
    ):
        target = ReplyTarget(external_id=comment, author_handle="x", conversation_id="1789")
        assert platform.find_reply(target=target, text="thanks", since=since) is None
        graph.stall(path_contains=path, method="POST", applied=True)
        with pytest.raises(UnknownOutcome):
            platform.publish_reply(target=target, text="thanks")
        found = platform.find_reply(target=target, text="thanks", since=since)
        assert found is not None and found.external_id not in ("555_2", "1791")
        graph.fail_next(path_contains=path, status=500)
        with pytest.raises(UnknownOutcome, match="HTTP 500"):
            platform.publish_reply(target=target, text="thanks")
    graph.stop()
    with pytest.raises(TransientError, match="could not be reached"):
        facebook.publish_reply(target=ReplyTarget(external_id="555_1", author_handle="x"), text="t")
