"""Replies end to end: drafted in Slack, approved by an approver, published once on the platform."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.storage.models import AuditEvent, Draft, DraftStatus, Item
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import ig_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import ALICE, BOB, CAROL, IG_ID, INBOX, Bot


@pytest.fixture
def team(make_bot: Any) -> Bot:
    """Bob is the only approver; Alice and Carol are team members."""
    return make_bot(approver_slack_users=BOB)  # type: ignore[no-any-return]


def _fb_item(bot: Bot, slack: FakeSlack, graph: FakeGraph, *, n: int = 1) -> dict[str, Any]:
    return bot.facebook_item(graph, n=n, text="Do you ship to Canada?")


def _ig_item(bot: Bot, slack: FakeSlack, graph: FakeGraph) -> dict[str, Any]:
    graph.add_ig_comment(
        comment_id="1790", media_id="1789", text="Is this vegan?", username="sam", from_id="77"
    )
    bot.meta(
        ig_comment_change(
            ig_account_id=IG_ID,
            comment_id="1790",
            media_id="1789",
            text="Is this vegan?",
            username="sam",
            from_id="77",
        )
    )
    root: dict[str, Any] = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    # Replied to in its thread next: the bot must have recorded the message Slack shows.
    items = bot.runtime.services.items
    slack.wait_for(lambda: items.item_in_thread(channel=INBOX, thread_ts=root["ts"]), message="recorded")
    return root


def _x_item(bot: Bot, slack: FakeSlack, x_api: FakeX) -> tuple[dict[str, Any], str]:
    tweet = x_api.add_mention(text="@shop when do you open?", username="jdoe", name="Jane Doe")
    bot.runtime.pollers["x"].poll()
    return slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0]), tweet


def _draft_message(slack: FakeSlack, root: dict[str, Any]) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next(
            (m for m in reversed(slack.thread(INBOX, root["ts"])) if "Draft reply" in m.get("text", "")), None
        )
    )


def _button(message: dict[str, Any], action_id: ActionId) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {message['blocks']}")


def _ephemeral(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def _state(slack: FakeSlack, root: dict[str, Any]) -> str:
    return str(slack.message(INBOX, root["ts"])["blocks"])  # type: ignore[index]


def test_x_reply_by_button_and_modal_is_refused_to_a_member_then_published_once(
    team: Bot, slack: FakeSlack, x_api: FakeX
) -> None:
    root, tweet = _x_item(team, slack, x_api)
    team.click(ActionId.REPLY, value=_button(root, ActionId.REPLY), user=ALICE)
    opened = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])
    view = opened["view"]
    assert view["callback_id"] == ViewId.REPLY
    assert "when do you open?" in str(view["blocks"]) and "280" in str(view["blocks"])
    answer = team.submit(
        ViewId.REPLY,
        private_metadata=view["private_metadata"],
        user=ALICE,
        values={
            BlockId.REPLY_TEXT: {
                INPUT_ACTION: {"type": "plain_text_input", "value": "We open at 9am, see you!"}
            }
        },
    )
    assert answer.status_code == 200 and answer.text == ""
    draft = _draft_message(slack, root)
    assert "We open at 9am" in str(draft["blocks"])
    slack.wait_for(lambda: "Draft awaiting approval" in _state(slack, root))

    _, refused = team.click(ActionId.APPROVE, value=_button(draft, ActionId.APPROVE), user=ALICE)
    assert "Only approvers can approve" in _ephemeral(slack, refused)
    assert x_api.published() == []

    team.click(ActionId.APPROVE, value=_button(draft, ActionId.APPROVE), user=BOB)
    published = x_api.wait_for(lambda: x_api.published())
    assert [(p["text"], p["in_reply_to_tweet_id"]) for p in published] == [
        ("We open at 9am, see you!", tweet)
    ]
    note = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "Published" in m["text"]), None)
    )
    assert f"<@{BOB}>" in note["text"] and f"https://x.com/shop/status/{published[0]['id']}" in note["text"]
    slack.wait_for(lambda: "Replied" in _state(slack, root))
    # A second click, late, publishes nothing more.
    _, late = team.click(ActionId.APPROVE, value=_button(draft, ActionId.APPROVE), user=BOB)
    assert "already published" in _ephemeral(slack, late)
    assert len(x_api.published()) == 1


def test_facebook_reply_by_command_with_approve_command(
    team: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = _fb_item(team, slack, graph)
    _, name = team.command(
        "draft 1 Yes, we ship to Canada <https://shop.example/ca|shop.example/ca>", user=ALICE
    )
    assert "posted in its thread" in _ephemeral(slack, name)
    _draft_message(slack, root)
    _, refused = team.command("approve #1", user=CAROL)
    assert "Only approvers" in _ephemeral(slack, refused)
    _, ok = team.command("approve 1", user=BOB)
    assert "Approved #1" in _ephemeral(slack, ok)
    replies = graph.wait_for(lambda: graph.fb_replies())
    assert [(r["parent_id"], r["message"]) for r in replies] == [
        ("555_1", "Yes, we ship to Canada shop.example/ca")
    ]
    slack.wait_for(lambda: "Replied" in _state(slack, root))


def test_instagram_reply_from_a_thread_message(team: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    root = _ig_item(team, slack, graph)
    team.thread_message(
        channel=INBOX, thread_ts=root["ts"], text="Yes! 100% plant based :seedling:", user=CAROL
    )
    draft = _draft_message(slack, root)
    assert graph.ig_replies() == []  # a thread message is only a draft
    team.click(ActionId.APPROVE, value=_button(draft, ActionId.APPROVE), user=BOB)
    replies = graph.wait_for(lambda: graph.ig_replies())
    assert [(r["parent_id"], r["message"]) for r in replies] == [("1790", "Yes! 100% plant based :seedling:")]
    slack.wait_for(lambda: "Replied" in _state(slack, root))


def test_transient_failures_are_retried_and_publish_once(
    team: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = _fb_item(team, slack, graph)
    # Throttling (code 4) refuses before any work; a 5xx on a write would leave the outcome unknown.
    graph.fail_next(path_contains="/555_1/comments", status=429, count=2)
    team.runtime.services.publisher.base_backoff = timedelta(milliseconds=50)  # keep the test quick
    team.command("draft 1 On its way!", user=ALICE)
    _draft_message(slack, root)
    team.command("approve 1", user=BOB)
    graph.wait_for(lambda: graph.fb_replies(), timeout=10)
    slack.wait_for(lambda: "Replied" in _state(slack, root), timeout=10)
    thread = " ".join(m["text"] for m in slack.thread(INBOX, root["ts"]))
    assert "retrying (attempt 2 of 5)" in thread
    assert len(graph.fb_replies()) == 1
    assert len([c for c in graph.calls_to("/555_1/comments") if c.method == "POST"]) == 3


def test_two_approvers_at_once_publish_once(make_bot: Any, slack: FakeSlack, graph: FakeGraph) -> None:
    one, two = make_bot(), make_bot()  # two bot processes on one database
    root = _fb_item(one, slack, graph)
    one.command("draft 1 Thanks!", user=ALICE)
    draft = _draft_message(slack, root)
    value = _button(draft, ActionId.APPROVE)
    clicks = [
        threading.Thread(target=bot.click, args=(ActionId.APPROVE,), kwargs={"value": value, "user": user})
        for bot, user in ((one, BOB), (two, CAROL), (one, ALICE), (two, BOB))
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    graph.wait_for(lambda: graph.fb_replies())
    one.runtime.services.publisher.publish_due()
    two.runtime.services.publisher.publish_due()
    assert len(graph.fb_replies()) == 1


def test_permanent_failure_is_shown_with_retry(team: Bot, slack: FakeSlack, x_api: FakeX) -> None:
    root, tweet = _x_item(team, slack, x_api)
    x_api.refuse_replies_to(tweet)
    team.command("draft 1 Hello there", user=ALICE)
    _draft_message(slack, root)
    team.command("approve 1", user=BOB)
    failed = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "failed" in m["text"]), None)
    )
    assert "only accepts replies to accounts that mentioned" in failed["text"]
    slack.wait_for(lambda: "Failed" in _state(slack, root))
    draft = slack.wait_for(
        lambda: next(
            (
                m
                for m in slack.thread(INBOX, root["ts"])
                if "Draft reply" in m["text"] and "Retry" in str(m["blocks"])
            ),
            None,
        )
    )
    _, refused = team.click(ActionId.RETRY, value=_button(draft, ActionId.RETRY), user=ALICE)
    assert "Only approvers" in _ephemeral(slack, refused)
    x_api.accept_replies_to(tweet)
    team.click(ActionId.RETRY, value=_button(draft, ActionId.RETRY), user=BOB)
    x_api.wait_for(lambda: x_api.published())
    slack.wait_for(lambda: "Replied" in _state(slack, root))


def test_reject_with_reason_tells_the_drafter_and_blocks_approval(
    team: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = _fb_item(team, slack, graph)
    team.command("draft 1 lol no", user=ALICE)
    draft = _draft_message(slack, root)
    team.click(ActionId.REJECT, value=_button(draft, ActionId.REJECT), user=BOB)
    modal = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])["view"]
    team.submit(
        ViewId.REJECT,
        private_metadata=modal["private_metadata"],
        user=BOB,
        values={BlockId.REASON: {INPUT_ACTION: {"type": "plain_text_input", "value": "Too casual for us"}}},
    )
    note = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "rejected" in m["text"]), None)
    )
    assert f"<@{ALICE}>" in note["text"] and "Too casual" in note["text"]
    _, late = team.command("approve 1", user=BOB)
    assert "no draft waiting" in _ephemeral(slack, late)
    _, click = team.click(ActionId.APPROVE, value=_button(draft, ActionId.APPROVE), user=BOB)
    assert "rejected" in _ephemeral(slack, click)
    assert graph.fb_replies() == []


def test_edit_reopens_the_draft_and_replaces_it(team: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    root = _fb_item(team, slack, graph)
    team.command("draft 1 Yes we do", user=ALICE)
    first = _draft_message(slack, root)
    team.click(ActionId.EDIT, value=_button(first, ActionId.EDIT), user=CAROL)
    modal = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])["view"]
    text_block = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.REPLY_TEXT)
    assert text_block["element"]["initial_value"] == "Yes we do"
    team.submit(
        ViewId.REPLY,
        private_metadata=modal["private_metadata"],
        user=CAROL,
        values={
            BlockId.REPLY_TEXT: {
                INPUT_ACTION: {"type": "plain_text_input", "value": "Yes, we ship to Canada!"}
            }
        },
    )
    slack.wait_for(lambda: "Replaced by a newer draft" in str(slack.message(INBOX, first["ts"])["blocks"]))
    _, old = team.click(ActionId.APPROVE, value=_button(first, ActionId.APPROVE), user=BOB)
    assert "replaced by a newer one" in _ephemeral(slack, old)
    team.command("approve 1", user=BOB)
    replies = graph.wait_for(lambda: graph.fb_replies())
    assert [r["message"] for r in replies] == ["Yes, we ship to Canada!"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("draft 1", "The reply is empty"),
        ("draft 9 hello", "There is no item #9"),
        ("draft hello", "Say which item"),
        ("approve", "Say which item"),
        ("approve 1", "Only approvers can approve"),
        ("frobnicate 1", "I don't know `frobnicate`"),
        ("assign 1 bob", "Say who"),
        ("draft 1 " + "a" * 250 + " https://example.com/" + "x" * 40, "that reply is 274"),
    ],
)
def test_bad_commands_say_what_is_wrong_and_change_nothing(
    team: Bot, slack: FakeSlack, x_api: FakeX, command: str, expected: str
) -> None:
    _x_item(team, slack, x_api)
    if "274" in expected:
        # 250 + space + one link (counted as 23) = 274: within 280, so this one is accepted.
        _, name = team.command(command, user=ALICE)
        assert "posted in its thread" in _ephemeral(slack, name)
        _, name = team.command("draft 1 " + "a" * 260 + " https://example.com/", user=ALICE)
        assert "284 characters; X allows 280 (every link counts as 23)" in _ephemeral(slack, name)
        return
    with team.runtime.db.session() as session:
        before = session.exec(select(Draft)).all()
    _, name = team.command(command, user=ALICE)
    assert expected in _ephemeral(slack, name)
    with team.runtime.db.session() as session:
        assert session.exec(select(Draft)).all() == before


def test_approving_with_no_draft_says_so(team: Bot, slack: FakeSlack, x_api: FakeX) -> None:
    _x_item(team, slack, x_api)
    _, name = team.command("approve 1", user=BOB)
    assert "has no draft waiting" in _ephemeral(slack, name)


def test_modal_errors_are_shown_on_the_field(team: Bot, slack: FakeSlack, x_api: FakeX) -> None:
    _x_item(team, slack, x_api)
    answer = team.submit(
        ViewId.REPLY,
        private_metadata=team.sealed({"item_id": 1}, user=ALICE),
        user=ALICE,
        values={BlockId.REPLY_TEXT: {INPUT_ACTION: {"type": "plain_text_input", "value": "x" * 281}}},
    )
    assert answer.json()["response_action"] == "errors"
    assert "281 characters" in answer.json()["errors"][BlockId.REPLY_TEXT]


def test_claim_assign_ignore_and_inbox(team: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    root = _fb_item(team, slack, graph, n=1)
    _fb_item(team, slack, graph, n=2)
    team.click(ActionId.CLAIM, value="1", user=ALICE)
    slack.wait_for(lambda: f"Claimed by <@{ALICE}>" in _state(slack, root))
    _, name = team.command(f"assign 1 <@{CAROL}|carol>", user=ALICE)
    assert f"<@{CAROL}>" in _ephemeral(slack, name)
    slack.wait_for(lambda: f"Claimed by <@{CAROL}>" in _state(slack, root))
    _, name = team.command("inbox", user=ALICE)
    listing = str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["blocks"])
    assert listing.index("#1") < listing.index("#2") and f"<@{CAROL}>" in listing
    team.click(ActionId.CLOSE, selected="spam:2", user=ALICE)
    team.command("ignore 1", user=ALICE)
    slack.wait_for(lambda: "Ignored" in _state(slack, root))
    _, name = team.command("draft 1 too late", user=ALICE)
    assert "already ignored" in _ephemeral(slack, name)
    _, name = team.command("inbox", user=ALICE)
    assert "Nothing open" in str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1]))


def test_every_step_is_in_the_audit_trail(team: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    root = _fb_item(team, slack, graph)
    team.command("draft 1 Thanks!", user=ALICE)
    _draft_message(slack, root)
    team.command("approve 1", user=BOB)
    graph.wait_for(lambda: graph.fb_replies())

    def trail() -> list[tuple[str, str]]:
        with team.runtime.db.session() as session:
            events = session.exec(select(AuditEvent).where(AuditEvent.item_id == 1).order_by(AuditEvent.id))
            return [(e.action, e.actor) for e in events.all()]

    # "published" is written just after the platform call returns.
    slack.wait_for(lambda: len(trail()) >= 4)
    assert trail() == [("received", "facebook"), ("drafted", ALICE), ("approved", BOB), ("published", BOB)]


def test_a_send_interrupted_by_a_crash_is_looked_up_not_resent(
    team: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    root = _fb_item(team, slack, graph)
    team.command("draft 1 Thanks!", user=ALICE)
    _draft_message(slack, root)
    with team.runtime.db.session() as session:  # as a process that died mid-call leaves it
        draft = session.exec(select(Draft)).one()
        draft.status, draft.decided_by = DraftStatus.PUBLISHING, BOB
        draft.claimed_until = team.runtime.clock.now() - timedelta(seconds=1)
        session.add(draft)
    assert team.runtime.services.publisher.recover_interrupted() == 1
    note = slack.wait_for(
        lambda: next(
            (m for m in slack.thread(INBOX, root["ts"]) if "may not have been sent" in m["text"]), None
        )
    )
    assert "the bot stopped mid-send, and Facebook does not show it" in note["text"]
    team.runtime.services.publisher.publish_due()
    assert graph.fb_replies() == []
    with team.runtime.db.session() as session:
        assert session.get(Item, 1).state == "failed"  # type: ignore[union-attr]
