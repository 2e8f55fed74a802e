"""kill -9 mid-send: a new process looks on the platform once the lease runs out, and never resends.

A real `python -m bot` sends two replies; the platform holds both requests (the first one
applied, the second not) while the process is killed. A second process starts, and after the
send lease (4 x HTTP_TIMEOUT_SECONDS + 5 s) finds the first reply and asks a person about the
second. Slack tasks the killed process had claimed for these items (their notes follow them)
wait out the relay's lease, shortened here to RELAY_LEASE seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.base import FakeServer
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import ig_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import (
    ALICE,
    APP_SECRET,
    BOB,
    IG_ID,
    INBOX,
    facebook_comment,
    settings_for,
)
from tests.process import BotProcess
from tests.publish_cases import PLATFORMS

RELAY_LEASE = 10


def _bring_items(
    platform: str, proc: BotProcess, x_api: FakeX, graph: FakeGraph
) -> tuple[FakeServer, list[str]]:
    """Items #1 and #2 on `platform`; returns its fake and the path each reply is sent to."""
    if platform == "x":
        for n in (1, 2):
            x_api.add_mention(text=f"@shop question {n}", username="jdoe", name="Jane Doe")
        return x_api, ["/2/tweets", "/2/tweets"]  # told apart by their text
    if platform == "facebook":
        for n in (1, 2):
            proc.meta(facebook_comment(graph, n=n, text=f"question {n}"), app_secret=APP_SECRET)
        return graph, ["/555_1/comments", "/555_2/comments"]
    for n in (1, 2):
        comment = str(1790 + n)
        graph.add_ig_comment(
            comment_id=comment, media_id="1789", text=f"question {n}", username="sam", from_id="77"
        )
        proc.meta(
            ig_comment_change(
                ig_account_id=IG_ID,
                comment_id=comment,
                media_id="1789",
                text=f"question {n}",
                username="sam",
                from_id="77",
            ),
            app_secret=APP_SECRET,
        )
    return graph, ["/1791/replies", "/1792/replies"]


def _root(slack: FakeSlack, n: int) -> dict[str, Any] | None:
    return next((p for p in slack.posted(INBOX) if p.get("text", "").startswith(f"#{n} ")), None)


def _thread(slack: FakeSlack, n: int) -> str:
    root = _root(slack, n)
    if root is None:
        return ""
    return "\n".join(m.get("text", "") + str(m.get("blocks", "")) for m in slack.thread(INBOX, root["ts"]))


def _sent(fake: FakeServer, platform: str) -> list[str]:
    if isinstance(fake, FakeX):
        return [p["text"] for p in fake.published()]
    assert isinstance(fake, FakeGraph)
    return [r["message"] for r in (fake.fb_replies() if platform == "facebook" else fake.ig_replies())]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_kill_dash_nine_mid_send_then_a_new_process_looks_on_the_platform(
    platform: str, tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    settings = settings_for(
        database_url=database_url,
        slack=slack,
        x_api=x_api,
        graph=graph,
        approver_slack_users=BOB,
        http_timeout_seconds=2,
        twitter_poll_seconds=1,
        relay_lease_seconds=RELAY_LEASE,
    )
    with BotProcess(settings, cwd=tmp_path, name="first") as first:
        fake, paths = _bring_items(platform, first, x_api, graph)
        slack.wait_for(lambda: _root(slack, 1) and _root(slack, 2), timeout=15)
        held = [
            fake.stall(path_contains=paths[0], method="POST", applied=True, body_contains="Reply-1"),
            fake.stall(path_contains=paths[1], method="POST", applied=False, body_contains="Reply-2"),
        ]
        # Scheduled, so both go out together once Slack shows the approvals: the killed process
        # then holds no Slack task for these items (another process would wait out its lease).
        for n in (1, 2):
            assert "posted" in first.command(slack, f"draft {n} Reply-{n}", user=ALICE, name=f"d{n}")
            assert "scheduled" in first.command(slack, f"schedule {n} in 4 seconds", user=ALICE, name=f"s{n}")
            assert "Approved" in first.command(slack, f"approve {n}", user=BOB, name=f"a{n}")
        for n in (1, 2):
            slack.wait_for(
                lambda n=n: "scheduled for" in _thread(slack, n) and "Approved by" in _thread(slack, n)
            )
        for stall in held:
            assert stall.arrived.wait(15), "the reply request never reached the platform"
        first.kill()
    for stall in held:
        stall.release()
    assert _sent(fake, platform) == ["Reply-1"]  # the platform applied the first only

    with BotProcess(settings, cwd=tmp_path, name="second") as second:
        slack.wait_for(lambda: "found the reply" in _thread(slack, 1), timeout=90, message="item 1 published")
        slack.wait_for(
            lambda: "may not have been sent" in _thread(slack, 2), timeout=30, message="item 2 in doubt"
        )
        assert "Published" in _thread(slack, 1)
        assert "bot stopped mid-send" in _thread(slack, 2)
        assert _sent(fake, platform) == ["Reply-1"]
        assert sum(len(fake.calls_to(path, "POST")) for path in set(paths)) == 2  # nothing resent
        assert second.terminate() == 0
