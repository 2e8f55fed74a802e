"""X mentions: polled with a stored since_id, shown once, across restarts and rate limits."""

from __future__ import annotations

from typing import Any

from tests.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import INBOX


def test_mentions_arrive_with_author_link_and_expansions(
    make_bot: Any, slack: FakeSlack, x_api: FakeX
) -> None:
    tweet = x_api.add_mention(text="@shop is the store open today?", username="jdoe", name="Jane Doe")
    bot = make_bot()  # polls once at start
    message = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    rendered = str(message["blocks"])
    assert "X mention" in rendered and "Jane Doe" in rendered and "@jdoe" in rendered
    assert "https://x.com/jdoe" in rendered
    assert f"https://x.com/jdoe/status/{tweet}" in rendered
    assert message["text"].startswith("#1 X mention from Jane Doe (@jdoe)")


def test_polling_again_and_restarting_repeat_nothing_and_skip_nothing(
    make_bot: Any, slack: FakeSlack, x_api: FakeX
) -> None:
    x_api.add_mention(text="@shop first", username="a", name="A")
    first = make_bot()  # polls once at start
    first.runtime.pollers["x"].poll()
    slack.wait_for(lambda: len(first.item_messages()) == 1)
    first.stop()

    x_api.add_mention(text="@shop second", username="b", name="B")
    x_api.add_mention(text="@shop third", username="c", name="C")
    second = make_bot()
    second.runtime.pollers["x"].poll()
    slack.wait_for(lambda: len(second.item_messages()) == 3)
    second.runtime.relay.drain()
    assert len(second.item_messages()) == 3
    texts = [m["text"] for m in second.item_messages()]
    assert ["first" in texts[0], "second" in texts[1], "third" in texts[2]] == [True, True, True]
    # The next poll asks X only for what is newer than the last mention stored.
    second.runtime.pollers["x"].poll()
    assert x_api.calls_to("/mentions")[-1].query.get("since_id") == x_api.mention_ids()[-1]


def test_the_poller_runs_on_its_own_every_interval(make_bot: Any, slack: FakeSlack, x_api: FakeX) -> None:
    bot = make_bot(twitter_poll_seconds=1)
    x_api.add_mention(text="@shop hello", username="a", name="A")
    slack.wait_for(lambda: len(bot.item_messages()) == 1)
    x_api.add_mention(text="@shop again", username="b", name="B")
    slack.wait_for(lambda: len(bot.item_messages()) == 2, timeout=5)


def test_rate_limit_pauses_polling_until_reset(make_bot: Any, slack: FakeSlack, x_api: FakeX) -> None:
    bot = make_bot()
    x_api.add_mention(text="@shop hi", username="a", name="A")
    x_api.rate_limit("/mentions", reset_in=120)
    poller = bot.runtime.pollers["x"]
    assert poller.poll() == 0
    calls = len(x_api.calls_to("/mentions"))
    assert poller.poll() == 0  # paused: X is not asked again before the reset
    assert len(x_api.calls_to("/mentions")) == calls
    assert bot.http.get(bot.url + "/healthz").status_code == 200


def test_a_failing_x_is_retried_with_backoff_and_the_rest_unaffected(
    make_bot: Any, slack: FakeSlack, x_api: FakeX
) -> None:
    x_api.set_down(True)
    clock = FakeClock()
    bot = make_bot(clock=clock)  # its first poll meets the outage
    poller = bot.runtime.pollers["x"]
    x_api.wait_for(lambda: x_api.calls_to("/2/"), message="the first poll")
    # Polls take turns: this one runs after the one at start, and one of them met the outage.
    assert poller.poll() == 0
    calls = len(x_api.calls_to("/2/"))
    assert poller.poll() == 0  # backing off: X is not asked again yet
    assert len(x_api.calls_to("/2/")) == calls
    assert bot.http.get(bot.url + "/healthz").status_code == 200
    x_api.set_down(False)
    clock.advance(minutes=16)  # longer than any backoff
    x_api.add_mention(text="@shop back", username="a", name="A")
    assert poller.poll() == 1
    slack.wait_for(lambda: len(bot.item_messages()) == 1)


def test_a_reply_to_a_shown_mention_lands_in_its_thread(
    make_bot: Any, slack: FakeSlack, x_api: FakeX
) -> None:
    first = x_api.add_mention(text="@shop question", username="a", name="A")
    bot = make_bot()
    root = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    x_api.add_mention(text="@shop follow-up", username="a", name="A", in_reply_to_tweet_id=first)
    bot.runtime.pollers["x"].poll()
    thread = slack.wait_for(lambda: slack.thread(INBOX, root["ts"]))
    assert "follow-up" in thread[0]["text"]
    assert len(bot.item_messages()) == 2 and bot.item_messages()[1]["thread_ts"] == root["ts"]
