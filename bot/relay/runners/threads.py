"""What the runners share: the item's Slack message, posting at Slack's pace, posting into a thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.relay.errors import NotReady
from bot.relay.pacing import Paced, Pacer
from bot.relay.queue import promote
from bot.storage.db import Database
from bot.storage.models import ItemMessage


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


@dataclass(frozen=True)
class Threads:
    db: Database
    client: WebClient
    pacer: Pacer

    def post(self, *, channel: str, reserve: int = 0, **message: Any) -> SlackResponse:
        """chat.postMessage at the channel's pace; a 429 pauses this channel only (raises `Paced`)."""
        self.pacer.take(channel, reserve=reserve)
        try:
            return self.client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            if exc.response.status_code != 429:
                raise
            retry_after = float(exc.response.headers.get("Retry-After", 1))
            self.pacer.limited(channel, retry_after=retry_after)
            raise Paced(channel, retry_after) from None

    def message_of(self, item_id: int) -> ItemMessage:
        with self.db.session() as session:
            message = session.get(ItemMessage, item_id)
            if message is None:
                promote(session, item_id=item_id)
        if message is None:
            raise NotReady(f"item {item_id} has no message yet")
        return message

    def post_in_thread(
        self, item_id: int, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> Posted:
        message = self.message_of(item_id)
        response = self.post(
            channel=message.channel,
            thread_ts=message.thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))
