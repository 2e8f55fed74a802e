"""The HTTP surface: health, and Slack's request signatures."""

from __future__ import annotations

import time

from tests.fakes.slack_api import FakeSlack
from tests.harness import Bot


def test_healthz_answers_when_app_and_database_do(bot: Bot) -> None:
    response = bot.http.get(bot.url + "/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["platforms"] == ["facebook", "instagram", "x"]


def test_slack_requests_need_a_valid_fresh_signature(bot: Bot, slack: FakeSlack) -> None:
    assert bot.command("help", sign=False)[0].status_code == 401
    assert bot.command("help", signature="v0=" + "0" * 64)[0].status_code == 401
    assert bot.command("help", timestamp=int(time.time()) - 6 * 60)[0].status_code == 401
    assert slack.calls_to("chat.") == []
    assert bot.command("help")[0].status_code == 200
