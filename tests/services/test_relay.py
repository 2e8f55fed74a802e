"""The relay to Slack: nothing lost to 429s, outages or restarts."""

from __future__ import annotations

from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.harness import comment_change


def test_slack_rate_limit_delays_but_never_drops(make_bot: Any, slack: FakeSlack) -> None:
    bot = make_bot()
    slack.rate_limit("chat.postMessage", count=4, retry_after=1)
    for n in range(1, 4):
        assert bot.meta(comment_change(n)).status_code == 200
    slack.wait_for(lambda: len(bot.item_messages()) == 3, timeout=15)
    assert [m["text"].split()[0] for m in bot.item_messages()] == ["#1", "#2", "#3"]
    limited = [c for c in slack.calls_to("chat.postMessage")]
    assert len(limited) >= 3 + 4


def test_slack_outage_keeps_items_until_slack_is_back(make_bot: Any, slack: FakeSlack) -> None:
    bot = make_bot()
    slack.set_down(True)
    assert bot.meta(comment_change(1)).status_code == 200  # stored although Slack is down
    slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= 1)
    slack.set_down(False)
    slack.wait_for(lambda: len(bot.item_messages()) == 1, timeout=15)


def test_a_restart_posts_what_was_stored_but_not_shown(make_bot: Any, slack: FakeSlack) -> None:
    first = make_bot()
    first.runtime.relay.stop()  # as if the bot died right after storing
    assert first.meta(comment_change(1)).status_code == 200
    first.stop()
    assert slack.calls_to("chat.postMessage") == []
    second = make_bot()
    slack.wait_for(lambda: len(second.item_messages()) == 1)
    second.runtime.relay.drain()
    assert len(second.item_messages()) == 1


def test_two_processes_post_each_item_once(make_bot: Any, slack: FakeSlack) -> None:
    one, two = make_bot(), make_bot()
    for n in range(1, 11):
        (one if n % 2 else two).meta(comment_change(n))
    slack.wait_for(lambda: len(one.item_messages()) == 10, timeout=15)
    one.runtime.relay.drain()
    two.runtime.relay.drain()
    assert sorted(m["text"].split()[0] for m in one.item_messages()) == sorted(f"#{n}" for n in range(1, 11))
