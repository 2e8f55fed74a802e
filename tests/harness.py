"""A real bot on loopback: the Bolt app behind waitress, talking to the fakes.

Tests speak to it the way Slack and Meta do: signed HTTP requests. Helpers here build
the documented payload shapes and sign them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.runtime import Runtime, build_runtime
from bot.web import create_server_for, create_web_app
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import fb_comment_change
from tests.fakes.meta_webhooks import sign as meta_sign
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX

SIGNING_SECRET = "test-signing-secret"
APP_SECRET = "test-meta-app-secret"
VERIFY_TOKEN = "test-verify-token"
INBOX = "C0INBOX"
PAGE_ID = "111111"
IG_ID = "178400000"
TEAM_TOKEN = "xoxb-test-token"
ALICE, BOB, CAROL, OWNER = "U0ALICE", "U0BOB", "U0CAROL", "U0OWNER"

_ids = itertools.count(1)


def settings_for(
    *, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": TEAM_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.url + "/api/",
        "slack_inbox_channel": INBOX,
        "port": 0,
        "database_url": database_url,
        "http_timeout_seconds": 5,
        "twitter_bearer_token": "x-bearer",
        "twitter_api_key": "x-key",
        "twitter_api_secret": "x-secret",
        "twitter_access_token": "x-access",
        "twitter_access_token_secret": "x-access-secret",
        "twitter_api_url": x_api.url,
        "twitter_poll_seconds": 3600,  # tests poll by hand unless they ask otherwise
        "meta_app_secret": APP_SECRET,
        "meta_verify_token": VERIFY_TOKEN,
        "meta_graph_url": graph.url,
        "meta_graph_version": "v21.0",
        "facebook_page_id": PAGE_ID,
        "facebook_page_token": "page-token",
        "instagram_account_id": IG_ID,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


@contextlib.contextmanager
def temporary_schema(base_url: str, *, prefix: str = "t") -> Iterator[str]:
    """A fresh PostgreSQL schema for one test or bench run; the URL points the bot's search_path at it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sql(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(sql(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def slack_signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return signature


def slack_headers(
    body: bytes,
    *,
    content_type: str,
    timestamp: int | None = None,
    signature: str | None = None,
    sign: bool = True,
) -> dict[str, str]:
    """Headers of a request from Slack: signed over the body unless told otherwise."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"Content-Type": content_type}
    if sign:
        headers["X-Slack-Request-Timestamp"] = ts
        headers["X-Slack-Signature"] = signature or slack_signature(body, ts)
    return headers


def command_body(slack: FakeSlack, text: str, *, user: str, name: str, channel: str = INBOX) -> bytes:
    """A `/social TEXT` slash command as Slack posts it; answers go to response_url `name`."""
    form = {
        "token": "legacy",
        "team_id": FakeSlack.TEAM_ID,
        "team_domain": "fakeshop",
        "channel_id": channel,
        "channel_name": "social-inbox",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/social",
        "text": text,
        "api_app_id": FakeSlack.APP_ID,
        "response_url": slack.response_url(name),
        "trigger_id": f"trigger-{name}",
    }
    return urlencode(form).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def click_payload(
    slack: FakeSlack,
    action_id: str,
    *,
    name: str,
    user: str,
    value: str | None = None,
    channel: str = INBOX,
    message_ts: str = "1.000",
    selected: str | None = None,
    block_id: str = "b",
) -> dict[str, Any]:
    """A block_actions payload: a button click, or a choice in a select menu."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "action_ts": str(time.time())}
    if selected is not None:
        action.update(
            type="static_select",
            selected_option={"value": selected, "text": {"type": "plain_text", "text": selected}},
        )
    else:
        action.update(type="button", value=value)
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": FakeSlack.TEAM_ID},
        "api_app_id": FakeSlack.APP_ID,
        "team": {"id": FakeSlack.TEAM_ID, "domain": "fakeshop"},
        "trigger_id": f"trigger-{name}",
        "channel": {"id": channel, "name": "social-inbox"},
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "message": {"type": "message", "ts": message_ts, "text": ""},
        "response_url": slack.response_url(name),
        "actions": [action],
    }


def facebook_comment(
    graph: FakeGraph,
    *,
    n: int,
    text: str,
    author_id: str = "42",
    author_name: str = "Jane Doe",
    parent_id: str | None = None,
) -> dict[str, Any]:
    """Comment `555_n` on post 555: known to the Graph fake, and the `feed` webhook Meta would send."""
    graph.add_fb_comment(
        comment_id=f"555_{n}",
        post_id="555",
        message=text,
        from_id=author_id,
        from_name=author_name,
        parent_id=parent_id,
    )
    return fb_comment_change(
        page_id=PAGE_ID,
        comment_id=f"555_{n}",
        post_id="555",
        message=text,
        from_id=author_id,
        from_name=author_name,
        parent_id=parent_id,
    )


def comment_change(n: int) -> dict[str, Any]:
    """The `feed` webhook change for comment `555_n` ("comment n" by Jane), unknown to the Graph fake."""
    return fb_comment_change(
        page_id=PAGE_ID,
        comment_id=f"555_{n}",
        post_id="555",
        message=f"comment {n}",
        from_id="42",
        from_name="Jane",
    )


class Served:
    """The bot as `bot.main` serves it: a built runtime behind waitress on 127.0.0.1 (tests and bench)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        threads: int = 8,
        wrap: Callable[[Runtime, Flask], None] | None = None,  # instrumentation, before serving
    ) -> None:
        self.settings = settings
        self.runtime: Runtime = build_runtime(settings, clock=clock)
        web = create_web_app(self.runtime)
        if wrap is not None:
            wrap(self.runtime, web)
        self.server = create_server_for(web, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._serve, name="waitress", daemon=True)

    def _serve(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the socket closes under run() on stop
            self.server.run()

    def start(self) -> None:
        self.runtime.start()
        self._thread.start()

    def stop(self) -> None:
        self.server.close()  # run() returns on its own; waiting for it would cost seconds per test
        self.runtime.stop()


class Bot(Served):
    def __init__(self, settings: Settings, *, slack: FakeSlack, clock: Clock | None = None) -> None:
        super().__init__(settings, clock=clock)
        self.slack = slack
        self.http = requests.Session()

    # -- Slack -> bot ----------------------------------------------------------------------

    def post_slack(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        sign: bool = True,
        extra_headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = slack_headers(
            body, content_type=content_type, timestamp=timestamp, signature=signature, sign=sign
        )
        headers.update(extra_headers or {})
        return self.http.post(self.url + "/slack/events", data=body, headers=headers, timeout=10)

    def command(
        self, text: str, *, user: str = ALICE, channel: str = INBOX, **kwargs: Any
    ) -> tuple[requests.Response, str]:
        """Run `/social TEXT`; returns the HTTP answer and the response_url name to read replies from."""
        name = f"cmd{next(_ids)}"
        body = command_body(self.slack, text, user=user, name=name, channel=channel)
        response = self.post_slack(body, content_type="application/x-www-form-urlencoded", **kwargs)
        if response.status_code == 200:
            # Like a person, wait for the answer before typing the next command.
            self.slack.wait_for(lambda: self.slack.responses(name), message=f"/social {text}")
        return response, name

    def interact(self, payload: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.post_slack(
            interaction_body(payload), content_type="application/x-www-form-urlencoded", **kwargs
        )

    def click(
        self,
        action_id: str,
        *,
        value: str | None = None,
        user: str = ALICE,
        channel: str = INBOX,
        message_ts: str = "1.000",
        selected: str | None = None,
        block_id: str = "b",
    ) -> tuple[requests.Response, str]:
        name = f"act{next(_ids)}"
        payload = click_payload(
            self.slack,
            action_id,
            name=name,
            user=user,
            value=value,
            channel=channel,
            message_ts=message_ts,
            selected=selected,
            block_id=block_id,
        )
        return self.interact(payload), name

    def sealed(self, metadata: dict[str, Any], *, user: str = ALICE, channel: str | None = INBOX) -> str:
        """The `private_metadata` the bot gives a modal it opens for `user` from a button in `channel`."""
        return self.runtime.services.scope.seal(json.dumps(metadata), user=user, channel=channel)

    def submit(
        self,
        callback_id: str,
        *,
        values: dict[str, dict[str, dict[str, Any]]],
        private_metadata: str = "",
        user: str = ALICE,
    ) -> requests.Response:
        payload = {
            "type": "view_submission",
            "user": {"id": user, "username": user.lower(), "team_id": FakeSlack.TEAM_ID},
            "api_app_id": FakeSlack.APP_ID,
            "team": {"id": FakeSlack.TEAM_ID, "domain": "fakeshop"},
            "trigger_id": f"trigger-view{next(_ids)}",
            "view": {
                "id": f"V{next(_ids)}",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
            },
        }
        return self.interact(payload)

    def event(self, event: dict[str, Any], **kwargs: Any) -> requests.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": FakeSlack.TEAM_ID,
                "api_app_id": FakeSlack.APP_ID,
                "type": "event_callback",
                "event_id": f"Ev{next(_ids)}",
                "event_time": int(time.time()),
                "event": event,
            }
        ).encode()
        return self.post_slack(body, content_type="application/json", **kwargs)

    def thread_message(
        self, *, channel: str, thread_ts: str, text: str, user: str = ALICE
    ) -> requests.Response:
        ts = f"{time.time():.6f}"
        return self.event(
            {
                "type": "message",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": ts,
                "thread_ts": thread_ts,
                "channel_type": "im" if channel.startswith("D") else "channel",
                "event_ts": ts,
            }
        )

    # -- Meta -> bot ---------------------------------------------------------------------

    def meta(self, payload: Any, *, signature: str | None = None, sign: bool = True) -> requests.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if sign:
            headers["X-Hub-Signature-256"] = signature or meta_sign(body, APP_SECRET)
        return self.http.post(self.url + "/webhooks/meta", data=body, headers=headers, timeout=10)

    def facebook_item(self, graph: FakeGraph, *, n: int = 1, text: str, **author: Any) -> dict[str, Any]:
        """A Facebook comment delivered by webhook, returned once its item message is in Slack."""
        assert self.meta(facebook_comment(graph, n=n, text=text, **author)).status_code == 200
        return self.slack.wait_for(
            lambda: next((m for m in self.item_messages() if m["text"].startswith(f"#{n} ")), None)
        )

    # -- reading what happened -------------------------------------------------------------

    def ingested(self, *, timeout: float | None = None) -> None:
        """Wait until every webhook delivery answered so far is an item (ingested right after the 200)."""
        extra = {} if timeout is None else {"timeout": timeout}
        self.slack.wait_for(lambda: self.runtime.inbox.pending() == 0, message="deliveries ingested", **extra)

    def item_messages(self) -> list[dict[str, Any]]:
        """Top-level item messages the bot posted to the inbox, in order."""
        return [
            p
            for p in self.slack.posted(INBOX)
            if p.get("metadata", {}).get("event_type") == "social_inbox_item"
        ]
