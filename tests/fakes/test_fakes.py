"""Self-tests: the real slack_sdk, tweepy and facebook-sdk clients work against the fakes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import facebook
import pytest
import requests
import tweepy
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes import FakeGraph, FakeServer, FakeSlack, FakeX, forbid_network, meta_webhooks

BOT_TOKEN = "xoxb-test-token"


class RewriteSession(requests.Session):
    """Sends requests aimed at a platform's real host to the fake instead."""

    def __init__(self, real_prefix: str, fake_prefix: str) -> None:
        super().__init__()
        self.real_prefix, self.fake_prefix = real_prefix, fake_prefix

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        url = str(url)
        if url.startswith(self.real_prefix):
            url = self.fake_prefix + url[len(self.real_prefix) :]
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with forbid_network():
        yield


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def x() -> Iterator[FakeX]:
    with FakeX() as fake:
        yield fake


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(access_token="page-token") as fake:
        yield fake


def web_client(fake: FakeSlack, **kwargs: Any) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake.url + "/api/", **kwargs)


def x_client(fake: FakeX) -> tweepy.Client:
    client = tweepy.Client(
        bearer_token="AAAA-bearer",
        consumer_key="ck",
        consumer_secret="cs",
        access_token="1000-at",
        access_token_secret="ats",
    )
    client.session = RewriteSession("https://api.twitter.com", fake.url)
    return client


def graph_client(fake: FakeGraph, token: str = "page-token") -> facebook.GraphAPI:
    client = facebook.GraphAPI(
        access_token=token, session=RewriteSession("https://graph.facebook.com/", fake.url + "/")
    )
    client.version = "v21.0"
    return client


# --------------------------------------------------------------------------------------- base


def test_wait_for_times_out_with_recent_calls() -> None:
    with FakeSlack() as fake:
        web_client(fake).auth_test()
        with pytest.raises(AssertionError, match=r"auth\.test"):
            fake.wait_for(lambda: False, timeout=0.2, message="never")


def test_wait_for_wakes_on_request(slack: FakeSlack) -> None:
    import threading

    threading.Timer(0.05, lambda: web_client(slack).chat_postMessage(channel="C1", text="hi")).start()
    assert slack.wait_for(lambda: slack.posted("C1"), timeout=2)[0]["text"] == "hi"


def test_fail_next_down_and_delay(slack: FakeSlack) -> None:
    client = web_client(slack)
    slack.fail_next(path_contains="chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 500
    assert client.chat_postMessage(channel="C1", text="x")["ok"]

    slack.set_down(True)
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response.status_code == 503
    slack.set_down(False)

    slack.delay(0.2, path_contains="auth.test")
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2
    slack.reset()
    assert slack.calls == []


def test_stop_closes_the_port() -> None:
    fake = FakeServer().start()
    url = fake.url
    assert requests.get(url + "/x", timeout=2).status_code == 404
    fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/x", timeout=2)


def test_network_guard_blocks_non_loopback() -> None:
    import socket

    with pytest.raises(ConnectionRefusedError, match="not loopback"), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))


# --------------------------------------------------------------------------------------- slack


def test_slack_post_update_thread_and_permalink(slack: FakeSlack) -> None:
    client = web_client(slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*new comment*"}}]
    first = client.chat_postMessage(channel="C1", text="card", blocks=blocks)
    assert first["channel"] == "C1" and first["message"]["blocks"] == blocks
    reply = client.chat_postMessage(channel="C1", text="in thread", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])

    client.chat_update(channel="C1", ts=first["ts"], text="card (sent)", blocks=[])
    updated = slack.message("C1", first["ts"])
    assert updated is not None and updated["text"] == "card (sent)"
    assert slack.updates("C1", first["ts"])[0]["blocks"] == []
    assert [m["text"] for m in slack.thread("C1", first["ts"])] == ["in thread"]
    assert slack.posted("C1")[0]["blocks"] == blocks

    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="C1", ts="1.000001", text="nope")

    link = client.chat_getPermalink(channel="C1", message_ts=first["ts"])["permalink"]
    assert link == f"https://fake.slack.com/archives/C1/p{first['ts'].replace('.', '')}"


def test_slack_form_encoded_blocks_are_decoded(slack: FakeSlack) -> None:
    blocks = [{"type": "divider"}]
    web_client(slack).api_call("chat.postMessage", params={"channel": "C9", "blocks": json.dumps(blocks)})
    assert slack.posted("C9")[0]["blocks"] == blocks


def test_slack_dm_users_ephemeral_views_and_respond(slack: FakeSlack) -> None:
    client = web_client(slack)
    slack.set_user("U42", tz="Europe/Berlin", name="ana")
    user = client.users_info(user="U42")["user"]
    assert user["tz"] == "Europe/Berlin" and user["name"] == "ana" and user["tz_offset"] in (3600, 7200)
    assert client.users_info(user="U7")["user"]["tz"] == "America/New_York"

    assert client.chat_postMessage(channel="U42", text="dm")["channel"] == "D42"
    assert client.conversations_open(users="U42")["channel"]["id"] == "D42"
    assert client.chat_postEphemeral(channel="C1", user="U42", text="psst")["message_ts"]
    assert slack.ephemerals("U42")[0]["text"] == "psst"

    view = {"type": "modal", "title": {"type": "plain_text", "text": "Edit"}, "blocks": []}
    opened = client.views_open(trigger_id="123.456", view=view)["view"]
    client.views_update(view_id=opened["id"], view=view)
    assert slack.views_opened()[0]["view"]["title"]["text"] == "Edit"
    assert slack.view_updates()[0]["view_id"] == opened["id"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id="", view=view)

    WebhookClient(slack.response_url("r1")).send(text="done", replace_original=True)
    assert slack.responses("r1") == [{"text": "done", "replace_original": True}]


def test_slack_auth_and_unknown_method(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError, match="not_authed"):
        WebClient(base_url=slack.url + "/api/").auth_test()
    assert web_client(slack).auth_test()["user_id"] == "U0BOT"
    with pytest.raises(SlackApiError, match="unknown_method"):
        web_client(slack).api_call("no.such")


def test_slack_rate_limit_is_retried(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", count=1, retry_after=0)
    client = web_client(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert client.chat_postMessage(channel="C1", text="eventually")["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 2

    slack.rate_limit("chat.postMessage", count=1, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        web_client(slack).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"


# --------------------------------------------------------------------------------------- X


def test_x_mentions_since_id_expansions_and_pagination(x: FakeX) -> None:
    client = x_client(x)
    old = x.add_mention(text="@shop old", username="bob", name="Bob")
    ids = [x.add_mention(text=f"@shop hi {i}", username="ann", name="Ann") for i in range(6)]
    me = client.get_me().data
    assert (me.id, me.username) == (1000, "shop")

    page = client.get_users_mentions(
        "1000",
        since_id=old,
        max_results=5,
        expansions=["author_id"],
        tweet_fields=["created_at", "conversation_id", "author_id"],
        user_fields=["username"],
    )
    assert [t.id for t in page.data] == [int(i) for i in reversed(ids)][:5]
    assert page.includes["users"][0].username == "ann"
    assert page.data[0].created_at is not None
    assert page.meta["newest_id"] == ids[-1] and "next_token" in page.meta
    rest = client.get_users_mentions(
        "1000", since_id=old, max_results=5, pagination_token=page.meta["next_token"]
    )
    assert [t.id for t in rest.data] == [int(ids[0])]
    assert "next_token" not in rest.meta
    assert client.get_users_mentions("1000", since_id=ids[-1]).meta == {"result_count": 0}
    with pytest.raises(tweepy.BadRequest):
        client.get_users_mentions("1000", max_results=1)


def test_x_reply_needs_user_context_and_may_be_refused(x: FakeX) -> None:
    client = x_client(x)
    mention = x.add_mention(text="@shop where is my order?", username="ann", name="Ann")
    created = client.create_tweet(text="@ann on its way!", in_reply_to_tweet_id=mention)
    assert created.data["edit_history_tweet_ids"] == [created.data["id"]]
    published = x.published()[0]
    assert published["in_reply_to_tweet_id"] == mention and published["conversation_id"] == mention
    assert x.calls_to("/2/tweets", "POST")[0].headers["authorization"].startswith("OAuth ")

    with pytest.raises(tweepy.Forbidden, match=r"Unsupported Authentication|OAuth 2\.0 Application-Only"):
        client.create_tweet(text="nope", user_auth=False)

    stranger = x.add_mention(text="not really a mention", username="zed", name="Zed")
    x.refuse_replies_to(stranger)
    with pytest.raises(tweepy.Forbidden) as err:
        client.create_tweet(text="hello", in_reply_to_tweet_id=stranger)
    assert "not been mentioned or otherwise engaged" in err.value.api_messages[0]


def test_x_rate_limit_headers(x: FakeX) -> None:
    x.rate_limit("/mentions", reset_in=60, count=1)
    client = x_client(x)
    with pytest.raises(tweepy.TooManyRequests) as err:
        client.get_users_mentions("1000")
    assert err.value.response.headers["x-rate-limit-remaining"] == "0"
    assert err.value.reset_time is not None and err.value.reset_time > time.time()
    assert client.get_users_mentions("1000").meta == {"result_count": 0}


# --------------------------------------------------------------------------------------- Graph


def test_graph_get_reply_and_errors(graph: FakeGraph) -> None:
    graph.add_fb_comment(
        comment_id="222_333", post_id="111_222", message="Do you ship to Spain?", from_id="9", from_name="Eva"
    )
    client = graph_client(graph)
    comment = client.get_object("222_333", fields="id,message,from{id,name},permalink_url,created_time")
    assert comment["from"] == {"id": "9", "name": "Eva"} and comment["message"] == "Do you ship to Spain?"
    assert comment["created_time"].endswith("+0000")

    created = client.put_object("222_333", "comments", message="Yes, we do!")
    assert created["id"].startswith("222_")
    assert graph.fb_replies() == [
        {
            "platform": "facebook",
            "edge": "comments",
            "parent_id": "222_333",
            "message": "Yes, we do!",
            "id": created["id"],
            "request": {"message": "Yes, we do!"},
        }
    ]
    assert graph_client(graph).get_object(created["id"], fields="parent{id}")["parent"] == {"id": "222_333"}

    graph.delete("222_333")
    with pytest.raises(facebook.GraphAPIError) as err:
        client.get_object("222_333")
    assert err.value.code == 100 and err.value.result["error"]["error_subcode"] == 33

    with pytest.raises(facebook.GraphAPIError) as err:
        graph_client(graph, token="wrong").get_object("111_222")
    assert err.value.code == 190

    with pytest.raises(facebook.GraphAPIError, match="nonexisting field"):
        client.get_object("111_222", fields="id,bogus")


def test_graph_instagram_reply_and_transient_failure(graph: FakeGraph) -> None:
    graph.add_ig_media(media_id="1790001", permalink="https://www.instagram.com/p/abc/")
    graph.add_ig_comment(
        comment_id="1780001", media_id="1790001", text="love it", username="kim", from_id="55"
    )
    client = graph_client(graph)
    assert (
        client.get_object("1790001", fields="id,permalink")["permalink"] == "https://www.instagram.com/p/abc/"
    )
    assert client.get_object("1780001", fields="id,text,username,timestamp")["username"] == "kim"

    graph.fail_transient("/replies")
    with pytest.raises(facebook.GraphAPIError) as err:
        client.put_object("1780001", "replies", message="thanks!")
    assert err.value.code == 2 and err.value.result["error"]["is_transient"] is True
    reply = client.put_object("1780001", "replies", message="thanks!")
    assert graph.ig_replies()[0]["id"] == reply["id"] and graph.ig_replies()[0]["parent_id"] == "1780001"


# --------------------------------------------------------------------------------------- webhooks


def test_meta_webhook_builders_and_signature() -> None:
    fb = meta_webhooks.fb_comment_change(
        page_id="1",
        comment_id="2_3",
        post_id="1_2",
        message="hi",
        from_id="9",
        from_name="Eva",
        created_time=10,
    )
    value = fb["entry"][0]["changes"][0]["value"]
    assert value["parent_id"] == "1_2" and value["item"] == "comment" and value["verb"] == "add"
    ig = meta_webhooks.ig_comment_change(
        ig_account_id="17",
        comment_id="5",
        media_id="6",
        text="yo",
        username="kim",
        from_id="55",
        parent_id="4",
    )
    assert ig["entry"][0]["changes"][0]["value"]["parent_id"] == "4"
    both = meta_webhooks.batch(fb, fb)
    assert len(both["entry"]) == 2
    with pytest.raises(ValueError):
        meta_webhooks.batch(fb, ig)

    body = meta_webhooks.encode(fb)
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert meta_webhooks.sign(body, "secret") == f"sha256={expected}"
