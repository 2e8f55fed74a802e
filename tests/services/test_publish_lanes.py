"""A reply approved now is not queued behind other customers' slow scheduled sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, INBOX, Bot

START = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
SCHEDULED = 5  # more than the publisher's whole pool used to be (4 threads)


def _thread_text(slack: FakeSlack, root: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in slack.thread(INBOX, root["ts"]))


def test_an_approval_is_published_while_scheduled_sends_to_other_customers_hang(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    clock = FakeClock(START)
    # A timeout longer than the test: only the release below ends the hanging sends.
    bot: Bot = make_bot(clock=clock, http_timeout_seconds=60)
    scheduled = []
    for n in range(1, SCHEDULED + 1):
        scheduled.append(
            bot.facebook_item(graph, n=n, text="When is the sale?", author_id=str(40 + n), author_name="Jane")
        )
        bot.command(f"draft {n} The sale starts Friday!", user=ALICE)
        bot.command(f"schedule {n} in 10 minutes", user=ALICE)
        bot.command(f"approve {n}", user=BOB)
    fresh = bot.facebook_item(
        graph, n=SCHEDULED + 1, text="Do you ship to Canada?", author_id="99", author_name="Sam"
    )
    bot.command(f"draft {SCHEDULED + 1} Yes, we ship to Canada!", user=ALICE)
    # Facebook takes the scheduled replies and never answers.
    hang = graph.stall(
        path_contains="/comments", method="POST", applied=False, count=SCHEDULED, body_contains="Friday"
    )
    try:
        clock.advance(minutes=11)
        graph.wait_for(lambda: hang.remaining <= SCHEDULED - 4, timeout=30, message="scheduled sends hang")

        bot.command(f"approve {SCHEDULED + 1}", user=BOB)

        graph.wait_for(lambda: graph.fb_replies(), timeout=30, message="the approved reply reached Facebook")
        slack.wait_for(lambda: "Published" in _thread_text(slack, fresh), timeout=30)
        assert [r["message"] for r in graph.fb_replies()] == ["Yes, we ship to Canada!"]
        assert not hang.released.is_set()  # the scheduled sends were still waiting for Facebook
        assert all("Published" not in _thread_text(slack, root) for root in scheduled)
    finally:
        hang.release()
    # Their answers lost, the scheduled replies wait for a person rather than being sent again.
    for root in scheduled:
        slack.wait_for(lambda root=root: "may not have been sent" in _thread_text(slack, root), timeout=30)
    assert [r["message"] for r in graph.fb_replies()] == ["Yes, we ship to Canada!"]
