"""Faults at every platform call of the publish path, on X, Facebook and Instagram.

The path is: the reply request, then (only when its answer is lost) the search for our reply.
Each fault ends in one of three places a user can see: published once, retried by itself
(the request surely never arrived), or "may not have been sent" with Retry and Mark as sent
(nobody can tell). Nothing is ever sent twice.
"""

from __future__ import annotations

import time
from typing import Any

from bot.message_builder.ids import ActionId
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import ALICE, BOB, Bot
from tests.publish_cases import (
    TEXT,
    Case,
    buttons,
    draft_and_approve,
    draft_message,
    thread_note,
    thread_text,
)


def _in_doubt(slack: FakeSlack, root: dict[str, Any]) -> str:
    note = thread_note(slack, root, "may not have been sent")
    draft = draft_message(slack, root, showing="May not have been sent")
    assert set(buttons(draft)) == {ActionId.RETRY, ActionId.MARK_SENT}
    return note


def test_reply_and_search_both_time_out_so_a_person_decides(team: Bot, slack: FakeSlack, reply: Case) -> None:
    root = reply.item(team)
    reply.fake.stall(path_contains=reply.send_path, method="POST", applied=True)
    reply.fake.stall(path_contains=reply.lookup_path, method="GET", applied=False)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    note = _in_doubt(slack, root)
    assert "could not be checked" in note and "did not answer in time" in note
    # It is on the platform, but the bot could not see it: it waits rather than guess.
    assert team.runtime.services.publisher.publish_due() == 0
    assert reply.replies() == [TEXT] and reply.sends() == 1


def test_reply_connection_reset_after_sending_is_found(team: Bot, slack: FakeSlack, reply: Case) -> None:
    root = reply.item(team)
    reply.fake.stall(path_contains=reply.send_path, method="POST", applied=True, hang_up_after=0)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    note = thread_note(slack, root, "Published")
    assert "connection" in note and "found the reply" in note
    assert reply.replies() == [TEXT] and reply.sends() == 1


def test_reply_connection_reset_before_it_was_applied_waits_for_a_person(
    team: Bot, slack: FakeSlack, reply: Case
) -> None:
    root = reply.item(team)
    reply.fake.stall(path_contains=reply.send_path, method="POST", applied=False, hang_up_after=0)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    assert "does not show it" in _in_doubt(slack, root)
    assert reply.replies() == [] and reply.sends() == 1


def test_a_5xx_on_the_reply_is_not_retried_blindly(team: Bot, slack: FakeSlack, reply: Case) -> None:
    root = reply.item(team)
    reply.fake.fail_next(path_contains=reply.send_path, status=503)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    note = _in_doubt(slack, root)
    assert "503" in note and "does not show it" in note
    assert team.runtime.services.publisher.publish_due() == 0
    assert reply.replies() == [] and reply.sends() == 1
    assert "retrying" not in thread_text(slack, root)


def test_a_rate_limited_reply_never_arrived_and_is_retried(team: Bot, slack: FakeSlack, reply: Case) -> None:
    root = reply.item(team)
    # X says when its window resets (here: at once, so the retry waits X's 1 s minimum).
    reset = {"x-rate-limit-reset": str(int(time.time()))} if isinstance(reply.fake, FakeX) else {}
    reply.fake.fail_next(path_contains=reply.send_path, status=429, headers=reset)
    team.runtime.services.publisher.base_backoff = team.runtime.services.publisher.base_backoff / 10
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    thread_note(slack, root, "retrying")
    reply.fake.wait_for(lambda: reply.replies() == [TEXT], timeout=10)
    thread_note(slack, root, "Published")
    assert reply.sends() == 2 and "may not have been sent" not in thread_text(slack, root)
