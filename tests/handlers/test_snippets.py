"""Saved replies: `/social snippet …` per brand, and the Reply modal's menu that fills the text."""

from __future__ import annotations

import itertools

import pytest

from bot.brands import Brand, Brands
from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.services.errors import UserError
from bot.services.snippets import Snippets
from bot.storage.db import Database
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, INBOX, Bot, click_payload

_names = itertools.count(1)
# As Slack sends what was typed (`@channel`, a mention, a link, `&` escaped), and as it is stored.
HOSTILE = "<!channel> Hi <@U0BOB>, see <https://evil.example|our shop> &amp; *save* 20% \u202eRTL \U0001f600"
TYPED = "@channel Hi @U0BOB, see our shop & *save* 20% \u202eRTL \U0001f600"


def _answer(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def _run(bot: Bot, slack: FakeSlack, text: str) -> str:
    _, name = bot.command(text, user=ALICE)
    return _answer(slack, name)


def test_add_list_and_delete_saved_replies_with_hostile_text_shown_literally(
    bot: Bot, slack: FakeSlack
) -> None:
    assert "added" in _run(bot, slack, f"snippet add Shipping {HOSTILE}")
    assert "added" in _run(bot, slack, "snippet add hours We open at 9am.")

    listed = _run(bot, slack, "snippet list")
    assert listed.index("`hours`") < listed.index("`shipping`")
    assert "@channel Hi @U0BOB, see our shop &amp; *save*" in listed
    assert "<!channel>" not in listed and "<@U0BOB>" not in listed

    assert "already a saved reply `shipping`" in _run(bot, slack, "snippet add shipping Other text")
    assert "1 to 40 letters" in _run(bot, slack, "snippet add <@U0BOB> hi")
    assert "has no text" in _run(bot, slack, "snippet add empty")
    assert "Saved replies:" in _run(bot, slack, "snippet rename hours x")

    assert "deleted" in _run(bot, slack, "snippet delete SHIPPING")
    assert "no saved reply `shipping`" in _run(bot, slack, "snippet delete shipping")
    assert "`shipping`" not in _run(bot, slack, "snippet list")


def test_saved_replies_belong_to_one_brand(db: Database) -> None:
    brands = Brands(
        all=(
            Brand(key="acme", name="Acme", channel="C0ACME"),
            Brand(key="bolt", name="Bolt", channel="C0BOLT"),
        )
    )
    snippets = Snippets(db=db, brands=brands)
    snippets.add(brand="acme", name="hours", text="Acme opens at 9.", user=ALICE)
    snippets.add(brand="bolt", name="hours", text="Bolt opens at 10.", user=ALICE)  # same name, other brand

    assert [r.text for r in snippets.all(brand="acme")] == ["Acme opens at 9."]
    bolt = snippets.all(brand="bolt")[0]
    with pytest.raises(UserError, match="deleted"):
        snippets.get(brand="acme", snippet_id=bolt.id)  # another brand's id is not usable here


def _pick_in_modal(
    bot: Bot, slack: FakeSlack, *, view_id: str, snippet_id: int, private_metadata: str
) -> None:
    """Choosing in the modal's menu: Slack sends the view (with its hash) and no response_url."""
    payload = click_payload(
        slack, ActionId.USE_SNIPPET, name=f"modal{next(_names)}", user=ALICE, selected=str(snippet_id)
    )
    for key in ("channel", "message", "response_url"):
        payload.pop(key)
    payload["container"] = {"type": "view", "view_id": view_id}
    stored = slack.view(view_id)
    assert stored is not None
    payload["view"] = {
        "id": view_id,
        "type": "modal",
        "callback_id": ViewId.REPLY,
        "hash": stored["hash"],
        "private_metadata": private_metadata,
        "state": {"values": {}},
        "blocks": stored["blocks"],
    }
    assert bot.interact(payload).status_code == 200


def test_picking_a_saved_reply_fills_the_reply_modal_and_the_draft_uses_it(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    _run(bot, slack, f"snippet add shipping {HOSTILE}")
    root = bot.facebook_item(graph, n=1, text="Do you ship to Canada?")

    bot.click(ActionId.REPLY, value="1", user=ALICE)
    opened = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])
    menu = next(b for b in opened["view"]["blocks"] if b.get("block_id") == BlockId.SNIPPETS)
    option = menu["elements"][0]["options"][0]
    assert option["text"]["text"] == "shipping"

    _pick_in_modal(
        bot,
        slack,
        view_id=opened["view_id"],
        snippet_id=int(option["value"]),
        private_metadata=opened["view"]["private_metadata"],
    )

    update = slack.wait_for(lambda: slack.view_updates() and slack.view_updates()[-1])
    assert update["method"] == "views.update" and update["hash"]
    text_block = next(b for b in update["view"]["blocks"] if b.get("block_id", "").startswith("reply_text"))
    assert text_block["block_id"] != BlockId.REPLY_TEXT  # a new block_id, or Slack keeps the old text
    # Prefilled as the builders prefill any text: the right-to-left override closed at the end.
    assert text_block["element"]["initial_value"] == TYPED + "\u202c"
    assert update["view"]["private_metadata"] == opened["view"]["private_metadata"]

    bot.submit(
        ViewId.REPLY,
        private_metadata=update["view"]["private_metadata"],
        user=ALICE,
        values={text_block["block_id"]: {INPUT_ACTION: {"type": "plain_text_input", "value": TYPED}}},
    )
    draft = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "Hi @U0BOB" in str(m)), None)
    )
    assert "<!channel>" not in str(draft) and "<@U0BOB>" not in str(draft)
