"""Brands end to end: two businesses on one bot, each item in its own channel, each reply with its own account.

Two brands with two Pages, one Instagram account and two X accounts, through the real Bolt
app with signed requests; the Graph fake binds each Page token to its own Page's posts and
the X fake posts as the account whose OAuth token signed the request, so a reply sent with
the wrong account fails here as it would on the real services.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.message_builder.ids import INPUT_ACTION, ActionId, BlockId, ViewId
from bot.storage.models import Draft, DraftStatus, Item
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import fb_comment_change, ig_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import Bot

ROOT = Path(__file__).resolve().parent.parent

ACME, ACME_EVENTS, BOLT = "C0ACME", "C0ACMEEVENTS", "C0BOLT"
ACME_BOSS, ACME_OWNER, BOLT_BOSS, MEMBER = "U0ACMEBOSS", "U0ACMEOWNER", "U0BOLTBOSS", "U0MEMBER"
ACME_PAGE, ACME_PAGE2, ACME_IG, BOLT_PAGE = "1111", "2222", "1784001", "3333"
ACME_X, BOLT_X = "1500", "1600"

SECRETS = {
    "ACME_PAGE_TOKEN": "acme-page-token",
    "ACME_PAGE2_TOKEN": "acme-events-token",
    "BOLT_PAGE_TOKEN": "bolt-page-token",
    **{
        f"{b}_X_{k}": f"{b.lower()}-x-{k.lower()}"
        for b in ("ACME", "BOLT")
        for k in ("BEARER", "KEY", "SECRET")
    },
    "ACME_X_TOKEN": "acme-x-access",
    "ACME_X_TOKEN_SECRET": "acme-x-access-secret",
    "BOLT_X_TOKEN": "bolt-x-access",
    "BOLT_X_TOKEN_SECRET": "bolt-x-access-secret",
}


def _x(prefix: str, user_id: str) -> dict[str, str]:
    return {
        "platform": "x",
        "user_id": user_id,
        "bearer_token": f"${{{prefix}_X_BEARER}}",
        "api_key": f"${{{prefix}_X_KEY}}",
        "api_secret": f"${{{prefix}_X_SECRET}}",
        "access_token": f"${{{prefix}_X_TOKEN}}",
        "access_token_secret": f"${{{prefix}_X_TOKEN_SECRET}}",
    }


BRANDS = {
    "brands": [
        {
            "key": "acme",
            "name": "Acme Bakery",
            "channel": ACME,
            "owner": ACME_OWNER,
            "approvers": [ACME_BOSS],
            "owner_keywords": ["nuts"],
            "accounts": [
                {"platform": "facebook", "page_id": ACME_PAGE, "token": "${ACME_PAGE_TOKEN}"},
                {"platform": "instagram", "account_id": ACME_IG, "token": "${ACME_PAGE_TOKEN}"},
                _x("ACME", ACME_X),
                {
                    "platform": "facebook",
                    "page_id": ACME_PAGE2,
                    "token": "${ACME_PAGE2_TOKEN}",
                    "channel": ACME_EVENTS,
                },
            ],
        },
        {
            "key": "bolt",
            "name": "Bolt Bikes",
            "channel": BOLT,
            "approvers": [BOLT_BOSS],
            "owner_keywords": ["brakes"],
            "accounts": [
                {"platform": "facebook", "page_id": BOLT_PAGE, "token": "${BOLT_PAGE_TOKEN}"},
                _x("BOLT", BOLT_X),
            ],
        },
    ]
}


def start_brands_bot(
    make_bot: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    graph: FakeGraph,
    x_api: FakeX,
    *,
    brands: dict[str, Any] = BRANDS,
    **settings: Any,
) -> Bot:
    """A bot with `brands` as its brands file, their secrets set and their accounts on the fakes."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "brands.yml"
    path.write_text(yaml.safe_dump(brands), encoding="utf-8")
    # Each Page token may only write under its own Page's posts; the Instagram account shares Acme's.
    graph.page_token("acme-page-token", objects={"555", "1789"})
    graph.page_token("acme-events-token", objects={"777"})
    graph.page_token("bolt-page-token", objects={"666"})
    x_api.add_account(user_id=ACME_X, username="acmebakery", access_token="acme-x-access")
    x_api.add_account(user_id=BOLT_X, username="boltbikes", access_token="bolt-x-access")
    # The single-brand variables the harness sets are ignored: the file describes the brands.
    return make_bot(brands_file=path, **settings)  # type: ignore[no-any-return]


@pytest.fixture
def brands_bot(
    make_bot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, graph: FakeGraph, x_api: FakeX
) -> Bot:
    return start_brands_bot(make_bot, tmp_path, monkeypatch, graph, x_api)


def _fb(bot: Bot, graph: FakeGraph, *, page: str, post: str, text: str) -> str:
    comment = f"{post}_1"
    graph.add_fb_comment(comment_id=comment, post_id=post, message=text, from_id="42", from_name="Jane")
    change = fb_comment_change(
        page_id=page, comment_id=comment, post_id=post, message=text, from_id="42", from_name="Jane"
    )
    assert bot.meta(change).status_code == 200
    return comment


def _item(bot: Bot, slack: FakeSlack, external_id: str) -> Item:
    def stored() -> Item | None:
        with bot.runtime.db.session() as session:
            return session.exec(select(Item).where(Item.external_id == external_id)).first()

    return slack.wait_for(stored, message=f"item {external_id}")


def _shown_in(slack: FakeSlack, channel: str, n: int) -> dict[str, Any]:
    return slack.wait_for(
        lambda: next((m for m in slack.posted(channel) if m.get("text", "").startswith(f"#{n} ")), None),
        message=f"#{n} in {channel}",
    )


def _answer(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def _all_items(bot: Bot, slack: FakeSlack, graph: FakeGraph, x_api: FakeX) -> dict[str, Item]:
    items: dict[str, Item] = {}
    items["acme_fb"] = _item(
        bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Nuts in the croissants?")
    )
    items["acme_events"] = _item(
        bot, slack, _fb(bot, graph, page=ACME_PAGE2, post="777", text="Tickets left?")
    )
    items["bolt_fb"] = _item(
        bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Do you fix brakes?")
    )
    graph.add_ig_comment(comment_id="1790", media_id="1789", text="Vegan?", username="sam", from_id="77")
    change = ig_comment_change(
        ig_account_id=ACME_IG, comment_id="1790", media_id="1789", text="Vegan?", username="sam", from_id="77"
    )
    assert bot.meta(change).status_code == 200
    items["acme_ig"] = _item(bot, slack, "1790")
    acme_tweet = x_api.add_mention(
        text="@acmebakery open sunday?", username="jo", name="Jo", mentioning=ACME_X
    )
    bolt_tweet = x_api.add_mention(text="@boltbikes got tubes?", username="al", name="Al", mentioning=BOLT_X)
    # One poller per X account, each with its own cursor.
    assert bot.runtime.pollers[f"x:{ACME_X}"].poll() == 1
    assert bot.runtime.pollers[f"x:{BOLT_X}"].poll() == 1
    items["acme_x"] = _item(bot, slack, acme_tweet)
    items["bolt_x"] = _item(bot, slack, bolt_tweet)
    return items


def test_two_brands_each_item_in_its_channel_each_reply_with_its_own_account(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph, x_api: FakeX
) -> None:
    bot = brands_bot
    items = _all_items(bot, slack, graph, x_api)
    where = {
        "acme_fb": ACME,
        "acme_ig": ACME,
        "acme_x": ACME,
        "acme_events": ACME_EVENTS,  # the account's own channel
        "bolt_fb": BOLT,
        "bolt_x": BOLT,
    }
    for name, channel in where.items():
        n = items[name].id or 0
        _shown_in(slack, channel, n)
        assert items[name].brand_key == name.split("_")[0]
    # Nothing of one brand shows in the other's channel.
    bolt_numbers = {f"#{items[k].id} " for k in ("bolt_fb", "bolt_x")}
    assert not [m for m in slack.posted(ACME) if m.get("text", "")[:4] in bolt_numbers]

    for name, channel in where.items():
        n = items[name].id
        boss = BOLT_BOSS if name.startswith("bolt") else ACME_BOSS
        _, said = bot.command(f"draft {n} Thanks for asking!", user=MEMBER, channel=channel)
        assert f"#{n}" in _answer(slack, said)
        _, said = bot.command(f"approve {n}", user=boss, channel=channel)
        assert "Only approvers" not in _answer(slack, said)

    slack.wait_for(
        lambda: len(graph.fb_replies()) == 3 and len(graph.ig_replies()) == 1, message="Meta replies"
    )
    slack.wait_for(lambda: len(x_api.published()) == 2, message="X replies")
    # Each reply went out with its own account's token (a wrong one would be refused by the fake).
    assert graph.write_tokens() == {
        "555_1": "acme-page-token",
        "777_1": "acme-events-token",
        "666_1": "bolt-page-token",
        "1790": "acme-page-token",
    }
    authors = {t["in_reply_to_tweet_id"]: t["author_id"] for t in x_api.published()}
    assert authors == {items["acme_x"].external_id: ACME_X, items["bolt_x"].external_id: BOLT_X}


def test_another_brands_item_is_refused_by_command_button_and_forged_payload(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = brands_bot
    acme = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Nuts?"))
    bolt = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Brakes?"))
    _shown_in(slack, BOLT, bolt.id or 0)
    _, said = bot.command(f"draft {bolt.id} Yes we do", user=MEMBER, channel=BOLT)
    _answer(slack, said)
    with bot.runtime.db.session() as session:
        draft = session.exec(select(Draft).where(Draft.item_id == bolt.id)).one()

    # By command, in Acme's channel: refused with where to go.
    for command in (f"approve {bolt.id}", f"claim {bolt.id}", f"draft {bolt.id} hi", f"ignore {bolt.id}"):
        _, said = bot.command(command, user=ACME_BOSS, channel=ACME)
        assert _answer(slack, said) == f"#{bolt.id} belongs to Bolt Bikes; act on it in <#{BOLT}>."
    # In a DM the item is reachable, but Acme's approver is not Bolt's.
    _, said = bot.command(f"approve {bolt.id}", user=ACME_BOSS, channel="D0ACMEBOSS")
    assert _answer(slack, said).startswith("Only approvers can approve replies. Approvers: <@U0BOLTBOSS>")

    # By button: Bolt's draft id in a button clicked in Acme's channel, and a forged click "from" Bolt's.
    _, said = bot.click(ActionId.APPROVE, value=str(draft.id), user=ACME_BOSS, channel=ACME)
    assert _answer(slack, said) == f"#{bolt.id} belongs to Bolt Bikes; act on it in <#{BOLT}>."
    _, said = bot.click(ActionId.APPROVE, value=str(draft.id), user=ACME_BOSS, channel=BOLT)
    assert _answer(slack, said).startswith("Only approvers can approve")
    _, said = bot.click(ActionId.REJECT, value=str(draft.id), user=ACME_BOSS, channel=BOLT)
    assert _answer(slack, said).startswith("Only approvers can reject")

    # By a view_submission naming Bolt's draft: forged metadata, a modal "opened" in Acme's channel,
    # and one opened in Bolt's channel (where Acme's approver is still no approver of Bolt's).
    meta = {"draft_id": draft.id, "item_id": bolt.id}
    for private_metadata, refusal in (
        (json.dumps(meta), "This form was not opened by you"),
        (bot.sealed(meta, user=ACME_BOSS, channel=ACME), f"#{bolt.id} belongs to Bolt Bikes"),
        (bot.sealed(meta, user=ACME_BOSS, channel=BOLT), "Only approvers can reject"),
    ):
        response = bot.submit(
            ViewId.REJECT,
            values={BlockId.REASON: {INPUT_ACTION: {"type": "plain_text_input", "value": "no"}}},
            private_metadata=private_metadata,
            user=ACME_BOSS,
        )
        assert response.json()["response_action"] == "errors"
        assert refusal in response.json()["errors"][BlockId.REASON]
    with bot.runtime.db.session() as session:
        assert session.get(Draft, draft.id).status == DraftStatus.PENDING  # type: ignore[union-attr]
        assert session.get(Item, acme.id).state == "new"  # type: ignore[union-attr]

    # Bolt's approver, in Bolt's channel, decides.
    _, said = bot.click(ActionId.APPROVE, value=str(draft.id), user=BOLT_BOSS, channel=BOLT)
    slack.wait_for(lambda: graph.fb_replies(), message="Bolt's reply")
    assert graph.write_tokens() == {"666_1": "bolt-page-token"}


def test_inbox_is_one_brand_in_its_channel_and_every_brand_grouped_elsewhere(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = brands_bot
    acme = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Nuts?"))
    bolt = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Brakes?"))

    def inbox(channel: str) -> str:
        _, said = bot.command("inbox", user=MEMBER, channel=channel)
        slack.wait_for(lambda: slack.responses(said))
        return json.dumps(slack.responses(said)[-1]["blocks"])

    in_acme = inbox(ACME)
    assert f"*#{acme.id}*" in in_acme and f"*#{bolt.id}*" not in in_acme
    in_bolt = inbox(BOLT)
    assert f"*#{bolt.id}*" in in_bolt and f"*#{acme.id}*" not in in_bolt
    in_dm = inbox("D0MEMBER")
    assert in_dm.index("*Acme Bakery*") < in_dm.index(f"*#{acme.id}*") < in_dm.index("*Bolt Bikes*")
    assert in_dm.index("*Bolt Bikes*") < in_dm.index(f"*#{bolt.id}*")


def test_brands_command_lists_brands_channels_accounts_and_health(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = brands_bot
    # The start's health check has looked at every account; the Graph fake knows no
    # Instagram account 1784001, so that one is failing.
    bot.runtime.health.check_all()
    _, said = bot.command("brands", user=MEMBER, channel="D0MEMBER")
    slack.wait_for(lambda: slack.responses(said))
    text = "\n".join(b["text"]["text"] for b in slack.responses(said)[-1]["blocks"])
    assert "*Acme Bakery* (`acme`) · <#C0ACME> · owner: <@U0ACMEOWNER> · approvers: <@U0ACMEBOSS>" in text
    assert f"• facebook `{ACME_PAGE}` · ok" in text
    assert f"• facebook `{ACME_PAGE2}` → <#{ACME_EVENTS}> · ok" in text
    assert f"• instagram `{ACME_IG}` · failing since " in text
    assert f"• x `{BOLT_X}` · ok" in text
    assert "*Bolt Bikes* (`bolt`) · <#C0BOLT> · owner: not set" in text
    # The failing account's notice went to its brand's channel, naming the account.
    notice = slack.wait_for(lambda: [m for m in slack.posted(ACME) if ":warning:" in m.get("text", "")])
    assert notice[0]["text"].startswith(f":warning: *Instagram {ACME_IG}* is not working")
    # Its fix names the brand's entry, not the single-brand variables the brands file replaces.
    assert notice[0]["text"].endswith(
        f"the environment variable that `token` of brand `acme`'s Instagram account `{ACME_IG}` names "
        "in the brands file, and restart the bot."
    )
    assert "FACEBOOK_PAGE_TOKEN" not in notice[0]["text"]


def test_the_owner_question_goes_to_the_brands_owner_and_a_brand_without_one_is_named(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = brands_bot
    acme = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Nuts?"))
    bolt = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Brakes?"))
    _, said = bot.command(f"ask-owner {acme.id} Any nuts?", user=MEMBER, channel=ACME)
    _answer(slack, said)
    dm = slack.wait_for(lambda: slack.posted(FakeSlack.dm_channel(ACME_OWNER)), message="owner DM")
    assert "Any nuts?" in json.dumps(dm[0])
    _, said = bot.command(f"ask-owner {bolt.id} Which brakes?", user=MEMBER, channel=BOLT)
    assert _answer(slack, said).startswith("Bolt Bikes has no owner")


def test_owner_keywords_are_each_brands_own(brands_bot: Bot, slack: FakeSlack, graph: FakeGraph) -> None:
    bot = brands_bot
    acme_nuts = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="Any nuts?"))
    bolt_nuts = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="666", text="Any nuts?"))
    bolt_brakes = _item(bot, slack, _fb(bot, graph, page=BOLT_PAGE, post="668", text="Brakes?"))
    acme_brakes = _item(bot, slack, _fb(bot, graph, page=ACME_PAGE2, post="777", text="My brakes?"))
    assert acme_nuts.owner_hint and bolt_brakes.owner_hint
    assert not bolt_nuts.owner_hint and not acme_brakes.owner_hint


def test_the_ignored_single_brand_variables_are_named_once_at_start(
    brands_bot: Bot, caplog: pytest.LogCaptureFixture, make_bot: Any, tmp_path: Path
) -> None:
    caplog.set_level("WARNING", logger="bot.runtime")
    make_bot(brands_file=tmp_path / "brands.yml")  # a restart on the same file
    lines = [r.getMessage() for r in caplog.records if "brands.ignored_variables" in r.getMessage()]
    assert len(lines) == 1
    assert "SLACK_INBOX_CHANNEL" in lines[0] and "FACEBOOK_PAGE_TOKEN" in lines[0]
    assert "page-token" not in lines[0].replace("FACEBOOK_PAGE_TOKEN", "")  # names, never values


def test_a_webhook_for_a_page_of_no_brand_is_skipped(
    brands_bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = brands_bot
    change = fb_comment_change(
        page_id="9999", comment_id="999_1", post_id="999", message="hi", from_id="42", from_name="Jane"
    )
    assert bot.meta(change).status_code == 200
    _item(bot, slack, _fb(bot, graph, page=ACME_PAGE, post="555", text="after"))  # a later one still arrives
    with bot.runtime.db.session() as session:
        assert session.exec(select(Item).where(Item.external_id == "999_1")).first() is None


def test_mistakes_in_the_brands_file_stop_the_start_with_exit_2_naming_each(tmp_path: Path) -> None:
    document = json.loads(json.dumps(BRANDS))
    document["brands"][0]["channel"] = "#acme"
    document["brands"][1]["accounts"][0]["token"] = "EAAGliteral"
    (tmp_path / "brands.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TWITTER_", "META_", "FACEBOOK_"))
    }
    env.update(SECRETS)
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "META_APP_SECRET": "m",
            "META_VERIFY_TOKEN": "v",
        }
    )
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("social-inbox: configuration error: brands.yml: brand acme: channel: '#acme'")
    assert lines[1].startswith(
        "social-inbox: configuration error: brands.yml: brand bolt: accounts[0] (facebook): token"
    )
    assert "EAAGliteral" not in result.stderr
