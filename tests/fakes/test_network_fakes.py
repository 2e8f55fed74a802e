"""The YouTube, Bluesky and LinkedIn fakes refuse what the real services refuse."""

from __future__ import annotations

from urllib.parse import quote

import requests

from tests.fakes.bluesky_pds import FakeBlueskyPDS
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.youtube_api import FakeYouTube


def _yt_token(fake: FakeYouTube) -> str:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": fake.refresh_token,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    return str(requests.post(fake.url + "/token", data=form, timeout=5).json()["access_token"])


def test_youtube_needs_a_token_a_parent_and_text(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="q")
    url = youtube.url + "/youtube/v3/comments?part=snippet"
    assert (
        requests.post(url, json={"snippet": {"parentId": thread, "textOriginal": "a"}}, timeout=5).status_code
        == 401
    )
    auth = {"Authorization": f"Bearer {_yt_token(youtube)}"}
    no_parent = requests.post(url, json={"snippet": {"textOriginal": "a"}}, headers=auth, timeout=5)
    assert no_parent.status_code == 400
    assert no_parent.json()["error"]["errors"][0]["reason"] == "invalidCommentMetadata"
    empty = requests.post(
        url, json={"snippet": {"parentId": thread, "textOriginal": ""}}, headers=auth, timeout=5
    )
    assert empty.json()["error"]["errors"][0]["reason"] == "commentTextRequired"
    assert youtube.published() == []


def test_youtube_charges_the_quota_per_call(youtube: FakeYouTube) -> None:
    thread = youtube.add_comment(text="q")
    auth = {"Authorization": f"Bearer {_yt_token(youtube)}"}
    youtube.daily_quota = 51
    body = {"snippet": {"parentId": thread, "textOriginal": "a"}}
    assert requests.post(
        youtube.url + "/youtube/v3/comments?part=snippet", json=body, headers=auth, timeout=5
    ).ok
    assert youtube.quota_used == 50
    list_url = f"{youtube.url}/youtube/v3/commentThreads?part=snippet&allThreadsRelatedToChannelId={youtube.channel_id}"
    assert requests.get(list_url, headers=auth, timeout=5).ok
    spent = requests.get(list_url, headers=auth, timeout=5)
    assert spent.status_code == 403 and spent.json()["error"]["errors"][0]["reason"] == "quotaExceeded"


def test_bluesky_refuses_weak_reply_refs_and_other_repos(pds: FakeBlueskyPDS) -> None:
    root = pds.add_post(text="q", handle="ann.bsky.social")
    session = requests.post(
        pds.url + "/xrpc/com.atproto.server.createSession",
        json={"identifier": pds.handle, "password": pds.app_password},
        timeout=5,
    ).json()
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}
    record = {
        "$type": "app.bsky.feed.post",
        "text": "a",
        "createdAt": "2026-01-01T00:00:00Z",
        "reply": {
            "root": {"uri": root, "cid": "bafyreiwrong"},
            "parent": {"uri": root, "cid": "bafyreiwrong"},
        },
    }
    url = pds.url + "/xrpc/com.atproto.repo.createRecord"
    body = {"repo": pds.did, "collection": "app.bsky.feed.post", "record": record}
    wrong_cid = requests.post(url, json=body, headers=auth, timeout=5)
    assert wrong_cid.status_code == 400 and wrong_cid.json()["error"] == "InvalidRecord"
    other = requests.post(url, json={**body, "repo": "did:plc:someoneelse"}, headers=auth, timeout=5)
    assert other.status_code == 400
    assert requests.post(url, json=body, timeout=5).status_code == 401
    assert pds.published() == []


def test_linkedin_needs_its_version_and_protocol_headers_and_acts_only_as_the_page(
    linkedin: FakeLinkedIn,
) -> None:
    post = linkedin.add_post(text="p")
    url = f"{linkedin.url}/rest/socialActions/{quote(post, safe='')}/comments"
    body = {"actor": linkedin.org, "object": post, "message": {"text": "hi"}}
    auth = {"Authorization": f"Bearer {linkedin.access_token}"}
    no_version = requests.post(url, json=body, headers=auth, timeout=5)
    assert no_version.status_code == 400 and no_version.json()["code"] == "VERSION_MISSING"
    headers = {**auth, "LinkedIn-Version": "202510"}
    assert (
        requests.post(url, json=body, headers=headers, timeout=5).status_code == 400
    )  # no Rest.li 2.0 header
    headers["X-Restli-Protocol-Version"] = "2.0.0"
    as_person = requests.post(url, json={**body, "actor": "urn:li:person:me"}, headers=headers, timeout=5)
    assert as_person.status_code == 403
    created = requests.post(url, json=body, headers=headers, timeout=5)
    assert created.status_code == 201 and created.headers["x-restli-id"].startswith("urn:li:comment:(")
