"""The App Home tab, through the real Bolt app: what each person sees, and acting from it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from bot.message_builder.ids import ActionId
from bot.storage.models import Account, Item
from tests.clock import FakeClock
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, INBOX, OWNER, Bot, click_payload

_names = itertools.count(1)


def _open_home(bot: Bot, slack: FakeSlack, user: str) -> dict[str, Any]:
    before = len(_published(slack, user))
    response = bot.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
    assert response.status_code == 200
    return slack.wait_for(lambda: len(_published(slack, user)) > before and _published(slack, user)[-1])


def _published(slack: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [
        v["view"] for v in slack.view_updates() if v["method"] == "views.publish" and v["user_id"] == user
    ]


def _click_in_home(bot: Bot, slack: FakeSlack, action_id: str, *, value: str, user: str) -> None:
    """A button in the Home tab: Slack sends the view, and no channel, message or response_url."""
    payload = click_payload(slack, action_id, name=f"home{next(_names)}", user=user, value=value)
    for key in ("channel", "message", "response_url"):
        payload.pop(key)
    payload["container"] = {"type": "view", "view_id": f"VHOME{user}"}
    payload["view"] = {"id": f"VHOME{user}", "type": "home", "blocks": [], "private_metadata": ""}
    assert bot.interact(payload).status_code == 200


def _sections(view: dict[str, Any]) -> dict[str, str]:
    """Each header's title, and everything shown under it until the next header."""
    shown: dict[str, str] = {}
    title = ""
    for block in view["blocks"]:
        if block["type"] == "header":
            title = block["text"]["text"]
            shown[title] = ""
        elif title:
            shown[title] += str(block)
    return shown


def _buttons(view: dict[str, Any], block_id: str) -> list[tuple[str, str]]:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return [(e["action_id"], e.get("value") or e.get("url", "")) for e in block["elements"]]


def _check_limits(view: dict[str, Any]) -> None:
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)


def test_home_shows_claims_queue_approvals_questions_and_scheduled_sends(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot: Bot = make_bot(owner_slack_user=OWNER, approver_slack_users=BOB)
    roots = [bot.facebook_item(graph, n=n, text=f"question {n} <!channel>") for n in (1, 2, 3, 4)]
    bot.command("claim 1", user=ALICE)
    bot.command("draft 2 Yes, we do!", user=ALICE)
    bot.command("ask-owner 3 Can we refund this?", user=ALICE)
    bot.command("draft 4 See you Friday", user=ALICE)
    bot.command("schedule 4 in 2 hours", user=ALICE)
    bot.command("approve 4", user=BOB)

    alice = _open_home(bot, slack, ALICE)
    _check_limits(alice)
    shown = _sections(alice)
    assert "Drafts awaiting your approval" not in shown  # Alice is not an approver
    assert "#1" in shown["Claimed by you"] and "#2" not in shown["Claimed by you"]
    assert "1 in all" in shown["Claimed by you"]
    queue = shown["Open items, oldest first"]
    assert "4 in all" in queue
    assert queue.index("#1") < queue.index("#2") < queue.index("#3") < queue.index("#4")
    assert "left to first reply" in queue  # the clock
    assert "&lt;!channel&gt;" in queue and "<!channel>" not in queue  # never pings
    assert "#3" in shown["Questions waiting for the owner"]
    assert "#4" in shown["Scheduled replies"] and "See you Friday" in shown["Scheduled replies"]
    # Alice claimed #1: Reply and Open in channel; #2 she may also Claim.
    link = f"https://slack.com/archives/{INBOX}/p{roots[0]['ts'].replace('.', '')}"
    assert _buttons(alice, "home:item:1") == [(ActionId.REPLY, "1"), (ActionId.OPEN_IN_CHANNEL, link)]
    assert [a for a, _ in _buttons(alice, "home:item:2")] == [
        ActionId.REPLY,
        ActionId.CLAIM,
        ActionId.OPEN_IN_CHANNEL,
    ]

    bob = _open_home(bot, slack, BOB)
    _check_limits(bob)
    approvals = _sections(bob)["Drafts awaiting your approval"]
    assert "#2" in approvals and "Yes, we do!" in approvals
    draft_block = next(
        b["block_id"] for b in bob["blocks"] if b.get("block_id", "").startswith("home:draft:")
    )
    assert _buttons(bob, draft_block)[0][0] == ActionId.APPROVE

    owner = _open_home(bot, slack, OWNER)
    question_block = next(b for b in owner["blocks"] if b.get("block_id", "").startswith("home:question:"))
    assert question_block["elements"][0]["action_id"] == ActionId.ANSWER


def test_claiming_from_home_claims_the_item_and_re_publishes_the_tab(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot: Bot = make_bot()
    root = bot.facebook_item(graph, n=1, text="Hello?")
    before = _open_home(bot, slack, ALICE)
    assert "Nothing here" in _sections(before)["Claimed by you"]

    _click_in_home(bot, slack, ActionId.CLAIM, value="1", user=ALICE)

    after = slack.wait_for(lambda: len(_published(slack, ALICE)) == 2 and _published(slack, ALICE)[-1])
    assert "#1" in _sections(after)["Claimed by you"]
    slack.wait_for(lambda: f"Claimed by <@{ALICE}>" in str(slack.message(INBOX, root["ts"])["blocks"]))  # type: ignore[index]


def test_a_refused_action_from_home_says_why_in_the_tab(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot: Bot = make_bot(approver_slack_users=BOB)
    bot.facebook_item(graph, n=1, text="Hello?")
    bot.command("draft 1 Hi!", user=ALICE)
    _open_home(bot, slack, ALICE)

    _click_in_home(bot, slack, ActionId.APPROVE, value="1", user=ALICE)

    after = slack.wait_for(lambda: len(_published(slack, ALICE)) == 2 and _published(slack, ALICE)[-1])
    assert "Only approvers can approve" in str(after["blocks"][0])


def test_home_stays_within_100_blocks_with_thousands_of_open_items(
    make_bot: Any, slack: FakeSlack, database_url: str
) -> None:
    clock = FakeClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    bot: Bot = make_bot(clock=clock, approver_slack_users=ALICE)
    with bot.runtime.db.session() as session:
        account = Account(platform="facebook", external_id="page", slack_channel=INBOX)
        session.add(account)
        session.flush()
        session.add_all(
            Item(
                platform="facebook",
                external_id=f"c{n}",
                account_id=account.id or 0,
                author_name=f"author {n}",
                text="x" * 5000,
                received_at=datetime(2026, 1, 1, tzinfo=UTC).replace(minute=n % 60, second=n // 60 % 60),
                claimed_by=ALICE if n % 2 else None,
            )
            for n in range(1, 2001)
        )

    view = _open_home(bot, slack, ALICE)

    _check_limits(view)
    shown = _sections(view)
    assert "2000 in all; the oldest 10 shown" in shown["Open items, oldest first"]
    assert "1000 in all; the oldest 8 shown" in shown["Claimed by you"]
