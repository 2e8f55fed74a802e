"""Hostile and huge customer text end to end: what Slack receives shows it literally and fits."""

from __future__ import annotations

from typing import Any

from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import fb_comment_change, ig_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.harness import ALICE, BOB, IG_ID, INBOX, PAGE_ID, Bot
from tests.message_builder.render import check_message, check_view, shown, texts

HOSTILE = "<!channel> <https://evil|bank.com>"


def _fb(message: str, verb: str = "add") -> dict:
    return fb_comment_change(
        page_id=PAGE_ID,
        comment_id="555_1",
        post_id="555",
        message=message,
        from_id="42",
        from_name="Jane Doe",
        verb=verb,
    )


def test_an_edit_to_markup_is_shown_literally_in_the_note_and_the_item(bot: Bot, slack: FakeSlack) -> None:
    bot.meta(_fb("Do you ship to Canada?"))
    root = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    assert bot.meta(_fb(HOSTILE, verb="edited")).status_code == 200

    note = slack.wait_for(lambda: slack.thread(INBOX, root["ts"]) and slack.thread(INBOX, root["ts"])[0])
    update = slack.wait_for(
        lambda: next((u for u in slack.updates(INBOX, root["ts"]) if HOSTILE in shown(u["blocks"])), None)
    )
    for message in (note, update):
        check_message(message["text"], message["blocks"])  # no live ping or disguised link anywhere
        assert HOSTILE in shown(message["blocks"])  # the words, exactly as written
        assert "&lt;!channel&gt; &lt;https://evil|bank.com&gt;" in message["text"]
        assert all("<!channel>" not in t for t in texts(message["blocks"], "mrkdwn"))


def test_a_long_instagram_comment_is_posted_with_full_text_that_opens_it_all(
    bot: Bot, slack: FakeSlack, graph: FakeGraph
) -> None:
    hearts = "<3" * 2200
    graph.add_ig_media(media_id="1789", permalink="https://www.instagram.com/p/ABC123/")
    payload = ig_comment_change(
        ig_account_id=IG_ID,
        comment_id="1790",
        media_id="1789",
        text=hearts,
        username="sam.eats",
        from_id="77",
    )
    assert bot.meta(payload).status_code == 200
    message = slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])
    check_message(message["text"], message["blocks"])
    full = next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "item_full_text"
    )
    assert full["text"]["text"] == "Full text" and full["value"] == "1"

    response, _ = bot.click("item_full_text", value=full["value"], message_ts=message["ts"])
    assert response.status_code == 200
    opened = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[0])
    check_view(opened["view"])
    assert hearts in "".join(texts(opened["view"]["blocks"], "plain_text"))


def test_a_long_draft_opens_whole_and_a_hostile_reason_never_pings(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    bot = make_bot(approver_slack_users=BOB)
    root = bot.facebook_item(graph, text="Do you ship to Canada?")
    # Slack sends what a person typed with &, < and > escaped; the draft is 5,000 ampersands.
    bot.command("draft 1 " + "&amp;" * 5000, user=ALICE)
    draft = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "Draft reply" in m["text"]), None)
    )
    check_message(draft["text"], draft["blocks"])
    full = next(
        e
        for b in draft["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "item_full_text"
    )
    assert full["value"].startswith("draft:")
    bot.click("item_full_text", value=full["value"], message_ts=draft["ts"])
    opened = slack.wait_for(lambda: slack.views_opened() and slack.views_opened()[-1])
    check_view(opened["view"])
    assert "".join(texts(opened["view"]["blocks"], "plain_text")) == "&" * 5000

    bot.command("reject 1 &lt;!channel&gt; *now*", user=BOB)
    note = slack.wait_for(
        lambda: next((m for m in slack.thread(INBOX, root["ts"]) if "rejected" in m["text"]), None)
    )
    check_message(note["text"], note["blocks"])
    assert "<!channel> *now*" in shown(note["blocks"])
