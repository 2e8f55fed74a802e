"""Real processes: `python -m bot` killed with -9, restarted, and run twice on one database."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import signed_headers
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import (
    ALICE,
    APP_SECRET,
    BOB,
    INBOX,
    command_body,
    facebook_comment,
    settings_for,
    slack_headers,
)
from tests.process import BotProcess


def _command(proc: BotProcess, slack: FakeSlack, text: str, *, user: str, name: str) -> str:
    body = command_body(slack, text, user=user, name=name)
    answer = requests.post(
        proc.url + "/slack/events",
        data=body,
        timeout=10,
        headers=slack_headers(body, content_type="application/x-www-form-urlencoded"),
    )
    assert answer.status_code == 200
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1]["text"]))


def _comment(proc: BotProcess, graph: FakeGraph, n: int) -> None:
    body = json.dumps(facebook_comment(graph, n=n, text=f"question {n}", author_name="Jane")).encode()
    answer = requests.post(
        proc.url + "/webhooks/meta",
        data=body,
        timeout=10,
        headers=signed_headers(body, APP_SECRET),
    )
    assert answer.status_code == 200


@pytest.mark.timeout(240)  # may wait out the killed process's 60 s Slack-task lease
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
    )
    with BotProcess(settings, cwd=tmp_path, name="a") as first:
        _comment(first, graph, 1)
        _comment(first, graph, 2)
        slack.wait_for(lambda: len([p for p in slack.posted(INBOX) if "question" in p.get("text", "")]) == 2)
        # Reply 1: scheduled and approved on one process, which is then killed before its time.
        assert "posted" in _command(first, slack, "draft 1 Answer one", user=ALICE, name="d1")
        scheduled_1 = time.time()
        assert "scheduled" in _command(first, slack, "schedule 1 in 12 seconds", user=ALICE, name="s1")
        assert "Approved" in _command(first, slack, "approve 1", user=BOB, name="a1")
        # Reply 2: for the two-process case.
        assert "posted" in _command(first, slack, "draft 2 Answer two", user=ALICE, name="d2")
        scheduled_2 = time.time()
        assert "scheduled" in _command(first, slack, "schedule 2 in 14 seconds", user=ALICE, name="s2")
        first.kill()
    with (
        BotProcess(settings, cwd=tmp_path, name="b") as second,
        BotProcess(settings, cwd=tmp_path, name="c") as third,
    ):
        assert "Approved" in _command(third, slack, "approve 2", user=BOB, name="a2")
        graph.wait_for(lambda: len(graph.fb_replies()) == 2, timeout=20)
        posts: dict[str, float] = {
            c.form["message"]: c.at for c in graph.calls_to("/comments") if c.method == "POST"
        }
        # "in N seconds" counts from when the command ran; both went out on time, not early.
        assert 12 <= posts["Answer one"] - scheduled_1 <= 12 + 2 + 1, posts
        assert 14 <= posts["Answer two"] - scheduled_2 <= 14 + 2 + 1, posts
        # Slack tasks the killed process had claimed wait out their 60 s lease before another
        # process runs them: the thread notes may be late, never lost.
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
