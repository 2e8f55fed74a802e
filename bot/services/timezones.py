"""Each Slack member's time zone and name (users.info), cached in memory and in the database."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
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
    _names: dict[str, tuple[str | None, object]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def name(self, user: str) -> str | None:
        """How a mention of `user` reads outside Slack: the real name, else the display name."""
        now = self.clock.now()
        with self._lock:
            cached = self._names.get(user)
        if cached is not None and cached[1] > now:  # type: ignore[operator]
            return cached[0]
        with self.db.session() as session:
            profile = session.get(UserProfile, user)
        if profile is not None and profile.name and now - profile.fetched_at <= self.ttl:
            name: str | None = profile.name
        else:
            found = self._fetch(user)
            name = _name(found) if found else (profile.name if profile else None)
            if found:
                self._store(user, tz=str(found.get("tz") or (profile.tz if profile else "UTC")), name=name)
        with self._lock:
            self._names[user] = (name, now + self.ttl)
        return name

    def zone(self, user: str) -> ZoneInfo:
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(user)
        if cached is not None and cached[1] > now:  # type: ignore[operator]
            return cached[0]
        with self.db.session() as session:
            profile = session.get(UserProfile, user)
        if profile is None or now - profile.fetched_at > self.ttl:
            found = self._fetch(user)
            fetched_tz = str(found.get("tz") or "") if found else ""
            if not fetched_tz:
                return _zone(profile.tz) if profile else UTC_ZONE
            self._store(user, tz=fetched_tz, name=_name(found or {}))
            tz = fetched_tz
        else:
            tz = profile.tz
        zone = _zone(tz)
        with self._lock:
            self._cache[user] = (zone, now + self.ttl)
        return zone

    def _store(self, user: str, *, tz: str, name: str | None) -> None:
        try:
            with self.db.session() as session:
                stored = session.get(UserProfile, user) or UserProfile(user_id=user, tz=tz)
                stored.tz, stored.name, stored.fetched_at = tz, name, self.clock.now()
                session.add(stored)
        except IntegrityError:
            pass  # another thread cached the same user first

    def _fetch(self, user: str) -> dict[str, Any] | None:
        try:
            response = self.client.users_info(user=user)
        except SlackClientError as exc:
            log.warning("timezones.lookup_failed user=%s error=%s", user, exc)
            return None
        found = response.get("user")
        return found if isinstance(found, dict) else None


def _name(user: dict[str, Any]) -> str | None:
    profile = user.get("profile") or {}
    for name in (
        profile.get("real_name"),
        user.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    ):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE
