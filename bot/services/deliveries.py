"""Messages Slack refused for good (parked relay tasks): sending them again once people fixed the cause."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy import select, update
from sqlmodel import col

from bot.brands import Brands
from bot.message_builder import strings
from bot.services.errors import UserError
from bot.storage.db import Database
from bot.storage.models import Item, SlackTask

log = logging.getLogger(__name__)


@dataclass
class Deliveries:
    db: Database
    wake: Callable[[], None]
    brands: Brands
    client: WebClient  # users.info: whether someone is a workspace admin

    def retry_parked(self, *, user: str, channel: str | None) -> int:
        """Un-park the parked tasks `user` may retry from `channel`; they run again in their
        original order. Returns how many.

        Who may: in a brand's channel, that brand's approvers (anyone when it has none) or a
        workspace admin, for that brand's messages; elsewhere, for the brands the user approves,
        or every brand for a workspace admin.
        """
        keys = self._brands_for(user, channel)
        with self.db.session() as session:
            parked = update(SlackTask).where(
                col(SlackTask.failed_at).is_not(None), col(SlackTask.done).is_(False)
            )
            if keys is not None:
                of_brands = select(col(Item.id)).where(col(Item.brand_key).in_(keys))
                parked = parked.where(col(SlackTask.item_id).in_(of_brands))
            result = session.execute(
                parked.values(
                    failed_at=None, last_error=None, attempts=0, not_before=None, claimed_until=None
                )
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        log.info("relay.retry_parked user=%s brands=%s tasks=%s", user, ",".join(keys or ["*"]), count)
        if count:
            self.wake()
        return count

    def _brands_for(self, user: str, channel: str | None) -> list[str] | None:
        """The brand keys whose parked messages `user` may retry here; None: every one."""
        here = self.brands.for_channel(channel) if channel else None
        if here is not None:
            if here.may_approve(user) or self._is_admin(user):
                return [here.key]
            names = ", ".join(f"<@{a}>" for a in here.approvers)
            raise UserError(strings.RETRY_SLACK_WHO.format(brand=here.name, approvers=names))
        approves = [brand.key for brand in self.brands if brand.may_approve(user)]
        # Every brand (and the messages of brands gone from the file) for whoever may decide for all.
        if len(approves) == len(self.brands) or self._is_admin(user):
            return None
        if not approves:
            raise UserError(strings.RETRY_SLACK_NOBODY)
        return approves

    def _is_admin(self, user: str) -> bool:
        """Asked fresh each time: a rare command, and a lost admin role must count at once."""
        try:
            found = self.client.users_info(user=user).get("user") or {}
        except SlackClientError as exc:
            log.warning("deliveries.admin_lookup_failed user=%s error=%s", user, type(exc).__name__)
            return False  # unknown is not a permission
        return bool(found.get("is_admin") or found.get("is_owner"))
