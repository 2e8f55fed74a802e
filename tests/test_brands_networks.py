"""More networks with brands.yml: each account's items in its brand's channel, each reply with its own credentials.

Acme has a Page with its Instagram account (so Messenger and Instagram DMs ride on them) and a
YouTube channel; Bolt has its own Page, a Bluesky account and a LinkedIn Page. The Graph fake
binds each Page token to its Page and answers the Send API only for that Page's customers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakes.bluesky_pds import FakeBlueskyPDS
from tests.fakes.graph_api import FakeGraph
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.meta_webhooks import message_event
from tests.fakes.slack_api import FakeSlack
from tests.fakes.youtube_api import FakeYouTube
from tests.harness import Bot

ACME, BOLT = "C0ACME", "C0BOLT"
ACME_BOSS, BOLT_BOSS = "U0ACMEBOSS", "U0BOLTBOSS"
ACME_PAGE, ACME_IG, BOLT_PAGE = "1111", "1784001", "3333"


@pytest.fixture
def brands_bot(
    make_bot: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    graph: FakeGraph,
    youtube: FakeYouTube,
    pds: FakeBlueskyPDS,
    linkedin: FakeLinkedIn,
) -> Bot:
    secrets = {
        "ACME_PAGE_TOKEN": "acme-page-token",
        "BOLT_PAGE_TOKEN": "bolt-page-token",
        "ACME_YT_SECRET": youtube.client_secret,
        "ACME_YT_REFRESH": youtube.refresh_token,
        "BOLT_BSKY_PASSWORD": pds.app_password,
        "BOLT_LINKEDIN_TOKEN": linkedin.access_token,
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    brands = {
        "brands": [
            {
                "key": "acme",
                "name": "Acme Bakery",
                "channel": ACME,
                "approvers": [ACME_BOSS],
                "accounts": [
                    {"platform": "facebook", "page_id": ACME_PAGE, "token": "${ACME_PAGE_TOKEN}"},
                    {"platform": "instagram", "account_id": ACME_IG, "token": "${ACME_PAGE_TOKEN}"},
                    {
                        "platform": "youtube",
                        "channel_id": youtube.channel_id,
                        "client_id": youtube.client_id,
                        "client_secret": "${ACME_YT_SECRET}",
                        "refresh_token": "${ACME_YT_REFRESH}",
                    },
                ],
            },
            {
                "key": "bolt",
                "name": "Bolt Bikes",
                "channel": BOLT,
                "approvers": [BOLT_BOSS],
                "accounts": [
                    {"platform": "facebook", "page_id": BOLT_PAGE, "token": "${BOLT_PAGE_TOKEN}"},
                    {"platform": "bluesky", "handle": pds.handle, "app_password": "${BOLT_BSKY_PASSWORD}"},
                    {
                        "platform": "linkedin",
                        "organization_id": linkedin.org.rsplit(":", 1)[1],
                        "access_token": "${BOLT_LINKEDIN_TOKEN}",
                    },
                ],
            },
        ]
    }
    path = tmp_path / "brands.yml"
    path.write_text(yaml.safe_dump(brands), encoding="utf-8")
    graph.add_page(page_id=ACME_PAGE, name="Acme", ig_user_id=ACME_IG)
    graph.add_page(page_id=BOLT_PAGE, name="Bolt")
    graph.page_token("acme-page-token", objects={ACME_PAGE})
    graph.page_token("bolt-page-token", objects={BOLT_PAGE})
    return make_bot(  # type: ignore[no-any-return]
        brands_file=path,
        youtube_api_url=youtube.url,
        youtube_token_url=youtube.url + "/token",
        bluesky_service_url=pds.url,
        linkedin_api_url=linkedin.url,
        linkedin_oauth_url=linkedin.url,
    )


def _shown_in(slack: FakeSlack, channel: str, n: int) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next((m for m in slack.posted(channel) if m.get("text", "").startswith(f"#{n} ")), None),
        message=f"#{n} in {channel}",
    )


def _ephemeral(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def _dm(
    bot: Bot, graph: FakeGraph, *, account: str, customer: str, text: str, instagram: bool = False
) -> None:
    now = datetime.now(UTC)
    mid = graph.customer_wrote(customer_id=customer, at=now, instagram=instagram, account_id=account)
    event = message_event(
        account_id=account,
        customer_id=customer,
        mid=mid,
        text=text,
        timestamp_ms=int(now.timestamp() * 1000),
        instagram=instagram,
    )
    assert bot.meta(event).status_code == 200


def _poll(bot: Bot, platform: str) -> None:
    for name, poller in bot.runtime.pollers.items():
        if name.startswith(platform + ":"):
            poller.poll()


def test_direct_messages_go_to_their_brand_and_are_answered_through_their_own_page(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    _dm(brands_bot, graph, account=BOLT_PAGE, customer="5001", text="Do you fix brakes?")
    bolt_item = _shown_in(slack, BOLT, 1)
    assert bolt_item["text"].startswith("#1 Messenger message")
    _dm(brands_bot, graph, account=ACME_IG, customer="6001", text="Vegan cakes?", instagram=True)
    _shown_in(slack, ACME, 2)

    brands_bot.command("draft 1 Yes, every weekday.", user=BOLT_BOSS, channel=BOLT)
    _, refused = brands_bot.command("approve 1", user=ACME_BOSS, channel=ACME)
    assert _ephemeral(slack, refused) == "#1 belongs to Bolt Bikes; act on it in <#C0BOLT>."
    _, ok = brands_bot.command("approve 1", user=BOLT_BOSS, channel=BOLT)
    assert "Approved #1" in _ephemeral(slack, ok)
    brands_bot.command("draft 2 Yes, on Fridays!", user=ACME_BOSS, channel=ACME)
    _, ok = brands_bot.command("approve 2", user=ACME_BOSS, channel=ACME)
    assert "Approved #2" in _ephemeral(slack, ok)
    graph.wait_for(lambda: len(graph.messages_sent()) == 2)
    sent = {m["recipient_id"]: (m["platform"], m["text"]) for m in graph.messages_sent()}
    assert sent == {
        "5001": ("messenger", "Yes, every weekday."),
        "6001": ("instagram_dm", "Yes, on Fridays!"),
    }
    pages = {c.path.split("/")[2] for c in graph.calls if c.path.endswith("/messages")}
    assert pages == {BOLT_PAGE, ACME_PAGE}  # each brand's own Page, with its own token (the fake checks)


def test_polled_networks_land_in_their_brands_channels(
    brands_bot: Bot, slack: FakeSlack, youtube: FakeYouTube, pds: FakeBlueskyPDS, linkedin: FakeLinkedIn
) -> None:
    youtube.add_comment(text="Croissants on Sunday?", author="@jane")
    _poll(brands_bot, "youtube")
    assert _shown_in(slack, ACME, 1)["text"].startswith("#1 YouTube comment")
    pds.add_post(text="@shop.bsky.social open late?", handle="ann.bsky.social")
    _poll(brands_bot, "bluesky")
    assert _shown_in(slack, BOLT, 2)["text"].startswith("#2 Bluesky mention")
    linkedin.add_comment(post=linkedin.add_post(text="New shop"), text="Where?")
    _poll(brands_bot, "linkedin")
    assert _shown_in(slack, BOLT, 3)["text"].startswith("#3 LinkedIn comment")

    brands_bot.command("draft 2 Until 8pm!", user=BOLT_BOSS, channel=BOLT)
    brands_bot.command("approve 2", user=BOLT_BOSS, channel=BOLT)
    pds.wait_for(lambda: pds.published())
    assert [p["value"]["text"] for p in pds.published()] == ["Until 8pm!"]
