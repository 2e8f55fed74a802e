"""Meta webhooks: the signature check and the parsing of Page `feed` and Instagram `comments` changes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from bot.platforms.base import Author, IncomingItem, ItemChange
from bot.platforms.facebook import comment_url


class MalformedWebhook(ValueError):
    """Signed, but not a shape Meta sends."""


def signature_valid(*, body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def parse(
    payload: Any, *, page_id: str | None, instagram_account_id: str | None
) -> list[IncomingItem | ItemChange]:
    """Turn one delivery into items and changes; fields and objects we don't watch are skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise MalformedWebhook("expected an object with an 'entry' list")
    kind = payload.get("object")
    out: list[IncomingItem | ItemChange] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict):
            raise MalformedWebhook("entry is not an object")
        changes = entry.get("changes", [])
        if not isinstance(changes, list):
            raise MalformedWebhook("changes is not a list")
        for change in changes:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise MalformedWebhook("change without a value object")
            field, value = change.get("field"), change["value"]
            if kind == "page" and field == "feed" and page_id and str(entry.get("id")) == page_id:
                parsed = _facebook(value, page_id=page_id)
            elif (
                kind == "instagram"
                and field == "comments"
                and instagram_account_id
                and str(entry.get("id")) == instagram_account_id
            ):
                parsed = _instagram(value, account_id=instagram_account_id)
            else:
                parsed = None
            if parsed is not None:
                out.append(parsed)
    return out


def _text(value: dict[str, Any], key: str) -> str:
    found = value.get(key, "")
    if not isinstance(found, str):
        raise MalformedWebhook(f"'{key}' is not a string")
    return found


def _required(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    if not isinstance(found, str | int) or found == "":
        raise MalformedWebhook(f"'{key}' is missing")
    return str(found)


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
    parent = value.get("parent_id")
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
        parent_external_id=str(parent) if parent and str(parent) != post_id else None,
        conversation_id=post_id,
    )


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
    media_id = str(media.get("id")) if isinstance(media, dict) and media.get("id") else None
    parent = value.get("parent_id")
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
        parent_external_id=str(parent) if parent else None,
        conversation_id=media_id,
    )


def _when(epoch: int | None) -> datetime:
    return datetime.fromtimestamp(epoch, UTC) if epoch else datetime.now(UTC)
