"""Which brand an item, draft or owner question belongs to, and where it may be acted on.

Scoping is checked here, on the server, for every command and button: in a brand's channel
only that brand's items are reachable, whatever `#N`, button `value` or modal
`private_metadata` a request carries. Permissions (approvers, owner) follow the item's own
brand wherever the action comes from.

A modal's submission carries no channel, so the channel it was opened in travels in its
`private_metadata`, sealed with a key only the server knows together with the ids and the user
it was opened for: a submission whose metadata was forged or altered is refused, and a genuine
one gets the same scope check as the button that opened it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.brands import Brand, Brands
from bot.message_builder import strings
from bot.services.errors import UserError
from bot.storage.db import Database
from bot.storage.models import Draft, Item, OwnerQuestion


def brand_or_refuse(brands: Brands, *, key: str, n: int | None) -> Brand:
    """The item's brand; an item of a brand no longer in the file can only be read, not acted on."""
    brand = brands.get(key)
    if brand is None:
        raise UserError(strings.BRAND_GONE.format(n=n, brand=key))
    return brand


@dataclass
class Scope:
    db: Database
    brands: Brands
    seal_key: bytes = field(repr=False)  # signs modal metadata; derived from the Slack secret
    # An account's connection state in words, by (platform, account id); None: unknown. The
    # hook for the health service (issue "edges"): runtime passes its snapshot look-up here.
    health: Callable[[str, str], str | None] = lambda platform, account: None

    def here(self, channel: str | None) -> Brand | None:
        """The brand whose channel this is; None in a DM or a channel of no brand."""
        return self.brands.for_channel(channel) if channel else None

    def _check(self, *, item_id: int, key: str, channel: str | None) -> Brand:
        here = self.here(channel)
        if here is not None and here.key != key:
            other = self.brands.get(key)
            if other is None:
                raise UserError(strings.BRAND_GONE.format(n=item_id, brand=key))
            raise UserError(strings.OTHER_BRAND.format(n=item_id, brand=other.name, channel=other.channel))
        return brand_or_refuse(self.brands, key=key, n=item_id)

    def item(self, *, item_id: int, channel: str | None) -> Brand:
        """The brand of item `#item_id`, refused when the channel belongs to another brand."""
        with self.db.session() as session:
            item = session.get(Item, item_id)
        if item is None:
            raise UserError(strings.UNKNOWN_ITEM.format(n=item_id))
        return self._check(item_id=item_id, key=item.brand_key, channel=channel)

    def draft(self, *, draft_id: int, channel: str | None) -> Brand:
        with self.db.session() as session:
            draft = session.get(Draft, draft_id)
            item = session.get(Item, draft.item_id) if draft else None
        if item is None or item.id is None:
            raise UserError(strings.DRAFT_GONE)
        return self._check(item_id=item.id, key=item.brand_key, channel=channel)

    def question(self, *, question_id: int, channel: str | None) -> Brand:
        with self.db.session() as session:
            question = session.get(OwnerQuestion, question_id)
            item = session.get(Item, question.item_id) if question else None
        if item is None or item.id is None:
            raise UserError(strings.QUESTION_GONE)
        return self._check(item_id=item.id, key=item.brand_key, channel=channel)

    def seal(self, metadata: str, *, user: str, channel: str | None) -> str:
        """A modal's `private_metadata`, bound to the user and the channel it is opened for."""
        data = json.loads(metadata or "{}")
        data.update(by=user, channel=channel)
        return json.dumps({"m": data, "sig": self._sign(data)}, separators=(",", ":"))

    def opened(self, metadata: str, *, user: str) -> dict[str, Any]:
        """The ids a submitted modal names, once its seal, its user and its brand scope are checked."""
        try:
            sealed = json.loads(metadata or "{}")
            data, sig = sealed["m"], sealed["sig"]
            genuine = isinstance(data, dict) and hmac.compare_digest(self._sign(data), str(sig))
        except (ValueError, TypeError, KeyError):
            genuine = False
        if not genuine or data.get("by") != user:
            raise UserError(strings.FORM_NOT_YOURS)
        channel = data.get("channel")
        if data.get("item_id"):
            self.item(item_id=int(data["item_id"]), channel=channel)
        if data.get("draft_id"):
            self.draft(draft_id=int(data["draft_id"]), channel=channel)
        if data.get("question_id"):
            self.question(question_id=int(data["question_id"]), channel=channel)
        return dict(data)

    def _sign(self, data: dict[str, Any]) -> str:
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self.seal_key, canonical, hashlib.sha256).hexdigest()

    def brand_keys(self, channel: str | None) -> list[str] | None:
        """The brands a list in this channel shows: its own, or every brand (None) elsewhere."""
        here = self.here(channel)
        return [here.key] if here is not None else None
