"""Meta webhooks: the signature check and the parsing of Page `feed` and Instagram `comments` changes."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from bot.platforms.base import Author, IncomingItem, ItemChange
from bot.platforms.facebook import comment_url

log = logging.getLogger(__name__)


class MalformedWebhook(ValueError):
    """Signed, but not a shape Meta sends."""


def signature_valid(*, body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not header.isascii() or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.removeprefix("sha256=").encode())


def clean_text(text: str) -> str:
    """Text that every database stores: lone surrogates and NUL become U+FFFD.

    JSON may carry `\\ud800` alone, which no UTF-8 encoder accepts, and PostgreSQL
    refuses NUL in text; either would fail the whole delivery.
    """
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "\ufffd")


def parse(
    payload: Any, *, page_ids: Collection[str], instagram_account_ids: Collection[str]
) -> list[IncomingItem | ItemChange]:
    """Turn one delivery into items and changes.

    Fields and objects we don't watch are skipped; so is a change we cannot read (logged),
    so that one odd change never costs the others in its delivery. MalformedWebhook only
    when the delivery as a whole has no `entry` list.

    `entry[].id` names the Page or Instagram account the change happened on; one of no
    brand is logged and skipped, so Meta still gets its 200 and does not retry.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise MalformedWebhook("expected an object with an 'entry' list")
    kind = payload.get("object")
    out: list[IncomingItem | ItemChange] = []
    for entry in payload["entry"]:
        changes = entry.get("changes", []) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(changes, list):
            log.warning("meta.skipped reason=entry_not_readable")
            continue
        for change in changes:
            try:
                parsed = _change(
                    kind, entry, change, page_ids=page_ids, instagram_account_ids=instagram_account_ids
                )
            except MalformedWebhook as exc:
                log.warning("meta.skipped reason=%s", exc)
                continue
            if parsed is not None:
                out.append(parsed)
    return out


def _change(
    kind: Any,
    entry: dict[str, Any],
    change: Any,
    *,
    page_ids: Collection[str],
    instagram_account_ids: Collection[str],
) -> IncomingItem | ItemChange | None:
    if not isinstance(change, dict):
        raise MalformedWebhook("change is not an object")
    field, value = change.get("field"), change.get("value")
    if not ((kind == "page" and field == "feed") or (kind == "instagram" and field == "comments")):
        return None
    entry_id = str(entry.get("id"))
    if entry_id not in (page_ids if kind == "page" else instagram_account_ids):
        log.warning("meta.unknown_account object=%s account=%s", kind, entry_id[:40])
        return None
    if not isinstance(value, dict):
        raise MalformedWebhook("change without a value object")
    if kind == "page":
        return _facebook(value, page_id=entry_id)
    return _instagram(value, account_id=entry_id)


def _text(value: dict[str, Any], key: str) -> str:
    found = value.get(key, "")
    if not isinstance(found, str):
        raise MalformedWebhook(f"'{key}' is not a string")
    return clean_text(found)


def _required(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    if not isinstance(found, str | int) or isinstance(found, bool) or found == "":
        raise MalformedWebhook(f"'{key}' is missing")
    return clean_text(str(found))


def _facebook(value: dict[str, Any], *, page_id: str) -> IncomingItem | ItemChange | None:
    if value.get("item") != "comment":
        return None
    verb = value.get("verb")
    comment_id = _required(value, "comment_id")
    if verb == "remove":
        return ItemChange(platform="facebook", external_id=comment_id, verb="removed")
    if verb == "edited":
        return ItemChange(
            platform="facebook", external_id=comment_id, verb="edited", text=_text(value, "message")
        )
    if verb != "add":
        return None
    sender = value.get("from")
    if not isinstance(sender, dict):
        raise MalformedWebhook("'from' is missing")
    sender_id = _required(sender, "id")
    if sender_id == page_id:
        return None  # the Page's own replies
    post_id = _required(value, "post_id")
    parent = _optional_id(value.get("parent_id"))
    created = value.get("created_time")
    if created is not None and not isinstance(created, int):
        raise MalformedWebhook("'created_time' is not a number")
    name = _text(sender, "name") or sender_id
    return IncomingItem(
        platform="facebook",
        external_id=comment_id,
        account_external_id=page_id,
        author=Author(id=sender_id, name=name, handle=name, url=f"https://www.facebook.com/{sender_id}"),
        text=_text(value, "message"),
        url=comment_url(comment_id),
        created_at=_when(created),
        parent_external_id=parent if parent and parent != post_id else None,
        conversation_id=post_id,
    )


def _optional_id(value: Any) -> str | None:
    return clean_text(str(value)) if isinstance(value, str | int) and value != "" else None


def _instagram(value: dict[str, Any], *, account_id: str) -> IncomingItem | None:
    comment_id = _required(value, "id")
    sender = value.get("from")
    if not isinstance(sender, dict):
        raise MalformedWebhook("'from' is missing")
    sender_id = _required(sender, "id")
    if sender_id == account_id:
        return None  # our own replies
    username = _text(sender, "username") or sender_id
    media = value.get("media")
    media_id = _optional_id(media.get("id")) if isinstance(media, dict) else None
    parent = _optional_id(value.get("parent_id"))
    return IncomingItem(
        platform="instagram",
        external_id=comment_id,
        account_external_id=account_id,
        author=Author(
            id=sender_id, name=username, handle=f"@{username}", url=f"https://www.instagram.com/{username}"
        ),
        text=_text(value, "text"),
        url="https://www.instagram.com/",
        created_at=_when(None),
        parent_external_id=parent,
        conversation_id=media_id,
    )


def _when(epoch: int | None) -> datetime:
    """Meta's time, or now when there is none or it is beyond what a datetime holds."""
    if epoch:
        try:
            return datetime.fromtimestamp(epoch, UTC)
        except (OverflowError, OSError, ValueError):
            log.warning("meta.bad_time created_time=%s", str(epoch)[:30])
    return datetime.now(UTC)
