"""LinkedIn Page comments through requests against the loopback Community Management API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.platforms.base import PermanentError, PollingPlatform, ReplyTarget, TransientError
from bot.platforms.linkedin import LinkedInPlatform
from tests.fakes.linkedin_api import FakeLinkedIn

HOSTILE = [
    "<!channel> <@U123> <https://evil.example|click> &amp;&lt;&gt; &&<<>>",
    "nul\x00byte, rtl \u202eevil\u202c, emoji 👩‍👩‍👧 and é",
    "\n".join(f"line {n}" for n in range(300))[:1_250],
]


def adapter(fake: FakeLinkedIn, *, timeout: float = 5.0, **overrides: Any) -> LinkedInPlatform:
    settings: dict[str, Any] = {
        "organization_id": fake.org.rsplit(":", 1)[1],
        "access_token": fake.access_token,
        "api_url": fake.url,
        "oauth_url": fake.url,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "timeout": timeout,
    }
    settings.update(overrides)
    return LinkedInPlatform(**settings)


def test_comments_on_recent_posts_arrive_once_with_the_required_headers(linkedin: FakeLinkedIn) -> None:
    post = linkedin.add_post(text="New opening hours")
    first = linkedin.add_comment(post=post, text="From when?", actor="urn:li:person:Ann1")
    other = linkedin.add_comment(
        post=linkedin.add_post(text="Hiring"), text="Remote?", actor="urn:li:person:Bob2"
    )
    platform = adapter(linkedin)
    assert isinstance(platform, PollingPlatform)
    result = platform.fetch_new(since_id=None)
    assert [i.external_id for i in result.items] == [first, other]
    item = result.items[0]
    assert (item.text, item.author.id, item.conversation_id, item.parent_external_id) == (
        "From when?",
        "urn:li:person:Ann1",
        first,
        None,
    )
    assert item.url.startswith(f"https://www.linkedin.com/feed/update/{post}/?commentUrn=")
    finder = linkedin.calls_to("/rest/posts")[0]
    assert finder.query["q"] == "author" and finder.query["author"] == linkedin.org
    assert (
        finder.headers["linkedin-version"].isdigit()
        and finder.headers["x-restli-protocol-version"] == "2.0.0"
    )
    assert platform.fetch_new(since_id=result.newest_id).items == []


def test_a_restarted_adapter_given_the_stored_cursor_repeats_nothing_and_skips_nothing(
    linkedin: FakeLinkedIn,
) -> None:
    post = linkedin.add_post(text="p")
    linkedin.add_comment(post=post, text="one")
    stored = adapter(linkedin).fetch_new(since_id=None).newest_id
    two = linkedin.add_comment(post=post, text="two")
    three = linkedin.add_comment(post=post, text="three")
    restarted = adapter(linkedin)
    result = restarted.fetch_new(since_id=stored)
    assert [i.external_id for i in result.items] == [two, three]
    assert restarted.fetch_new(since_id=result.newest_id).items == []


def test_a_reply_is_published_once_as_the_organization_and_a_reply_to_it_comes_back(
    linkedin: FakeLinkedIn,
) -> None:
    post = linkedin.add_post(text="p")
    top = linkedin.add_comment(post=post, text="Price?", actor="urn:li:person:Ann1")
    platform = adapter(linkedin)
    cursor = platform.fetch_new(since_id=None).newest_id
    published = platform.publish_reply(
        target=ReplyTarget(external_id=top, author_handle="urn:li:person:Ann1", conversation_id=top),
        text="€12",
    )
    [reply] = linkedin.published()
    assert reply["request"] == {
        "actor": linkedin.org,
        "object": post,
        "parentComment": top,
        "message": {"text": "€12"},
    }
    assert published.external_id == reply["commentUrn"]

    follow = linkedin.add_comment(post=post, text="incl. VAT?", actor="urn:li:person:Ann1", parent=top)
    [item] = platform.fetch_new(since_id=cursor).items  # our own reply is not an item
    assert (item.external_id, item.parent_external_id, item.conversation_id) == (follow, top, top)

    # LinkedIn nests one level: the answer to the follow-up hangs under the top-level comment.
    platform.publish_reply(
        target=ReplyTarget(external_id=follow, author_handle="x", conversation_id=top), text="Yes"
    )
    assert [c["parentComment"] for c in linkedin.published()] == [top, top]


@pytest.mark.parametrize("text", HOSTILE, ids=["mrkdwn", "controls", "longest"])
def test_hostile_text_round_trips_unchanged(linkedin: FakeLinkedIn, text: str) -> None:
    top = linkedin.add_comment(post=linkedin.add_post(text="p"), text=text)
    platform = adapter(linkedin)
    [item] = platform.fetch_new(since_id=None).items
    assert item.text == text
    platform.publish_reply(target=ReplyTarget(external_id=top, author_handle="x"), text=text)
    assert linkedin.published()[0]["message"]["text"] == text


def test_a_reply_over_the_limit_is_refused_as_linkedin_refuses_it(linkedin: FakeLinkedIn) -> None:
    top = linkedin.add_comment(post=linkedin.add_post(text="p"), text="q")
    platform = adapter(linkedin)
    assert platform.max_reply_length == 1_250
    with pytest.raises(PermanentError, match="FIELD_LENGTH_TOO_LONG"):
        platform.publish_reply(target=ReplyTarget(external_id=top, author_handle="x"), text="x" * 1_251)
    assert linkedin.published() == []


def test_the_daily_throttle_is_transient_and_a_revoked_token_permanent(linkedin: FakeLinkedIn) -> None:
    linkedin.add_post(text="p")
    platform = adapter(linkedin)
    linkedin.daily_limit = 0
    with pytest.raises(TransientError, match="TOO_MANY_REQUESTS") as caught:
        platform.fetch_new(since_id=None)
    assert caught.value.retry_after == 3600
    linkedin.daily_limit = None
    linkedin.revoke_token()
    with pytest.raises(PermanentError, match="LINKEDIN_ACCESS_TOKEN"):
        platform.fetch_new(since_id=None)


def test_token_health_warns_a_week_before_the_60_day_token_expires(linkedin: FakeLinkedIn) -> None:
    platform = adapter(linkedin)
    healthy = platform.token_health()
    assert healthy.ok and healthy.warning is None and healthy.expires_at is not None
    linkedin.expire_token_in(3 * 86_400)
    soon = platform.token_health()
    assert soon.ok and soon.warning is not None and "expires in 3 days" in soon.warning
    linkedin.revoke_token()
    dead = platform.token_health()
    assert not dead.ok and dead.warning is not None and "revoked" in dead.warning
    assert "client_secret" in linkedin.calls_to("/oauth/v2/introspectToken")[0].form
    assert "authorization" not in linkedin.calls_to("/oauth/v2/introspectToken")[0].headers


def test_server_errors_are_transient_and_timeouts_are_honoured(linkedin: FakeLinkedIn) -> None:
    linkedin.add_post(text="p")
    platform = adapter(linkedin, timeout=0.5)
    linkedin.fail_next(path_contains="/rest/posts", status=504)
    with pytest.raises(TransientError, match="504"):
        platform.fetch_new(since_id=None)
    linkedin.delay(3, path_contains="/rest/posts")
    with pytest.raises(TransientError, match="in time"):
        platform.fetch_new(since_id=None)
