"""A send whose answer is lost is never repeated blindly (issue 9, item 1).

Each test runs on X, Facebook and Instagram: the real Bolt app, tweepy and facebook-sdk
against the fakes, with HTTP_TIMEOUT_SECONDS at 1 s. A fake "stall" holds the reply request
and never answers it; with `applied` the platform did the work before going quiet.
"""

from __future__ import annotations

from datetime import timedelta

from bot.message_builder.ids import ActionId
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, Bot
from tests.publish_cases import (
    TEXT,
    Case,
    buttons,
    draft_and_approve,
    draft_message,
    ephemeral,
    item_state,
    thread_note,
    thread_text,
)


def test_an_answer_lost_after_the_platform_applied_it_is_found_and_published_once(
    team: Bot, slack: FakeSlack, reply: Case
) -> None:
    root = reply.item(team)
    reply.fake.stall(path_contains=reply.send_path, method="POST", applied=True)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)

    note = thread_note(slack, root, "Published")
    assert "found the reply" in note and "did not answer in time" in note
    slack.wait_for(lambda: "Replied" in item_state(slack, root))
    draft_message(slack, root, showing="published")
    assert reply.replies() == [TEXT]
    assert reply.sends() == 1
    assert reply.fake.calls_to(reply.lookup_path, "GET")  # it looked before deciding
    assert "may not have been sent" not in thread_text(slack, root)


def test_a_lost_request_waits_for_a_person_and_retry_sends_it_once(
    team: Bot, slack: FakeSlack, reply: Case
) -> None:
    root = reply.item(team)
    reply.fake.stall(path_contains=reply.send_path, method="POST", applied=False)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)

    note = thread_note(slack, root, "may not have been sent")
    assert "does not show it" in note and "Retry" in note and "Mark as sent" in note
    draft = draft_message(slack, root, showing="May not have been sent")
    assert set(buttons(draft)) == {ActionId.RETRY, ActionId.MARK_SENT}
    # Nothing more happens on its own: not the outbox, not the crash sweep.
    publisher = team.runtime.services.publisher
    assert publisher.publish_due() == 0 and publisher.recover_interrupted() == 0
    assert reply.sends() == 1 and reply.replies() == []

    _, refused = team.click(ActionId.RETRY, value=buttons(draft)[ActionId.RETRY], user=ALICE)
    assert "Only approvers can retry" in ephemeral(slack, refused)
    assert reply.sends() == 1

    team.click(ActionId.RETRY, value=buttons(draft)[ActionId.RETRY], user=BOB)
    reply.fake.wait_for(lambda: reply.replies() == [TEXT])
    thread_note(slack, root, "Published")
    slack.wait_for(lambda: "Replied" in item_state(slack, root))
    _, late = team.click(ActionId.RETRY, value=buttons(draft)[ActionId.RETRY], user=BOB)
    assert "nothing to retry" in ephemeral(slack, late)
    assert reply.replies() == [TEXT] and reply.sends() == 2


def test_mark_as_sent_records_it_without_sending(team: Bot, slack: FakeSlack, reply: Case) -> None:
    root = reply.item(team)
    reply.fake.stall(path_contains=reply.send_path, method="POST", applied=False)
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    draft = draft_message(slack, root, showing="May not have been sent")
    value = buttons(draft)[ActionId.MARK_SENT]

    _, refused = team.click(ActionId.MARK_SENT, value=value, user=ALICE)
    assert "Only approvers can mark as sent" in ephemeral(slack, refused)
    draft_message(slack, root, showing="May not have been sent")

    team.click(ActionId.MARK_SENT, value=value, user=BOB)
    note = thread_note(slack, root, "marked the reply as sent")
    assert f"<@{BOB}>" in note and "without a link" in note
    slack.wait_for(lambda: "Replied" in item_state(slack, root))
    shown = draft_message(slack, root, showing="marked as sent (no link)")
    assert buttons(shown) == {}
    _, again = team.click(ActionId.MARK_SENT, value=value, user=BOB)
    assert "not waiting for a decision" in ephemeral(slack, again)
    _, retry = team.click(ActionId.RETRY, value=value, user=BOB)
    assert "nothing to retry" in ephemeral(slack, retry)
    assert reply.sends() == 1 and reply.replies() == []


def test_a_refused_connection_never_arrived_and_is_retried_by_itself(
    team: Bot, slack: FakeSlack, reply: Case
) -> None:
    root = reply.item(team)
    team.runtime.services.publisher.base_backoff = timedelta(milliseconds=200)
    reply.fake.stop()  # the port refuses connections
    draft_and_approve(team, slack, root, approver=BOB, author=ALICE)
    assert "could not be reached" in thread_note(slack, root, "retrying")
    reply.fake.start()
    reply.fake.wait_for(lambda: reply.replies() == [TEXT], timeout=15)
    thread_note(slack, root, "Published")
    assert reply.sends() == 1
    assert "may not have been sent" not in thread_text(slack, root)
