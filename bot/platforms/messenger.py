"""Facebook Messenger and Instagram direct messages: in by the `messages` webhook, out by the Send API.

Both ride on the Page: Meta delivers `entry[].messaging[]` events for the Page (`object: page`)
and for its linked Instagram account (`object: instagram`), and both are answered with
`POST /{page-id}/messages` and the Page token. A standard reply is allowed only within 24
hours of the customer's last message; the Send API refuses later ones (code 10, subcode
2018278), which `GraphClient` turns into a PermanentError saying so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.platforms.base import Author, IncomingItem, ItemChange, Published, ReplyTarget
from bot.platforms.graph import GraphClient

log = logging.getLogger(__name__)

MESSAGING_WINDOW = timedelta(hours=24)
MESSENGER_INBOX = "https://business.facebook.com/latest/inbox/messenger"
INSTAGRAM_INBOX = "https://www.instagram.com/direct/inbox/"
# Events in `messaging[]` that are not a customer's message; each is logged and skipped.
_OTHER_EVENTS = ("read", "delivery", "reaction", "postback", "optin", "referral", "account_linking")


class _SendApi:
    name: str
    label: str
    max_reply_length: int
    reply_window = MESSAGING_WINDOW
    inbox_url: str

    def __init__(self, *, page_id: str, account_id: str, graph: GraphClient) -> None:
        self.page_id = page_id  # the Send API endpoint, for Instagram too
        self.account_id = account_id  # whose messages arrive: the Page or the Instagram account
        self._graph = graph

    def reply_length(self, text: str) -> int:
        return len(text)

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        return None  # a private conversation has no public link

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        recipient = target.conversation_id or target.external_id
        result = self._graph.post(
            self.page_id,
            "messages",
            recipient=json.dumps({"id": recipient}),
            messaging_type="RESPONSE",
            message=json.dumps({"text": text}),
        )
        return Published(external_id=str(result["message_id"]), url=self.inbox_url)


class MessengerPlatform(_SendApi):
    name = "messenger"
    label = "Messenger"
    max_reply_length = 2000  # the Send API's limit for message.text
    inbox_url = MESSENGER_INBOX

    def __init__(self, *, page_id: str, graph: GraphClient) -> None:
        super().__init__(page_id=page_id, account_id=page_id, graph=graph)


class InstagramDirectPlatform(_SendApi):
    name = "instagram_dm"
    label = "Instagram DM"
    max_reply_length = 1000  # Instagram counts UTF-8 bytes
    inbox_url = INSTAGRAM_INBOX

    def __init__(self, *, page_id: str, account_id: str, graph: GraphClient) -> None:
        super().__init__(page_id=page_id, account_id=account_id, graph=graph)

    def reply_length(self, text: str) -> int:
        return len(text.encode("utf-8", "surrogatepass"))


class _Skip(ValueError):
    """An event that is not a customer's message, or one we cannot read."""


def parse_messaging(
    payload: Any, *, page_ids: Collection[str], instagram_account_ids: Collection[str]
) -> list[IncomingItem | ItemChange]:
    """The customers' messages in one delivery; everything else in `messaging[]` is logged and skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return []
    kind = payload.get("object")
    if kind == "page":
        platform, ours, inbox = "messenger", page_ids, MESSENGER_INBOX
    elif kind == "instagram":
        platform, ours, inbox = "instagram_dm", instagram_account_ids, INSTAGRAM_INBOX
    else:
        return []
    out: list[IncomingItem | ItemChange] = []
    for entry in payload["entry"]:
        events = entry.get("messaging") if isinstance(entry, dict) else None
        if not isinstance(events, list):
            continue  # a `changes` entry: comments, read by meta_webhooks
        account = str(entry.get("id"))
        if account not in ours:
            log.warning("meta.unknown_account object=%s account=%s", kind, account[:40])
            continue
        for event in events:
            try:
                out.append(_event(event, platform=platform, account=account, inbox=inbox))
            except _Skip as why:
                log.info("meta.message_skipped platform=%s reason=%s", platform, why)
    return out


def _event(event: Any, *, platform: str, account: str, inbox: str) -> IncomingItem | ItemChange:
    if not isinstance(event, dict):
        raise _Skip("event_not_object")
    message = event.get("message")
    if not isinstance(message, dict):
        other = next((name for name in _OTHER_EVENTS if name in event), "unknown_event")
        raise _Skip(other)
    if message.get("is_echo"):
        raise _Skip("echo")  # our own reply, sent from here or from Meta's inbox
    mid = _id(message.get("mid"), "mid")
    if message.get("is_deleted"):
        return ItemChange(platform=platform, external_id=mid, verb="removed")
    sender = event.get("sender")
    sender_id = _id(sender.get("id") if isinstance(sender, dict) else None, "sender")
    if sender_id == account:
        raise _Skip("echo")
    return IncomingItem(
        platform=platform,
        external_id=mid,
        account_external_id=account,
        author=Author(id=sender_id, name=f"Customer {sender_id}", handle=sender_id, url=""),
        text=_text(message),
        url=inbox,
        created_at=_when(event.get("timestamp")),
        conversation_id=sender_id,
        direct=True,
    )


def _id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise _Skip(f"no_{what}")
    return _clean(str(value))


def _text(message: dict[str, Any]) -> str:
    text = message.get("text")
    parts = [_clean(text)] if isinstance(text, str) and text else []
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments:
        kinds = [str(a.get("type") or "file") if isinstance(a, dict) else "file" for a in attachments]
        parts.append(f"[{', '.join(_clean(k)[:20] for k in kinds)}]")
    if message.get("is_unsupported"):
        parts.append("[a message type Meta does not pass on; open the inbox to read it]")
    return "\n".join(parts) or "[empty message]"


def _clean(text: str) -> str:
    """Lone surrogates and NUL (which no database stores) become U+FFFD."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "\ufffd")


def _when(millis: Any) -> datetime:
    """Meta's `timestamp` is milliseconds since the epoch; the window runs from it."""
    if isinstance(millis, int) and not isinstance(millis, bool) and millis > 0:
        try:
            return datetime.fromtimestamp(millis / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.now(UTC)
