"""YouTube, Bluesky and LinkedIn in the running bot: polled into items, answered once, checked for health.

The real Bolt app and runtime (scheduler, relay, publisher) with google-api-python-client,
atproto and requests talking to their loopback fakes; restarts are new bots on the same database.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.message_builder.ids import ActionId
from bot.services.polling import Poller
from tests.fakes.bluesky_pds import FakeBlueskyPDS
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.slack_api import FakeSlack
from tests.fakes.youtube_api import FakeYouTube
from tests.harness import BOB, INBOX, Bot


@pytest.fixture
def networks(youtube: FakeYouTube, pds: FakeBlueskyPDS, linkedin: FakeLinkedIn) -> dict[str, Any]:
    """The settings that switch the three networks on, pointed at their fakes."""
    return {
        "youtube_channel_id": youtube.channel_id,
        "youtube_client_id": youtube.client_id,
        "youtube_client_secret": youtube.client_secret,
        "youtube_refresh_token": youtube.refresh_token,
        "youtube_api_url": youtube.url,
        "youtube_token_url": youtube.url + "/token",
        "youtube_poll_seconds": 3600,
        "bluesky_handle": pds.handle,
        "bluesky_app_password": pds.app_password,
        "bluesky_service_url": pds.url,
        "bluesky_poll_seconds": 1800,
        "linkedin_organization_id": linkedin.org.rsplit(":", 1)[1],
        "linkedin_access_token": linkedin.access_token,
        "linkedin_client_id": linkedin.client_id,
        "linkedin_client_secret": linkedin.client_secret,
        "linkedin_api_url": linkedin.url,
        "linkedin_oauth_url": linkedin.url,
        "linkedin_poll_seconds": 2700,
        "approver_slack_users": BOB,
    }


@pytest.fixture
def team(make_bot: Any, networks: dict[str, Any]) -> Bot:
    return make_bot(**networks)  # type: ignore[no-any-return]


def _top_level(bot: Bot) -> list[dict[str, Any]]:
    return [m for m in bot.item_messages() if not m.get("thread_ts")]


def _item(slack: FakeSlack, n: int) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next((m for m in slack.posted(INBOX) if m["text"].startswith(f"#{n} ")), None)
    )


def _thread_note(slack: FakeSlack, root: dict[str, Any], words: str) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if words in m.get("text", "")), None)
    )


def _ephemeral(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def _approve_twice_at_once(bot: Bot, n: int) -> None:
    calls = [
        threading.Thread(target=bot.command, args=(f"approve {n}",), kwargs={"user": BOB}) for _ in range(2)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join()


def _poller(bot: Bot, platform: str) -> Poller:
    """The one account's poller: `youtube:<channel id>`, `bluesky:<handle>`, `linkedin:<organization id>`."""
    [found] = [p for name, p in bot.runtime.pollers.items() if name.split(":")[0] == platform]
    return found


def test_each_network_polls_on_its_own_interval(
    team: Bot, youtube: FakeYouTube, pds: FakeBlueskyPDS, linkedin: FakeLinkedIn
) -> None:
    jobs = {job.id: job.trigger.interval.total_seconds() for job in team.runtime.scheduler.get_jobs()}
    organization = linkedin.org.rsplit(":", 1)[1]
    assert jobs[f"poll:youtube:{youtube.channel_id}"] == 3600
    assert jobs[f"poll:bluesky:{pds.handle}"] == 1800
    assert jobs[f"poll:linkedin:{organization}"] == 2700


def test_youtube_comments_arrive_once_across_restarts_and_a_reply_goes_out_once(
    make_bot: Any, team: Bot, slack: FakeSlack, youtube: FakeYouTube, networks: dict[str, Any]
) -> None:
    thread = youtube.add_comment(text="Is the <!channel> red one in stock?", author="@jane")
    poller = _poller(team, "youtube")
    poller.poll()  # the poll at start may be the one that finds it: either way, one item
    poller.poll()
    root = _item(slack, 1)
    assert root["text"].startswith("#1 YouTube comment from @jane") and "<!channel>" in str(root["blocks"])

    team.stop()
    later = make_bot(**networks)
    youtube.add_reply(thread_id=thread, text="also in blue?", author="@jane")
    _poller(later, "youtube").poll()  # only the new one: the cursor survived (asserted below)
    assert _item(slack, 2).get("thread_ts") == root["ts"]

    later.command("draft 1 Yes, both colours!", user=BOB)
    _thread_note(slack, root, "Draft reply")
    _approve_twice_at_once(later, 1)
    _thread_note(slack, root, "Published on YouTube")
    assert [(c["snippet"]["parentId"], c["snippet"]["textOriginal"]) for c in youtube.published()] == [
        (thread, "Yes, both colours!")
    ]
    assert [m["text"][:3] for m in slack.posted(INBOX) if m["text"].startswith("#")] == ["#1 ", "#2 "]


def test_spam_on_youtube_holds_the_comment_for_review_and_says_so(
    team: Bot, slack: FakeSlack, youtube: FakeYouTube
) -> None:
    # Not what triage would filter by itself: a person decides this one is spam.
    spam = youtube.add_comment(text="this channel copies other people's videos", author="@bot")
    other = youtube.add_comment(text="nice video", author="@fan")
    _poller(team, "youtube").poll()
    first, second = _item(slack, 1), _item(slack, 2)
    team.click(ActionId.CLOSE, selected="spam:1", user=BOB)
    note = _thread_note(slack, first, "Held for review on YouTube")
    assert youtube.moderation == {spam: "heldForReview"}
    assert "hidden" in note["text"]

    youtube.revoke()
    team.command("spam 2", user=BOB)
    failed = _thread_note(slack, second, "Could not hold the comment for review on YouTube")
    assert "YOUTUBE_REFRESH_TOKEN" in failed["text"] and other not in youtube.moderation
    _, ignored = team.command("ignore 1", user=BOB)
    assert "already" in _ephemeral(slack, ignored)


def test_bluesky_mentions_arrive_once_and_the_reply_keeps_the_thread(
    make_bot: Any, team: Bot, slack: FakeSlack, pds: FakeBlueskyPDS, networks: dict[str, Any]
) -> None:
    mention = pds.add_post(text="@shop.bsky.social open on Sunday?", handle="ann.bsky.social")
    _poller(team, "bluesky").poll()
    _poller(team, "bluesky").poll()
    root = _item(slack, 1)
    team.stop()
    later = make_bot(**networks)
    _poller(later, "bluesky").poll()
    later.command("draft 1 Yes, 10 to 4!", user=BOB)
    _thread_note(slack, root, "Draft reply")
    # Bluesky is busy: the first attempt is refused with 429 and retried after its reset.
    pds.rate_limit("createRecord", reset_in=1)
    _approve_twice_at_once(later, 1)
    _thread_note(slack, root, "Published on Bluesky")
    [reply] = pds.published()
    assert reply["value"]["text"] == "Yes, 10 to 4!"
    assert reply["value"]["reply"]["parent"]["uri"] == mention == reply["value"]["reply"]["root"]["uri"]
    assert len(_top_level(later)) == 1
    assert [m["text"][:3] for m in slack.posted(INBOX) if m["text"].startswith("#")] == ["#1 "]


def test_linkedin_comments_arrive_once_and_the_reply_is_the_organizations(
    make_bot: Any, team: Bot, slack: FakeSlack, linkedin: FakeLinkedIn, networks: dict[str, Any]
) -> None:
    post = linkedin.add_post(text="We are hiring bakers")
    comment = linkedin.add_comment(post=post, text="Is it full time?")
    _poller(team, "linkedin").poll()
    root = _item(slack, 1)
    team.stop()
    later = make_bot(**networks)
    _poller(later, "linkedin").poll()
    later.command("draft 1 Yes, 38 hours a week.", user=BOB)
    _thread_note(slack, root, "Draft reply")
    _approve_twice_at_once(later, 1)
    _thread_note(slack, root, "Published on LinkedIn")
    [reply] = linkedin.published()
    assert reply["actor"] == linkedin.org and reply["parentComment"] == comment
    assert reply["message"]["text"] == "Yes, 38 hours a week."
    assert [m["text"][:3] for m in slack.posted(INBOX) if m["text"].startswith("#")] == ["#1 "]


def _notices(slack: FakeSlack, label: str) -> list[str]:
    return [
        p["text"]
        for p in slack.posted(INBOX)
        if p.get("text", "").startswith(":") and f"*{label}*" in p["text"]
    ]


def test_health_checks_tell_once_when_a_network_stops_working_and_when_linkedins_token_nears_its_end(
    make_bot: Any,
    team: Bot,
    slack: FakeSlack,
    youtube: FakeYouTube,
    pds: FakeBlueskyPDS,
    linkedin: FakeLinkedIn,
    networks: dict[str, Any],
) -> None:
    other = make_bot(**networks)
    team.runtime.health.check_all()
    assert _notices(slack, "YouTube") == _notices(slack, "Bluesky") == _notices(slack, "LinkedIn") == []
    checks = team.http.get(team.url + "/healthz", timeout=10).json()["checks"]
    assert {name: checks[name]["ok"] for name in ("youtube", "bluesky", "linkedin")} == dict.fromkeys(
        ("youtube", "bluesky", "linkedin"), True
    )

    youtube.revoke()
    pds.app_password = "revoked-password"
    pds.expire_sessions()
    linkedin.expire_token_in(5 * 86_400)
    for bot in (team, other, team):
        bot.runtime.health.check_all()
    [yt] = _notices(slack, "YouTube")
    assert yt.startswith(":warning: *YouTube* is not working:") and "YOUTUBE_REFRESH_TOKEN" in yt
    [bs] = _notices(slack, "Bluesky")
    assert bs.startswith(":warning: *Bluesky* is not working:") and "BLUESKY_APP_PASSWORD" in bs
    [li] = _notices(slack, "LinkedIn")
    assert "access token expires on" in li and "(in 4 days)" in li and "LINKEDIN_ACCESS_TOKEN" in li

    linkedin.revoke_token()
    other.runtime.health.check_all()
    assert "is not working" in _notices(slack, "LinkedIn")[-1]
    assert team.http.get(team.url + "/healthz", timeout=10).json()["checks"]["youtube"]["ok"] is False
