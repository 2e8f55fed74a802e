"""For any text and any name, every message validates and nothing from outside pings or links."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.message_builder.format import chunks, clean, escaped_len, shorten
from bot.message_builder.ids import ActionId
from bot.message_builder.item import ItemView, fallback_text, full_text_modal, item_blocks
from bot.message_builder.notes import edited_note
from bot.storage.models import Item
from tests.message_builder.render import check_message, check_view

# Every code point, lone surrogates and NUL included, weighted towards Slack's markup.
ANY_TEXT = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50),
        st.sampled_from(["<", ">", "&", "|", "*", "\n", "<!channel>", "<@U0EVIL>", "<https://evil|x>", "😀"]),
        st.sampled_from(["&" * 700, "<3" * 500, "\n" * 400]),
    ),
    max_size=60,
).map("".join)


def _item(text: str, name: str, handle: str) -> Item:
    return Item(
        id=7,
        platform="instagram",
        external_id="c",
        account_id=1,
        author_name=name,
        author_handle=f"@{handle}",
        author_url=f"https://www.instagram.com/{handle}",
        text=text,
        url="https://www.instagram.com/p/x/",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@settings(max_examples=150, deadline=None)
@given(text=ANY_TEXT, name=ANY_TEXT, handle=ANY_TEXT)
def test_any_item_renders_valid_and_safe(text: str, name: str, handle: str) -> None:
    item = _item(text, name, handle)
    view = ItemView(item=item, platform_label="Instagram")
    blocks = item_blocks(view)
    check_message(fallback_text(view), blocks)
    note, note_blocks = edited_note(item_id=7, text=text)
    check_message(note, note_blocks)
    modal = full_text_modal(item=item, platform_label="Instagram")
    check_view(modal)
    if shorten(text, 3000)[1]:
        assert any(
            e.get("action_id") == ActionId.FULL_TEXT
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
        )


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT, limit=st.integers(min_value=10, max_value=3000))
def test_chunks_keep_every_character_and_each_fits(text: str, limit: int) -> None:
    pieces = chunks(text, limit)
    assert "".join(pieces) == clean(text)
    assert all(escaped_len(piece) <= limit for piece in pieces)
    shown, cut = shorten(text, limit)
    assert escaped_len(shown) <= limit
    assert cut == (shown != clean(text))
