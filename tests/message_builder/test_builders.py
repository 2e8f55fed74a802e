"""Every message kind with worst-case outside text: valid Block Kit, shown literally, never a ping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.message_builder.draft import draft_blocks, draft_fallback, reject_modal, reply_modal
from bot.message_builder.format import clean, escape, safe_url, shorten
from bot.message_builder.full_text import parse_ref, text_modal
from bot.message_builder.ids import ActionId
from bot.message_builder.inbox import inbox_blocks, queue_blocks
from bot.message_builder.item import ItemView, fallback_text, full_text_modal, item_blocks
from bot.message_builder.notes import asked_note, edited_note, rejected_note
from bot.message_builder.owner import answer_modal, answer_note, ask_owner_modal, owner_dm
from bot.services.items import InboxPage, OpenItem
from bot.services.schedule import Queued
from bot.storage.models import Draft, DraftStatus, Item, ItemState, OwnerQuestion
from tests.message_builder.inputs import HANDLES, NAMES, TEXTS
from tests.message_builder.render import check_message, check_view, shown, texts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LABELS = {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}


def make_item(
    *,
    platform: str = "instagram",
    text: str = "Hi",
    name: str = "Jane Doe",
    handle: str = "jane",
    **kw: object,
) -> Item:
    urls = {
        "x": f"https://x.com/{handle}",
        "facebook": "https://www.facebook.com/42",
        "instagram": f"https://www.instagram.com/{handle}",
    }
    return Item(
        id=12,
        platform=platform,
        external_id="c1",
        account_id=1,
        author_name=name,
        author_handle=f"@{handle}" if platform != "facebook" else name,
        author_url=urls[platform],
        text=text,
        url="https://www.instagram.com/p/abc/?a=1&b=2",
        created_at=NOW,
        **kw,
    )


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


# -- the item message -------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["x", "facebook", "instagram"])
@pytest.mark.parametrize("case", sorted(TEXTS))
def test_item_message_validates_and_shows_text_literally(platform: str, case: str) -> None:
    item = make_item(platform=platform, text=TEXTS[case], state=ItemState.NEW)
    view = ItemView(item=item, platform_label=LABELS[platform])
    blocks = item_blocks(view)
    check_message(fallback_text(view), blocks)
    body = clean(TEXTS[case])
    shortened = shorten(TEXTS[case], 3000)[1]
    if body.strip() and not shortened:
        assert body in shown(blocks)
    assert (ActionId.FULL_TEXT in buttons(blocks)) == shortened


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("handle", sorted(HANDLES))
def test_item_message_shows_any_author_safely(name: str, handle: str) -> None:
    item = make_item(name=NAMES[name], handle=HANDLES[handle], text=TEXTS["hostile"])
    view = ItemView(item=item, platform_label="Instagram")
    blocks = item_blocks(view)
    check_message(fallback_text(view), blocks)
    links = [t for t in texts(blocks, "mrkdwn") if "instagram.com/" in t and "|profile>" in t]
    assert len(links) == 1
    # The username stays inside the URL: it cannot add a label or close the link early.
    url = links[0].split("<", 1)[1].split("|profile>", 1)[0]
    assert "|" not in url and ">" not in url and "<" not in url and " " not in url


def test_hostile_text_is_shown_as_written_in_plain_text_and_escaped_in_the_fallback() -> None:
    item = make_item(text=TEXTS["hostile"], name="<!channel> *Boss*")
    view = ItemView(item=item, platform_label="Instagram")
    blocks = item_blocks(view)
    assert TEXTS["hostile"] in shown(blocks)
    assert "<!channel> *Boss*" in shown(blocks)
    assert escape(TEXTS["hostile"]) in fallback_text(view)
    plain_objects = [o for b in blocks for o in _objects(b) if o.get("type") == "plain_text"]
    assert all(o.get("emoji") is False for o in plain_objects if "Boss" in o["text"] or "bold" in o["text"])


def _objects(node: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def test_instagram_hearts_fit_with_a_full_text_button_carrying_the_item_id() -> None:
    item = make_item(text="<3" * 2200)
    blocks = item_blocks(ItemView(item=item, platform_label="Instagram"))
    check_message("x", blocks)
    assert buttons(blocks)[ActionId.FULL_TEXT]["value"] == "12"
    assert all(len(t) <= 3000 for t in texts(blocks, "plain_text"))


@pytest.mark.parametrize("state", list(ItemState))
def test_item_message_in_every_state(state: ItemState) -> None:
    draft = Draft(
        id=3,
        item_id=12,
        text="ok",
        author="U0ALICE",
        decided_by="U0BOB",
        send_at=NOW,
        published_url="https://x.com/shop/status/1?a=<!channel>|x",
    )
    item = make_item(
        text=TEXTS["hearts_4400"], state=state, claimed_by="U0BOB", owner_hint=True, edited_at=NOW
    )
    view = ItemView(item=item, platform_label="Instagram", draft=draft, waiting_owner=True)
    blocks = item_blocks(view)
    check_message(fallback_text(view), blocks)
    assert ActionId.FULL_TEXT in buttons(blocks)  # closed items can still be read in full


@pytest.mark.parametrize("case", sorted(TEXTS))
def test_full_text_modal_holds_the_whole_text(case: str) -> None:
    item = make_item(text=TEXTS[case])
    view = full_text_modal(item=item, platform_label="Instagram")
    check_view(view)
    body = clean(TEXTS[case])
    if body.strip():
        assert body in "".join(texts(view["blocks"][2:], "plain_text"))


def test_full_text_modal_says_so_when_even_a_hundred_blocks_are_not_enough() -> None:
    item = make_item(text="&" * 100_000)  # 500,000 characters once escaped
    view = full_text_modal(item=item, platform_label="Facebook")
    check_view(view)
    assert len(view["blocks"]) == 100
    assert "more characters do not fit here" in view["blocks"][-1]["elements"][0]["text"]


# -- drafts, notes, the owner -------------------------------------------------------------------


@pytest.mark.parametrize("status", list(DraftStatus))
@pytest.mark.parametrize(
    "case", ["facebook_8000", "ampersands", "hostile_long", "hearts_4400", "lone_surrogates"]
)
def test_draft_message(status: DraftStatus, case: str) -> None:
    draft = Draft(
        id=3,
        item_id=12,
        text=TEXTS[case],
        author="U0ALICE",
        status=status,
        decided_by="U0BOB",
        reason=TEXTS[case],
        last_error=TEXTS[case],
        send_at=NOW,
        published_url="https://x.com/a|b>",
    )
    item = make_item()
    blocks = draft_blocks(draft, item=item, platform_label="Facebook", length=8000, limit=8000)
    check_message(draft_fallback(draft, item=item), blocks)


@pytest.mark.parametrize("case", sorted(TEXTS))
def test_notes_quote_outside_text_safely(case: str) -> None:
    text = TEXTS[case]
    for note, blocks in (
        edited_note(item_id=12, text=text),
        asked_note(user="U0ALICE", question=text),
        rejected_note(by="U0BOB", author="U0ALICE", reason=text or None),
    ):
        check_message(note, blocks)
    note, blocks = edited_note(item_id=12, text=text)
    assert (ActionId.FULL_TEXT in buttons(blocks)) == shorten(text, 3000)[1]


@pytest.mark.parametrize("case", ["x_long_post", "hostile_long", "hearts_4400", "nul", "empty"])
@pytest.mark.parametrize("name", ["long", "hostile"])
def test_owner_dm_and_answer(case: str, name: str) -> None:
    item = make_item(text=TEXTS[case], name=NAMES[name])
    question = OwnerQuestion(
        id=5, item_id=12, question=TEXTS[case] or "?", asked_by="U0ALICE", answer=TEXTS[case]
    )
    text, blocks = owner_dm(
        question,
        item=item,
        platform_label="Instagram",
        waiting="3h",
        permalink="https://fake.slack.com/x?a=1&b=2",
    )
    check_message(text, blocks)
    note, note_blocks = answer_note(question, answer=TEXTS[case] or "?")
    check_message(note, note_blocks)
    check_view(answer_modal(question=question))
    check_view(ask_owner_modal(item=item))


# -- lists -------------------------------------------------------------------------------------


def test_inbox_of_many_hostile_items() -> None:
    entries = [
        OpenItem(
            item=make_item(
                text=TEXTS[case], name=NAMES["long_ampersands"], claimed_by="U0BOB", state=ItemState.CLAIMED
            ),
            received_at=NOW - timedelta(hours=n),
            waiting_owner=True,
        )
        for n, case in enumerate(sorted(TEXTS) * 4)
    ]
    page = InboxPage(items=entries, total=len(entries), page=1, pages=-(-len(entries) // 48))
    blocks = inbox_blocks(page, now=NOW)
    check_message("/social inbox", blocks)
    assert len(blocks) == 50


def test_queue_of_many_hostile_drafts() -> None:
    entries = [
        Queued(
            draft=Draft(
                id=n,
                item_id=12,
                text=TEXTS[case],
                author="U0ALICE",
                status="approved",
                decided_by="U0BOB",
                send_at=NOW,
            ),
            item=make_item(),
        )
        for n, case in enumerate(sorted(TEXTS) * 4)
    ]
    blocks = queue_blocks(entries, zone=ZoneInfo("Europe/Berlin"), now=NOW)
    check_message("/social queue", blocks)


# -- modals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(TEXTS))
def test_reply_modal_prefill_stays_within_the_input_limit(case: str) -> None:
    item = make_item(text=TEXTS[case], name=NAMES["long"])
    view = reply_modal(
        item=item, platform_label="Facebook", limit=8000, limit_note="", initial=TEXTS[case], draft_id=3
    )
    check_view(view)
    element = view["blocks"][2]["element"]
    assert len(element.get("initial_value", "")) <= element["max_length"] <= 3000
    assert json.loads(view["private_metadata"]) == {"item_id": 12, "draft_id": 3}


def test_reject_modal() -> None:
    check_view(reject_modal(draft_id=123_456_789, item_id=123_456_789))


# -- the URL guard -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.instagram.com/evil|bank.com", "https://www.instagram.com/evil%7Cbank.com"),
        ("https://x.com/a>b<c d", "https://x.com/a%3Eb%3Cc%20d"),
        ("javascript:alert(1)", None),
        ("", None),
        ("https://x.com/?a=1&b=2", "https://x.com/?a=1&b=2"),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


# -- Full text for drafts, questions and answers --------------------------------------------------


def test_long_draft_question_and_answer_each_get_their_own_full_text_button() -> None:
    long = "&" * 8000
    draft = Draft(id=3, item_id=12, text=long, author="U0ALICE")
    blocks = draft_blocks(draft, item=make_item(), platform_label="Facebook", length=8000, limit=8000)
    assert buttons(blocks)[ActionId.FULL_TEXT]["value"] == "draft:3"
    question = OwnerQuestion(id=5, item_id=12, question=long, asked_by="U0ALICE")
    _, dm = owner_dm(question, item=make_item(), platform_label="Instagram", waiting="1h", permalink=None)
    assert buttons(dm)[ActionId.FULL_TEXT]["value"] == "question:5"
    _, note = answer_note(question, answer=long)
    assert buttons(note)[ActionId.FULL_TEXT]["value"] == "answer:5"
    _, asked = asked_note(user="U0ALICE", question=long, question_id=5)
    assert buttons(asked)[ActionId.FULL_TEXT]["value"] == "question:5"
    short = Draft(id=4, item_id=12, text="Thanks!", author="U0ALICE")
    assert ActionId.FULL_TEXT not in buttons(
        draft_blocks(short, item=make_item(), platform_label="Facebook", length=7, limit=8000)
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", ("item", 12)),
        ("draft:3", ("draft", 3)),
        ("question:5", ("question", 5)),
        ("answer:5", ("answer", 5)),
        ("item:12", None),
        ("draft:", None),
        ("drop:1", None),
        ("", None),
        ("-1", None),
    ],
)
def test_full_text_reference(value: str, expected: tuple[str, int] | None) -> None:
    assert parse_ref(value) == expected


@pytest.mark.parametrize("case", sorted(TEXTS))
def test_text_modal_holds_any_text_whole(case: str) -> None:
    view = text_modal(title="Draft for #123456789", head=[], text=TEXTS[case])
    check_view(view)
    if clean(TEXTS[case]).strip():
        assert clean(TEXTS[case]) in "".join(texts(view["blocks"], "plain_text"))
