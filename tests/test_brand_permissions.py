"""Permission is checked on the server at every action: a forged id never reaches another brand.

Two brands from a brands file (tests/test_brands_e2e.py's Acme and Bolt, Bolt with an owner
here) through the real Bolt app with signed requests. Each forged button value or modal
`private_metadata` names Bolt's item, draft or question from Acme's side; the user sees the
refusal, and nothing is stored, posted, sent or opened.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select

from bot.message_builder import strings
from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.storage.models import Draft, DraftStatus, Item, OwnerQuestion, SlackTask
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import Bot, click_payload
from tests.test_brands_e2e import (
    ACME,
    ACME_BOSS,
    ACME_OWNER,
    ACME_PAGE,
    BOLT,
    BOLT_BOSS,
    BOLT_PAGE,
    BRANDS,
    MEMBER,
    _answer,
    _fb,
    _item,
    _shown_in,
    start_brands_bot,
)

BOLT_OWNER = "U0BOLTOWNER"


@pytest.fixture
def two_brands(
    make_bot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, graph: FakeGraph, x_api: FakeX
) -> Bot:
    brands = copy.deepcopy(BRANDS)
    brands["brands"][1]["owner"] = BOLT_OWNER  # so asking Bolt's owner would otherwise work
    return start_brands_bot(make_bot, tmp_path, monkeypatch, graph, x_api, brands=brands)


def _items(bot: Bot, slack: FakeSlack, graph: FakeGraph) -> tuple[Item, Item]:
    acme = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Nuts?"))
    bolt = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Brakes?"))
    _shown_in(slack, ACME, acme.id or 0)
    _shown_in(slack, BOLT, bolt.id or 0)
    return acme, bolt


def _counts(bot: Bot) -> dict[str, int]:
    bot.runtime.relay.drain()
    with bot.runtime.db.session() as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Draft, OwnerQuestion, SlackTask)
        }


def _open(bot: Bot, slack: FakeSlack, action: ActionId, *, item_id: int | None) -> dict[str, Any]:
    """The member clicks `action` on the item in Acme's channel: the modal Slack was asked to open."""
    before = len(slack.views_opened())
    bot.click(action, value=str(item_id), user=MEMBER, channel=ACME)
    return slack.wait_for(lambda: len(slack.views_opened()) > before and slack.views_opened()[-1])  # type: ignore[no-any-return]


def _text(block: BlockId, value: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {block: {INPUT_ACTION: {"type": "plain_text_input", "value": value}}}


def _forgeries(bot: Bot, genuine: str, *, user: str, item_id: int) -> list[str]:
    """What a forger could send instead of the metadata the bot sealed for `user` in Acme's channel."""
    sealed = json.loads(genuine)
    swapped = copy.deepcopy(sealed)
    swapped["m"]["item_id"] = item_id
    moved = copy.deepcopy(sealed)
    moved["m"]["channel"] = BOLT
    return [
        json.dumps({"item_id": item_id}),  # plain, as the modal's builder writes it
        json.dumps(swapped),  # the genuine seal over another brand's item
        json.dumps(moved),  # the genuine seal, "opened" in the other brand's channel
        "not json",
        "",
        json.dumps({"m": {"item_id": item_id, "by": user, "channel": ACME}, "sig": "0" * 64}),
    ]


def test_reply_modal_with_forged_metadata_creates_no_draft(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    acme, bolt = _items(bot, slack, graph)
    genuine = _open(bot, slack, ActionId.REPLY, item_id=acme.id)["view"]["private_metadata"]
    before, bolt_posts = _counts(bot), len(slack.posted(BOLT))

    for forged in _forgeries(bot, genuine, user=MEMBER, item_id=bolt.id or 0):
        answer = bot.submit(
            ViewId.REPLY, private_metadata=forged, user=MEMBER, values=_text(BlockId.REPLY_TEXT, "Yes")
        )
        assert answer.json() == {
            "response_action": "errors",
            "errors": {BlockId.REPLY_TEXT: strings.FORM_NOT_YOURS},
        }, forged
    # The seal made for the member from Acme's channel, but Bolt's item in it: Bolt's channel is named.
    answer = bot.submit(
        ViewId.REPLY,
        private_metadata=bot.sealed({"item_id": bolt.id}, user=MEMBER, channel=ACME),
        user=MEMBER,
        values=_text(BlockId.REPLY_TEXT, "Yes"),
    )
    assert answer.json()["errors"][BlockId.REPLY_TEXT] == strings.OTHER_BRAND.format(
        n=bolt.id, brand="Bolt Bikes", channel=BOLT
    )
    # Another user's genuine modal is not theirs to submit.
    answer = bot.submit(
        ViewId.REPLY, private_metadata=genuine, user=BOLT_BOSS, values=_text(BlockId.REPLY_TEXT, "Yes")
    )
    assert answer.json()["errors"][BlockId.REPLY_TEXT] == strings.FORM_NOT_YOURS
    assert _counts(bot) == before and len(slack.posted(BOLT)) == bolt_posts

    # The genuine modal, submitted by the member it was opened for, posts the draft.
    answer = bot.submit(
        ViewId.REPLY, private_metadata=genuine, user=MEMBER, values=_text(BlockId.REPLY_TEXT, "Yes")
    )
    assert answer.status_code == 200 and not answer.content
    with bot.runtime.db.session() as session:
        drafts = session.exec(select(Draft)).all()
    assert [(d.item_id, d.text) for d in drafts] == [(acme.id, "Yes")]


def test_ask_owner_modal_with_forged_metadata_asks_nobody(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    acme, bolt = _items(bot, slack, graph)
    genuine = _open(bot, slack, ActionId.ASK_OWNER, item_id=acme.id)["view"]["private_metadata"]
    before = _counts(bot)
    owner_dms = len(slack.posted(slack.dm_channel(BOLT_OWNER)))

    for forged in _forgeries(bot, genuine, user=MEMBER, item_id=bolt.id or 0):
        answer = bot.submit(
            ViewId.ASK_OWNER, private_metadata=forged, user=MEMBER, values=_text(BlockId.QUESTION, "Brakes?")
        )
        assert answer.json()["errors"] == {BlockId.QUESTION: strings.FORM_NOT_YOURS}, forged
    assert _counts(bot) == before
    assert len(slack.posted(slack.dm_channel(BOLT_OWNER))) == owner_dms

    answer = bot.submit(
        ViewId.ASK_OWNER, private_metadata=genuine, user=MEMBER, values=_text(BlockId.QUESTION, "Nuts?")
    )
    assert answer.status_code == 200 and not answer.content
    with bot.runtime.db.session() as session:
        asked = session.exec(select(OwnerQuestion)).all()
    assert [(q.item_id, q.question) for q in asked] == [(acme.id, "Nuts?")]
    slack.wait_for(lambda: slack.posted(slack.dm_channel(ACME_OWNER)), message="the DM to Acme's owner")


def test_saved_reply_menu_with_forged_metadata_reads_no_other_brands_replies(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    acme, bolt = _items(bot, slack, graph)
    _, said = bot.command("snippet add hours Bolt opens at 10.", user=MEMBER, channel=BOLT)
    _answer(slack, said)
    bolt_snippet = bot.runtime.services.snippets.all(brand="bolt")[0]
    opened = _open(bot, slack, ActionId.REPLY, item_id=acme.id)
    forged = json.loads(opened["view"]["private_metadata"])
    forged["m"]["item_id"] = bolt.id  # so Bolt's saved replies would be the ones looked up

    payload = click_payload(
        slack, ActionId.USE_SNIPPET, name="forged-menu", user=MEMBER, selected=str(bolt_snippet.id)
    )
    for key in ("channel", "message", "response_url"):
        payload.pop(key)
    payload["view"] = {
        "id": opened["view_id"],
        "type": "modal",
        "callback_id": ViewId.REPLY,
        "private_metadata": json.dumps(forged),
        "state": {"values": {}},
    }
    assert bot.interact(payload).status_code == 200
    # The modal stays as it was: Bolt's text never reaches it.
    assert slack.view_updates() == []
    assert "Bolt opens" not in json.dumps(slack.view(opened["view_id"]))


def _bolt_draft_and_question(bot: Bot, slack: FakeSlack, bolt: Item) -> tuple[int, int]:
    _, said = bot.command(f"draft {bolt.id} Yes we do", user=MEMBER, channel=BOLT)
    _answer(slack, said)
    _, said = bot.command(f"ask-owner {bolt.id} Do we fix brakes?", user=MEMBER, channel=BOLT)
    _answer(slack, said)
    with bot.runtime.db.session() as session:
        draft = session.exec(select(Draft).where(Draft.item_id == bolt.id)).one()
        question = session.exec(select(OwnerQuestion).where(OwnerQuestion.item_id == bolt.id)).one()
    return draft.id or 0, question.id or 0


# Every button whose value names an item, a draft or a question, with Bolt's id in it.
BUTTONS: list[tuple[ActionId, str]] = [
    (ActionId.REPLY, "{item}"),
    (ActionId.CLAIM, "{item}"),
    (ActionId.CLOSE, "ignore:{item}"),
    (ActionId.CLOSE, "spam:{item}"),
    (ActionId.NOT_SPAM, "{item}"),
    (ActionId.ASK_OWNER, "{item}"),
    (ActionId.FULL_TEXT, "{item}"),
    (ActionId.GROUP_MENU, "reply:{item}"),
    (ActionId.GROUP_MENU, "ask_owner:{item}"),
    (ActionId.GROUP_MENU, "claim:{item}"),
    (ActionId.GROUP_MENU, "ignore:{item}"),
    (ActionId.APPROVE, "{draft}"),
    (ActionId.REJECT, "{draft}"),
    (ActionId.EDIT, "{draft}"),
    (ActionId.RETRY, "{draft}"),
    (ActionId.SEND_ANYWAY, "{draft}"),
    (ActionId.MARK_SENT, "{draft}"),
    (ActionId.FULL_TEXT, "draft:{draft}"),
    (ActionId.ANSWER, "{question}"),
    (ActionId.USE_AS_REPLY, "{question}"),
    (ActionId.FULL_TEXT, "question:{question}"),
]


def test_every_button_naming_another_brands_id_is_refused_in_this_brands_channel(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    _, bolt = _items(bot, slack, graph)
    draft_id, question_id = _bolt_draft_and_question(bot, slack, bolt)
    refusal = strings.OTHER_BRAND.format(n=bolt.id, brand="Bolt Bikes", channel=BOLT)
    before, views, states = _counts(bot), len(slack.views_opened()), _states(bot, bolt, draft_id, question_id)

    # Bolt's own people, clicking from Acme's channel: even the roles of Bolt's item do not reach across.
    for user in (MEMBER, BOLT_BOSS, BOLT_OWNER):
        for action, value in BUTTONS:
            forged = value.format(item=bolt.id, draft=draft_id, question=question_id)
            _, said = bot.click(action, value=forged, user=user, channel=ACME)
            assert _answer(slack, said) == refusal, (action, forged, user)
    assert _counts(bot) == before and len(slack.views_opened()) == views
    assert _states(bot, bolt, draft_id, question_id) == states
    assert states[1:] == (None, DraftStatus.PENDING, None)  # unclaimed, undecided, unanswered


def _states(bot: Bot, item: Item, draft_id: int, question_id: int) -> tuple[Any, ...]:
    with bot.runtime.db.session() as session:
        stored, draft = session.get(Item, item.id), session.get(Draft, draft_id)
        question = session.get(OwnerQuestion, question_id)
        assert stored is not None and draft is not None and question is not None
        return stored.state, stored.claimed_by, draft.status, question.answer


def test_answer_modal_with_forged_metadata_answers_nothing(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    _, bolt = _items(bot, slack, graph)
    _, question_id = _bolt_draft_and_question(bot, slack, bolt)
    before = _counts(bot)
    for private_metadata, user, refusal in (
        (json.dumps({"question_id": question_id}), BOLT_OWNER, strings.FORM_NOT_YOURS),
        (
            bot.sealed({"question_id": question_id}, user=BOLT_OWNER, channel=ACME),
            BOLT_OWNER,
            strings.OTHER_BRAND.format(n=bolt.id, brand="Bolt Bikes", channel=BOLT),
        ),
        # Acme's owner, in a DM where any brand is reachable, is still not Bolt's owner.
        (
            bot.sealed({"question_id": question_id}, user=ACME_OWNER, channel=slack.dm_channel(ACME_OWNER)),
            ACME_OWNER,
            strings.NOT_OWNER.format(owner=BOLT_OWNER),
        ),
    ):
        answer = bot.submit(
            ViewId.ANSWER, private_metadata=private_metadata, user=user, values=_text(BlockId.ANSWER, "Yes")
        )
        assert answer.json()["errors"] == {BlockId.ANSWER: refusal}
    assert _counts(bot) == before
    with bot.runtime.db.session() as session:
        assert session.get(OwnerQuestion, question_id).answer is None  # type: ignore[union-attr]


ADMIN = "U0ADMIN"


def _parked(bot: Bot) -> list[int]:
    """The item of each parked task."""
    with bot.runtime.db.session() as session:
        rows = session.exec(select(SlackTask).where(col(SlackTask.failed_at).is_not(None))).all()
        return [row.item_id for row in rows]


def _parked_items(bot: Bot) -> set[int]:
    return set(_parked(bot))


def test_retry_slack_is_for_the_brands_approvers_or_a_workspace_admin(
    two_brands: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = two_brands
    slack.set_user(ADMIN, tz="UTC", is_admin=True)
    for channel in (ACME, BOLT):
        slack.close_channel(channel, "not_in_channel")
    acme = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Nuts?"))
    bolt = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Brakes?"))
    slack.wait_for(lambda: _parked_items(bot) == {acme.id, bolt.id}, message="both items parked")
    for channel in (ACME, BOLT):
        slack.reopen_channel(channel)

    def retry(user: str, channel: str) -> str:
        _, said = bot.command("retry-slack", user=user, channel=channel)
        return _answer(slack, said)

    acme_only = strings.RETRY_SLACK_WHO.format(brand="Acme Bakery", approvers=f"<@{ACME_BOSS}>")
    assert retry(MEMBER, ACME) == acme_only
    assert retry(BOLT_BOSS, ACME) == acme_only  # Bolt's approver decides for Bolt only
    assert retry(MEMBER, "D0MEMBER") == strings.RETRY_SLACK_NOBODY
    bot.runtime.relay.drain()
    assert _parked_items(bot) == {acme.id, bolt.id}
    assert slack.posted(ACME) == [] and slack.posted(BOLT) == []

    # Bolt's approver, from a DM: Bolt's messages only.
    bolts = _parked(bot).count(bolt.id or 0)  # its post, and the re-renders parked behind it
    assert retry(BOLT_BOSS, "D0BOLTBOSS") == strings.RETRIED_SLACK.format(n=bolts)
    _shown_in(slack, BOLT, bolt.id or 0)
    assert _parked_items(bot) == {acme.id}
    # A workspace admin, from a DM: everything still parked.
    acmes = len(_parked(bot))
    assert retry(ADMIN, "D0ADMIN") == strings.RETRIED_SLACK.format(n=acmes)
    _shown_in(slack, ACME, acme.id or 0)
    assert _parked_items(bot) == set()
