"""Each Slack member's time zone (users.info `tz`), cached in memory and in the database."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.models import UserProfile

log = logging.getLogger(__name__)

UTC_ZONE = ZoneInfo("UTC")


@dataclass
class TimeZones:
    db: Database
    client: WebClient
    clock: Clock
    ttl: timedelta = timedelta(hours=12)
    _cache: dict[str, tuple[ZoneInfo, object]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def zone(self, user: str) -> ZoneInfo:
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(user)
        if cached is not None and cached[1] > now:  # type: ignore[operator]
            return cached[0]
        with self.db.session() as session:
            profile = session.get(UserProfile, user)
        if profile is None or now - profile.fetched_at > self.ttl:
            name = self._fetch(user)
            if name is None:
                return _zone(profile.tz) if profile else UTC_ZONE
            try:
                with self.db.session() as session:
                    stored = session.get(UserProfile, user) or UserProfile(user_id=user, tz=name)
                    stored.tz, stored.fetched_at = name, now
                    session.add(stored)
            except IntegrityError:
                pass  # another thread cached the same user first
            tz = name
        else:
            tz = profile.tz
        zone = _zone(tz)
        with self._lock:
            self._cache[user] = (zone, now + self.ttl)
        return zone

    def _fetch(self, user: str) -> str | None:
        try:
            response = self.client.users_info(user=user)
        except SlackClientError as exc:
            log.warning("timezones.lookup_failed user=%s error=%s", user, exc)
            return None
        tz = (response.get("user") or {}).get("tz")
        return str(tz) if tz else None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE
