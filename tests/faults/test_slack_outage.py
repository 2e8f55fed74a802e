"""Slack away for a while (503s, then connection refused), then back: all delivered, in order, once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlmodel import col, select

from bot.relay.kinds import TaskKind
from bot.storage.models import SlackTask
from tests.clock import FakeClock
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, INBOX, Bot, comment_change

# Only the Slack relay's tasks: the permalinks worker talks to the Graph fake, not to Slack, and its
# attempts (which vanish from the sum once done) must not stand in for the Slack relay trying.
_SLACK_TASKS = col(SlackTask.kind) != TaskKind.FETCH_PERMALINK.value


def _claimed(bot: Bot) -> list[int | None]:
    with bot.runtime.db.session() as session:
        return list(
            session.exec(
                select(SlackTask.id).where(col(SlackTask.claimed_until).is_not(None), _SLACK_TASKS)
            ).all()
        )


def _attempts(bot: Bot) -> int:
    with bot.runtime.db.session() as session:
        return sum(
            session.exec(select(SlackTask.attempts).where(col(SlackTask.done).is_(False), _SLACK_TASKS)).all()
        )


def _numbers(bot: Bot) -> list[str]:
    return [m["text"].split()[0] for m in bot.item_messages()]


@pytest.mark.parametrize("outage", ["503", "refused"])
def test_slack_away_then_back_delivers_everything_in_order_once(
    make_bot: Any, slack: FakeSlack, outage: str
) -> None:
    clock = FakeClock()
    bot = make_bot(clock=clock)
    assert bot.meta(comment_change(1)).status_code == 200
    slack.wait_for(lambda: _numbers(bot) == ["#1"])
    # Its answer read and recorded: an answer lost mid-flight is the one documented duplicate.
    slack.wait_for(lambda: _attempts(bot) == 0, message="#1 recorded as posted")

    if outage == "503":
        slack.set_down(True)
    else:
        slack.stop()
    for n in range(2, 7):
        assert bot.meta(comment_change(n)).status_code == 200  # stored although Slack is away
    bot.runtime.services.items.claim(item_id=1, user=ALICE)  # a note and an update for #1
    for _ in range(3):  # several rounds of the relay meeting the outage, time passing
        # An attempt in flight ends with a pause from the clock it reads: let it end first.
        slack.wait_for(lambda: not _claimed(bot), timeout=15, message="no attempt in flight")
        seen = _attempts(bot)
        clock.advance(seconds=60)
        bot.runtime.relay.wake()
        slack.wait_for(
            lambda seen=seen: _attempts(bot) > seen and not _claimed(bot),  # type: ignore[misc]
            timeout=15,  # slack_sdk retries a refused connection twice, with its own pauses
            message="the relay trying and giving the task back",
        )
    if outage == "503":
        slack.set_down(False)
    else:
        slack.start()
    # Back: within seconds, not after the longest backoff of any one task.
    clock.advance(seconds=10)
    bot.runtime.relay.wake()
    slack.wait_for(lambda: len(_numbers(bot)) == 6, timeout=20, message="every item after the outage")
    slack.wait_for(
        lambda: any(
            "claimed" in m.get("text", "") for m in slack.thread(INBOX, bot.item_messages()[0]["ts"])
        ),
        message="the claim note in #1's thread",
    )
    assert _numbers(bot) == ["#1", "#2", "#3", "#4", "#5", "#6"]
    texts = Counter(p["text"] for p in slack.posted(INBOX))
    assert all(count == 1 for count in texts.values()), texts
