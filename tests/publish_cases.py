"""One reply to publish on each of X, Facebook and Instagram, for the tests of lost answers.

A case knows how to bring its item into Slack, which request sends the reply, which request
looks for it afterwards, and what the platform's fake holds as published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.base import FakeServer
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import ig_comment_change
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import IG_ID, INBOX, Bot

PLATFORMS = ("x", "facebook", "instagram")
TEXT = "Thanks, see you soon!"


@dataclass(frozen=True)
class Case:
    platform: str
    fake: FakeServer
    send_path: str  # POST that creates the reply
    lookup_path: str  # GET that lists replies to the item
    _replies: Callable[[], list[str]]
    _item: Callable[[Bot], dict[str, Any]]

    def item(self, bot: Bot) -> dict[str, Any]:
        """The item's root message in the inbox, once it is there."""
        return self._item(bot)

    def replies(self) -> list[str]:
        """Texts of every reply that exists on the platform."""
        return self._replies()

    def sends(self) -> int:
        """How many requests to create a reply reached the platform."""
        return len(self.fake.calls_to(self.send_path, "POST"))


def case(platform: str, *, x_api: FakeX, graph: FakeGraph, slack: FakeSlack) -> Case:
    def first_item(bot: Bot) -> dict[str, Any]:
        return slack.wait_for(lambda: bot.item_messages() and bot.item_messages()[0])

    if platform == "x":

        def x_item(bot: Bot) -> dict[str, Any]:
            x_api.add_mention(text="@shop when do you open?", username="jdoe", name="Jane Doe")
            bot.runtime.pollers["x"].poll()
            return first_item(bot)

        return Case(
            "x",
            x_api,
            "/2/tweets",
            f"/2/users/{x_api.user_id}/tweets",
            lambda: [p["text"] for p in x_api.published()],
            x_item,
        )
    if platform == "facebook":
        return Case(
            "facebook",
            graph,
            "/555_1/comments",
            "/555_1/comments",
            lambda: [r["message"] for r in graph.fb_replies()],
            lambda bot: bot.facebook_item(graph, n=1, text="Do you ship to Canada?"),
        )

    def ig_item(bot: Bot) -> dict[str, Any]:
        graph.add_ig_comment(
            comment_id="1790", media_id="1789", text="Is this vegan?", username="sam", from_id="77"
        )
        change = ig_comment_change(
            ig_account_id=IG_ID,
            comment_id="1790",
            media_id="1789",
            text="Is this vegan?",
            username="sam",
            from_id="77",
        )
        assert bot.meta(change).status_code == 200
        return first_item(bot)

    return Case(
        "instagram",
        graph,
        "/1790/replies",
        "/1790/replies",
        lambda: [r["message"] for r in graph.ig_replies()],
        ig_item,
    )


# -- what people see in Slack ---------------------------------------------------------------------


def thread_note(slack: FakeSlack, root: dict[str, Any], words: str, *, timeout: float = 10) -> str:
    """The first note in the item's thread containing `words`, once it is there."""
    found = slack.wait_for(
        lambda: next(
            (m["text"] for m in slack.thread(INBOX, root["ts"]) if words in m.get("text", "")), None
        ),
        timeout=timeout,
        message=f"a thread note with {words!r}",
    )
    return str(found)


def thread_text(slack: FakeSlack, root: dict[str, Any]) -> str:
    return "\n".join(m.get("text", "") for m in slack.thread(INBOX, root["ts"]))


def draft_message(slack: FakeSlack, root: dict[str, Any], *, showing: str = "") -> dict[str, Any]:
    """The draft's message in the thread, once its blocks contain `showing`."""

    def current() -> dict[str, Any] | None:
        for message in reversed(slack.thread(INBOX, root["ts"])):
            if "Draft reply" in message.get("text", "") and showing in str(message.get("blocks")):
                return message
        return None

    return slack.wait_for(current, message=f"the draft message showing {showing!r}")


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Action id -> value of every button on a message."""
    return {
        str(e["action_id"]): str(e.get("value"))
        for block in message.get("blocks", [])
        for e in block.get("elements", [])
        if e.get("type") == "button"
    }


def item_state(slack: FakeSlack, root: dict[str, Any]) -> str:
    return str(slack.message(INBOX, root["ts"])["blocks"])  # type: ignore[index]


def ephemeral(slack: FakeSlack, name: str) -> str:
    return str(slack.wait_for(lambda: slack.responses(name) and slack.responses(name)[-1])["text"])


def draft_and_approve(
    bot: Bot, slack: FakeSlack, root: dict[str, Any], *, approver: str, author: str
) -> None:
    bot.command(f"draft 1 {TEXT}", user=author)
    draft_message(slack, root)
    _, name = bot.command("approve 1", user=approver)
    assert "Approved #1" in ephemeral(slack, name)
