"""The new networks tell a reply that may have been made from one that surely was not.

google-api-python-client, atproto, requests and facebook-sdk against the fakes: a reply whose
answer is lost, or answered with a 5xx, is UnknownOutcome (never resent blindly); a refused
connection is TransientError (retried).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.platforms.base import PlatformError, Published, ReplyTarget, TransientError, UnknownOutcome
from bot.platforms.bluesky import BlueskyPlatform
from bot.platforms.graph import GraphClient
from bot.platforms.linkedin import LinkedInPlatform
from bot.platforms.messenger import MessengerPlatform
from bot.platforms.youtube import YouTubePlatform
from tests.fakes.base import FakeServer
from tests.fakes.bluesky_pds import FakeBlueskyPDS
from tests.fakes.graph_api import FakeGraph
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.youtube_api import FakeYouTube

TIMEOUT = 0.5


def _outcomes(
    fake: FakeServer,
    path: str,
    publish: Callable[[], Published],
    *,
    fresh: Callable[[], Published] | None = None,
) -> None:
    """Stalled and 5xx replies are unknown; with the service gone, a new connection is refused.

    `fresh` publishes through a new client, for libraries that keep a connection open (a reset
    of a kept connection may come after the server acted, so that one is unknown too).
    """
    fake.stall(path_contains=path, method="POST", applied=True)
    with pytest.raises(UnknownOutcome, match="did not answer in time"):
        publish()
    fake.fail_next(path_contains=path, status=503)
    with pytest.raises(UnknownOutcome):
        publish()
    fake.stop()
    with pytest.raises(TransientError) as refused:
        (fresh or publish)()
    assert not isinstance(refused.value, UnknownOutcome)


def test_youtube_reply(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="Do you ship abroad?")

    def adapter() -> YouTubePlatform:
        return YouTubePlatform(
            channel_id=youtube.channel_id,
            client_id=youtube.client_id,
            client_secret=youtube.client_secret,
            refresh_token=youtube.refresh_token,
            api_url=youtube.url,
            token_url=youtube.url + "/token",
            timeout=TIMEOUT,
        )

    platform = adapter()
    platform.fetch_new(since_id=None)  # the token is fetched: what follows is the reply alone
    target = ReplyTarget(external_id=thread, author_handle="@viewer", conversation_id=thread)
    _outcomes(
        youtube,
        "/youtube/v3/comments",
        lambda: platform.publish_reply(target=target, text="Yes"),
        fresh=lambda: adapter().publish_reply(target=target, text="Yes"),
    )
    assert [c["snippet"]["textOriginal"] for c in youtube.published()] == ["Yes"]  # the stalled one


def test_youtube_and_linkedin_find_the_reply_whose_answer_was_lost(
    youtube: FakeYouTube, linkedin: FakeLinkedIn
) -> None:
    since = datetime(2020, 1, 1, tzinfo=UTC)  # the fakes' clocks start in 2026
    thread = youtube.add_comment(text="Do you ship abroad?")
    youtube.add_reply(thread_id=thread, text="Yes", author="@someone", author_channel="UCsomeone")
    tube = YouTubePlatform(
        channel_id=youtube.channel_id,
        client_id=youtube.client_id,
        client_secret=youtube.client_secret,
        refresh_token=youtube.refresh_token,
        api_url=youtube.url,
        token_url=youtube.url + "/token",
        timeout=TIMEOUT,
    )
    target = ReplyTarget(external_id=thread, author_handle="@viewer", conversation_id=thread)
    assert tube.find_reply(target=target, text="Yes", since=since) is None  # someone else's words
    youtube.stall(path_contains="/youtube/v3/comments", method="POST", applied=True)
    with pytest.raises(UnknownOutcome):
        tube.publish_reply(target=target, text="Yes")
    found = tube.find_reply(target=target, text="Yes", since=since)
    assert found is not None and found.external_id == youtube.published()[0]["id"]
    assert tube.find_reply(target=target, text="Yes", since=datetime(2030, 1, 1, tzinfo=UTC)) is None

    comment = linkedin.add_comment(post=linkedin.add_post(text="Hiring"), text="Full time?")
    linkedin.add_comment(post=comment.split("(")[1].split(",")[0], text="Yes", parent=comment)
    page = LinkedInPlatform(
        organization_id=linkedin.org.rsplit(":", 1)[1],
        access_token=linkedin.access_token,
        api_url=linkedin.url,
        timeout=TIMEOUT,
    )
    target = ReplyTarget(external_id=comment, author_handle="Ann", conversation_id=comment)
    assert page.find_reply(target=target, text="Yes", since=since) is None
    linkedin.stall(path_contains="/comments", method="POST", applied=True)
    with pytest.raises(UnknownOutcome):
        page.publish_reply(target=target, text="Yes")
    found = page.find_reply(target=target, text="Yes", since=since)
    assert found is not None and found.external_id == linkedin.published()[0]["commentUrn"]


def test_bluesky_reply(pds: FakeBlueskyPDS) -> None:
    post = pds.add_post(text="@shop.bsky.social open?", handle="ann.bsky.social")
    platform = BlueskyPlatform(
        handle=pds.handle, app_password=pds.app_password, service_url=pds.url, timeout=TIMEOUT
    )
    target = ReplyTarget(external_id=post, author_handle="@ann.bsky.social", conversation_id=post)
    _outcomes(pds, "createRecord", lambda: platform.publish_reply(target=target, text="Yes, 9-5"))


def test_linkedin_reply(linkedin: FakeLinkedIn) -> None:
    comment = linkedin.add_comment(post=linkedin.add_post(text="Hiring"), text="Full time?")
    platform = LinkedInPlatform(
        organization_id=linkedin.org.rsplit(":", 1)[1],
        access_token=linkedin.access_token,
        api_url=linkedin.url,
        timeout=TIMEOUT,
    )
    target = ReplyTarget(external_id=comment, author_handle="Ann", conversation_id=comment)
    _outcomes(linkedin, "/comments", lambda: platform.publish_reply(target=target, text="Yes"))


def test_messenger_reply(graph: FakeGraph) -> None:
    graph.customer_wrote(customer_id="5001", at=datetime.now(UTC))
    client = GraphClient(access_token="page-token", graph_url=graph.url, version="v21.0", timeout=TIMEOUT)
    platform = MessengerPlatform(page_id=graph.page_id, graph=client)
    target = ReplyTarget(external_id="m_1", author_handle="5001", conversation_id="5001")
    _outcomes(graph, "/messages", lambda: platform.publish_reply(target=target, text="Hi!"))


def test_a_refusal_before_the_write_is_neither(graph: FakeGraph) -> None:
    client = GraphClient(access_token="page-token", graph_url=graph.url, version="v21.0", timeout=TIMEOUT)
    platform = MessengerPlatform(page_id=graph.page_id, graph=client)
    stranger = ReplyTarget(external_id="m_1", author_handle="9", conversation_id="9")
    with pytest.raises(PlatformError, match="No matching user") as refused:
        platform.publish_reply(target=stranger, text="Hi!")
    assert not isinstance(refused.value, TransientError | UnknownOutcome)
