"""What the runners share: the item's Slack message and posting into its thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.relay.errors import NotReady
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

    def message_of(self, item_id: int) -> ItemMessage:
        with self.db.session() as session:
            message = session.get(ItemMessage, item_id)
        if message is None:
            raise NotReady(f"item {item_id} has no message yet")
        return message

    def post_in_thread(
        self, item_id: int, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> Posted:
        message = self.message_of(item_id)
        response = self.client.chat_postMessage(
            channel=message.channel,
            thread_ts=message.thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))
