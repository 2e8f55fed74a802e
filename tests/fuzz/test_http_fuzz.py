"""Fuzzing the two endpoints the internet can reach, through the real running bot.

Random bodies and headers, signed and unsigned: never a 5xx, nothing stored from a request
that is not validly signed, and (as a real process) memory that stays bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.storage.models import AuditEvent, Item, SlackTask
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import sign
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import APP_SECRET, PAGE_ID, SIGNING_SECRET, Bot, settings_for
from tests.process import BotProcess

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_feed_value = st.fixed_dictionaries(
    {
        "item": st.sampled_from(["comment", "post", 1]),
        "verb": st.sampled_from(["add", "edited", "remove", None]),
    },
    optional={
        "comment_id": st.one_of(st.text(max_size=20), st.integers(), _json),
        "post_id": st.one_of(st.text(max_size=20), st.integers()),
        "from": st.one_of(_json, st.fixed_dictionaries({"id": st.text(max_size=8), "name": st.text()})),
        "message": st.one_of(st.text(), _json),
        "created_time": st.one_of(st.integers(), st.floats(allow_nan=False), st.text()),
        "parent_id": _json,
    },
)
_meta_payload = st.one_of(
    _json,
    st.fixed_dictionaries(
        {
            "object": st.sampled_from(["page", "instagram", "user", 7]),
            "entry": st.lists(
                st.fixed_dictionaries(
                    {
                        "id": st.sampled_from([PAGE_ID, "0", 5]),
                        "changes": st.lists(
                            st.fixed_dictionaries(
                                {"field": st.sampled_from(["feed", "comments", "mention"])},
                                optional={"value": st.one_of(_feed_value, _json)},
                            ),
                            max_size=3,
                        ),
                    }
                ),
                max_size=3,
            ),
        }
    ),
)
# Any bytes a client can put in a header value (requests refuses CR, LF and edge whitespace).
_header_text = (
    st.text(max_size=80)
    .map(lambda t: t.encode("utf-8", "surrogatepass"))
    .filter(lambda b: b == b.strip() and b"\r" not in b and b"\n" not in b and b"\x00" not in b)
)


def slack_signature(body: bytes, timestamp: str) -> str:
    # Slack's v0 scheme over raw bytes: slack_sdk's own signer only takes UTF-8 bodies.
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def _rows(bot: Bot) -> tuple[int, int, int]:
    bot.ingested()  # what the 200 stored becomes items right after it
    with bot.runtime.db.session() as session:
        return (
            int(session.exec(select(func.count()).select_from(Item)).one()),
            int(session.exec(select(func.count()).select_from(SlackTask)).one()),
            int(session.exec(select(func.count()).select_from(AuditEvent)).one()),
        )


@FUZZ
@given(
    payload=_meta_payload,
    raw=st.binary(max_size=300),
    use_raw=st.booleans(),
    signing=st.sampled_from(["valid", "none", "wrong", "garbage"]),
    garbage=_header_text,
)
def test_meta_webhook_never_5xx_and_stores_nothing_unsigned(
    bot: Bot, payload: Any, raw: bytes, use_raw: bool, signing: str, garbage: bytes
) -> None:
    body = raw if use_raw else json.dumps(payload).encode()
    headers: dict[str, Any] = {"Content-Type": "application/json"}
    if signing == "valid":
        headers["X-Hub-Signature-256"] = sign(body, APP_SECRET)
    elif signing == "wrong":
        headers["X-Hub-Signature-256"] = sign(body + b"x", APP_SECRET)
    elif signing == "garbage":
        headers["X-Hub-Signature-256"] = garbage
    before = _rows(bot)
    answer = bot.http.post(bot.url + "/webhooks/meta", data=body, headers=headers, timeout=10)
    assert answer.status_code < 500, answer.text
    if signing != "valid":
        # 400: waitress refuses a header that is not valid HTTP before we see it.
        assert answer.status_code in (400, 401, 403)
        assert _rows(bot) == before
    elif use_raw:
        assert answer.status_code in (200, 400)


_slack_body = st.one_of(
    st.binary(max_size=300),
    _json.map(lambda j: json.dumps(j).encode()),
    st.dictionaries(
        st.sampled_from(["payload", "command", "text", "user_id", "type"]), st.text(max_size=40)
    ).map(lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")),
)


@FUZZ
@given(
    body=_slack_body,
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
    ),
    signing=st.sampled_from(["valid", "none", "wrong", "garbage", "stale"]),
    timestamp=_header_text,
    signature=_header_text,
)
def test_slack_events_never_5xx_and_stores_nothing_unsigned(
    bot: Bot, body: bytes, content_type: str, signing: str, timestamp: bytes, signature: bytes
) -> None:
    now = str(int(time.time()))
    headers: dict[str, Any] = {"Content-Type": content_type}
    if signing == "valid":
        headers.update({"X-Slack-Request-Timestamp": now, "X-Slack-Signature": slack_signature(body, now)})
    elif signing == "stale":
        old = str(int(time.time()) - 600)
        headers.update({"X-Slack-Request-Timestamp": old, "X-Slack-Signature": slack_signature(body, old)})
    elif signing == "wrong":
        headers.update(
            {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": slack_signature(body + b"x", now)}
        )
    elif signing == "garbage":
        headers.update({"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
    before = _rows(bot)
    answer = bot.http.post(bot.url + "/slack/events", data=body, headers=headers, timeout=10)
    assert answer.status_code < 500, answer.text
    if signing != "valid":
        assert answer.status_code in (400, 401)
        assert _rows(bot) == before


def _peak_rss_mb(pid: int) -> float:
    """VmHWM: the most memory the process ever held, so a body read and freed still counts."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.timeout(180)
def test_memory_stays_bounded_under_large_unsigned_bodies(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("reads RSS from /proc")
    config = settings_for(database_url=database_url, slack=slack, x_api=x_api, graph=graph)
    with BotProcess(config, cwd=tmp_path, name="memory") as proc:
        session = requests.Session()
        for _ in range(3):  # warm up: first requests load code and fill pools
            session.post(proc.url + "/webhooks/meta", data=b"x" * 1000, timeout=10)
        start = _peak_rss_mb(proc.process.pid)
        just_under = b"{" * (1024 * 1024 - 1)
        over = b"x" * (100 * 1024 * 1024)
        for n in range(40):
            for path in ("/webhooks/meta", "/slack/events"):
                answer = session.post(proc.url + path, data=just_under, timeout=30)
                assert answer.status_code in (401, 403)
            if n % 15 == 0:
                try:
                    answer = session.post(proc.url + "/webhooks/meta", data=over, timeout=30)
                    assert answer.status_code == 413
                except requests.ConnectionError:
                    pass  # refused before the upload finished: the server closed the connection
                session = requests.Session()
        # 80 bodies of 1 MiB and three of 100 MB: reading any of the large ones in full, or
        # keeping the small ones, would pass this bound; a copy per request thread does not.
        assert _peak_rss_mb(proc.process.pid) - start < 60
