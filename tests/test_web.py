"""The HTTP surface: health, request limits, and refusing odd requests without a 500."""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.storage.models import Item
from bot.web import MAX_BODY_BYTES
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import PAGE_ID, VERIFY_TOKEN, Bot


def _items(bot: Bot) -> int:
    bot.ingested()  # what the 200 stored becomes items right after it
    with bot.runtime.db.session() as session:
        return int(session.exec(select(func.count()).select_from(Item)).one())


def test_healthz_answers_when_app_and_database_do(bot: Bot) -> None:
    response = bot.http.get(bot.url + "/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) >= {"database", "slack", "x", "facebook", "instagram"}
    assert body["checks"]["database"] == {"ok": True}


def test_slack_requests_need_a_valid_fresh_signature(bot: Bot, slack: FakeSlack) -> None:
    assert bot.command("help", sign=False)[0].status_code == 401
    assert bot.command("help", signature="v0=" + "0" * 64)[0].status_code == 401
    assert bot.command("help", timestamp=int(time.time()) - 6 * 60)[0].status_code == 401
    assert slack.calls_to("chat.") == []
    assert bot.command("help")[0].status_code == 200


# -- finding 10: unauthenticated requests that gave 500 ---------------------------------------


def test_malformed_auth_headers_are_refused_not_crashed(bot: Bot) -> None:
    body = json.dumps({"object": "page", "entry": []}).encode()
    answer = bot.http.post(
        bot.url + "/webhooks/meta",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=é".encode()},
        timeout=10,
    )
    assert answer.status_code == 403
    for timestamp in ("abc", "١٢٣", "-5", ""):
        answer = bot.http.post(
            bot.url + "/slack/events",
            data=b"command=/social&text=help",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp.encode(),
                "X-Slack-Signature": "v0=abc",
            },
            timeout=10,
        )
        assert answer.status_code == 401, timestamp
    unsigned = bot.post_slack(
        b"payload=not-json", content_type="application/x-www-form-urlencoded", sign=False
    )
    assert unsigned.status_code == 401
    signed = bot.post_slack(b"payload=not-json", content_type="application/x-www-form-urlencoded")
    assert signed.status_code == 400
    signed_json = bot.post_slack(b"[1, 2", content_type="application/json")
    assert signed_json.status_code == 400
    # Found by the fuzz suite: an empty `payload=` is not "no payload" to Bolt.
    for body in (b"payload=", b"payload=&payload=", b"payload"):
        empty = bot.post_slack(body, content_type="application/x-www-form-urlencoded")
        assert empty.status_code == 400, body


# -- finding 11 -----------------------------------------------------------------------------------


def test_hub_challenge_is_plain_text(bot: Bot) -> None:
    answer = bot.http.get(
        bot.url + "/webhooks/meta",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "<script>1</script>",
        },
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "<script>1</script>"


# -- finding 9: body limits, and no request body in the log --------------------------------------


def _raw_request(bot: Bot, head: str, body: bytes = b"") -> str:
    port = int(bot.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode() + body)
        return conn.recv(4096).decode(errors="replace")


@pytest.mark.parametrize("path", ["/webhooks/meta", "/slack/events"])
def test_large_bodies_are_refused_before_they_are_read(bot: Bot, path: str) -> None:
    # Announces 200 MB and sends none of it: the answer must come without reading the body.
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    )
    assert _raw_request(bot, head).startswith("HTTP/1.1 413")
    # A chunked body is cut off at the limit.
    chunk = b"a" * (256 * 1024)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6)) + b"0\r\n\r\n"
    chunked_head = f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert _raw_request(bot, chunked_head, chunks).startswith("HTTP/1.1 413")
    # Just under the limit is read (and refused for its signature, not its size).
    small = b"x" * (MAX_BODY_BYTES - 1)
    answer = bot.http.post(
        bot.url + path, data=small, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code in (401, 403)


# -- finding 8: signed but odd Meta bodies ---------------------------------------------------------


def _feed(value: Any, *, field: str = "feed") -> dict[str, Any]:
    change: dict[str, Any] = {"field": field}
    if value is not None:
        change["value"] = value
    return change


def _comment(n: int, **extra: Any) -> dict[str, Any]:
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": f"555_{n}",
        "post_id": "555",
        "from": {"id": "42", "name": "Jane"},
        "message": f"comment {n}",
        "created_time": 1_700_000_000,
    }
    value.update(extra)
    return value


def test_odd_changes_are_skipped_and_the_rest_stored(bot: Bot, graph: FakeGraph) -> None:
    changes = [
        _feed(_comment(1, message="lone \ud800 surrogate")),
        _feed(_comment(2, message="nul \x00 byte")),
        _feed(_comment(3, created_time=10**20)),
        _feed(None),  # a change without value
        _feed(_comment(4), field="mention"),  # a field we do not watch
        _feed(_comment(5, comment_id=["not", "an", "id"])),
        _feed(_comment(6)),
        "not even an object",
    ]
    body = json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "changes": changes}]}).encode()
    answer = bot.meta(body)
    assert answer.status_code == 200
    assert _items(bot) == 4
    texts = sorted(
        m["text"] for m in bot.slack.wait_for(lambda: len(bot.item_messages()) == 4 and bot.item_messages())
    )
    assert any("lone \ufffd surrogate" in t for t in texts)
    assert any("nul \ufffd byte" in t for t in texts)
    # Redelivered, it is not refused and stores nothing twice.
    assert bot.meta(body).status_code == 200
    assert _items(bot) == 4


def test_deep_nesting_is_acknowledged_not_crashed(bot: Bot) -> None:
    body = b'{"object": "page", "entry": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    assert bot.meta(body).status_code == 200
    assert bot.meta(b"not json at all").status_code == 400
    assert _items(bot) == 0


def test_sqlite_file_deleted_under_the_bot_is_noticed(bot: Bot, graph: FakeGraph) -> None:
    if not bot.runtime.db.is_sqlite:
        pytest.skip("a SQLite file")
    path = bot.runtime.db.engine.url.database
    assert path
    os.remove(path)
    health = bot.http.get(bot.url + "/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["checks"]["database"]["ok"] is False
    body = json.dumps(
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": [_feed(_comment(9))]}]}
    ).encode()
    # Not acknowledged: Meta keeps it and redelivers.
    assert bot.meta(body).status_code == 503
