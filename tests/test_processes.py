"""Real processes: `python -m bot` killed with -9, restarted, and run twice on one database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import (
    ALICE,
    APP_SECRET,
    BOB,
    INBOX,
    facebook_comment,
    settings_for,
)
from tests.process import BotProcess

# Slack tasks a killed process had claimed wait this long (60 s by default) before another runs them.
RELAY_LEASE = 10


@pytest.mark.timeout(180)  # may wait out the killed process's Slack-task lease
def test_kill_dash_nine_restart_and_two_processes_publish_each_scheduled_reply_once(
    tmp_path: Path, database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    settings = settings_for(
        database_url=database_url,
        slack=slack,
        x_api=x_api,
        graph=graph,
        approver_slack_users=BOB,
        twitter_poll_seconds=3600,
        relay_lease_seconds=RELAY_LEASE,
    )
    with BotProcess(settings, cwd=tmp_path, name="a") as first:
        first.meta(facebook_comment(graph, n=1, text="question 1", author_name="Jane"), app_secret=APP_SECRET)
        first.meta(facebook_comment(graph, n=2, text="question 2", author_name="Jane"), app_secret=APP_SECRET)
        slack.wait_for(lambda: len([p for p in slack.posted(INBOX) if "question" in p.get("text", "")]) == 2)
        # Reply 1: scheduled and approved on one process, which is then killed before its time.
        assert "posted" in first.command(slack, "draft 1 Answer one", user=ALICE, name="d1")
        scheduled_1 = time.time()
        assert "scheduled" in first.command(slack, "schedule 1 in 12 seconds", user=ALICE, name="s1")
        assert "Approved" in first.command(slack, "approve 1", user=BOB, name="a1")
        # Reply 2: for the two-process case.
        assert "posted" in first.command(slack, "draft 2 Answer two", user=ALICE, name="d2")
        scheduled_2 = time.time()
        assert "scheduled" in first.command(slack, "schedule 2 in 14 seconds", user=ALICE, name="s2")
        first.kill()
    with (
        BotProcess(settings, cwd=tmp_path, name="b") as second,
        BotProcess(settings, cwd=tmp_path, name="c") as third,
    ):
        assert "Approved" in third.command(slack, "approve 2", user=BOB, name="a2")
        graph.wait_for(lambda: len(graph.fb_replies()) == 2, timeout=20)
        posts: dict[str, float] = {
            c.form["message"]: c.at for c in graph.calls_to("/comments") if c.method == "POST"
        }
        # "in N seconds" counts from when the command ran; both went out on time, not early.
        assert 12 <= posts["Answer one"] - scheduled_1 <= 12 + 2 + 1, posts
        assert 14 <= posts["Answer two"] - scheduled_2 <= 14 + 2 + 1, posts
        # Slack tasks the killed process had claimed wait out their lease before another process
        # runs them: the thread notes may be late, never lost.
        slack.wait_for(
            lambda: sum("Published" in p.get("text", "") for p in slack.posted(INBOX)) == 2, timeout=75
        )
        second.terminate()
    # A restart after publication repeats nothing.
    with BotProcess(settings, cwd=tmp_path, name="d") as fourth:
        requests.get(fourth.url + "/healthz", timeout=5)
        time.sleep(1.5)  # let its scheduler sweep run; there is no event for "did nothing"
        assert sorted(r["message"] for r in graph.fb_replies()) == ["Answer one", "Answer two"]
        assert fourth.terminate() == 0
