"""Builders for Meta webhook deliveries (Page feed comments, Instagram comments) and signing.

Payload shapes follow Meta's Webhooks reference: Page ``feed`` changes with ``item: comment``
and Instagram ``comments`` changes. Meta signs the raw body with the app secret and sends it as
``X-Hub-Signature-256: sha256=<hex>``; :func:`sign` produces the same value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]


def fb_comment_change(
    *,
    page_id: str,
    comment_id: str,
    post_id: str,
    message: str,
    from_id: str,
    from_name: str,
    verb: str = "add",
    parent_id: str | None = None,
    created_time: int | None = None,
) -> JSON:
    """A Page ``feed`` change for a comment. Top-level comments carry ``parent_id == post_id``.

    ``verb`` is ``add``, ``edited`` or ``remove``; a removal carries no message, as Meta's does.
    """
    created = created_time if created_time is not None else int(time.time())
    value: JSON = {
        "from": {"id": from_id, "name": from_name},
        "post": {
            "id": post_id,
            "status_type": "mobile_status_update",
            "is_published": True,
            "updated_time": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"https://www.facebook.com/{post_id.replace('_', '/posts/', 1)}",
        },
        "post_id": post_id,
        "comment_id": comment_id,
        "created_time": created,
        "item": "comment",
        "parent_id": parent_id or post_id,
        "verb": verb,
    }
    if verb != "remove":
        value["message"] = message
    return {
        "object": "page",
        "entry": [{"id": page_id, "time": created, "changes": [{"field": "feed", "value": value}]}],
    }


def ig_comment_change(
    *,
    ig_account_id: str,
    comment_id: str,
    media_id: str,
    text: str,
    username: str,
    from_id: str,
    parent_id: str | None = None,
    media_product_type: str = "FEED",
    time_sent: int | None = None,
) -> JSON:
    """An Instagram ``comments`` change; ``parent_id`` is present only on replies."""
    value: JSON = {
        "from": {"id": from_id, "username": username},
        "media": {"id": media_id, "media_product_type": media_product_type},
        "id": comment_id,
        "text": text,
    }
    if parent_id:
        value["parent_id"] = parent_id
    sent = time_sent if time_sent is not None else int(time.time())
    return {
        "object": "instagram",
        "entry": [{"id": ig_account_id, "time": sent, "changes": [{"field": "comments", "value": value}]}],
    }


def batch(*payloads: JSON) -> JSON:
    """Merge deliveries into one, as Meta batches several entries in a single POST."""
    if not payloads:
        raise ValueError("batch() needs at least one payload")
    objects = {p["object"] for p in payloads}
    if len(objects) != 1:
        raise ValueError(f"cannot batch different objects: {sorted(objects)}")
    return {"object": payloads[0]["object"], "entry": [e for p in payloads for e in p["entry"]]}


def encode(payload: JSON) -> bytes:
    """The body bytes to send (sign exactly these bytes)."""
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta would send for ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """Headers of a Meta delivery: JSON content type and the body's signature."""
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, app_secret)}


def verification_params(*, verify_token: str, challenge: str = "1158201444") -> dict[str, str]:
    """Query parameters of Meta's subscription check (``GET`` with ``hub.mode=subscribe``)."""
    return {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}


def message_event(
    *,
    account_id: str,
    customer_id: str,
    mid: str,
    text: str | None = None,
    timestamp_ms: int | None = None,
    instagram: bool = False,
    attachments: list[JSON] | None = None,
) -> JSON:
    """A `messages` delivery: one customer message in `entry[].messaging[]` (Messenger or Instagram)."""
    sent = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    message: JSON = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = attachments
    return messaging_delivery(
        account_id=account_id,
        instagram=instagram,
        events=[
            {
                "sender": {"id": customer_id},
                "recipient": {"id": account_id},
                "timestamp": sent,
                "message": message,
            }
        ],
    )


def messaging_delivery(*, account_id: str, events: list[JSON], instagram: bool = False) -> JSON:
    """`entry[].messaging[]` with any events: messages, echoes (`message.is_echo`), `read`, `delivery`, `reaction`."""
    now = int(time.time() * 1000)
    return {
        "object": "instagram" if instagram else "page",
        "entry": [{"id": account_id, "time": now, "messaging": events}],
    }
