"""The connected accounts: which brand and platform client serve an item (SPEC "Brands").

One platform client per account, so each reply goes out with its own account's token. An
item names its account by the row id it was stored with; the registry maps that to the
account's platform id once and remembers it, so a look-up costs no query after the first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.brands import Account as BrandAccount
from bot.brands import Brand, Brands
from bot.platforms.base import Platform
from bot.storage.db import Database
from bot.storage.models import Account, Item


@dataclass(frozen=True)
class Connected:
    brand: Brand
    account: BrandAccount
    platform: Platform

    @property
    def channel(self) -> str:
        return self.brand.channel_for(self.account)

    @property
    def name(self) -> str:
        """The adapter's name: `messenger` for a Page's direct messages, else the account's platform."""
        return str(getattr(self.platform, "name", None) or self.account.platform)


@dataclass
class PlatformRegistry:
    """Platforms keyed by (platform, account id), with the look-up by item every caller needs.

    The key is the adapter's name: a Page's account serves both `facebook` (comments) and
    `messenger` (its direct messages), an Instagram account `instagram` and `instagram_dm`.
    """

    db: Database
    brands: Brands
    connected: list[Connected]
    _by_key: dict[tuple[str, str], Connected] = field(init=False, repr=False)
    # The single-brand X account may have no user id until the poller asks X who it is.
    _unkeyed: dict[str, Connected] = field(init=False, repr=False)
    _external: dict[int, tuple[str, str]] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._by_key = {
            (c.name, c.account.external_id): c for c in self.connected if c.account.external_id is not None
        }
        self._unkeyed = {c.name: c for c in self.connected if c.account.external_id is None}

    def __iter__(self) -> Iterator[Connected]:
        return iter(self.connected)

    def __len__(self) -> int:
        return len(self.connected)

    def names(self) -> list[str]:
        """The platform names with at least one connected account."""
        return sorted({c.name for c in self.connected})

    def find(self, *, platform: str, external_id: str) -> Connected | None:
        found = self._by_key.get((platform, external_id))
        return found if found is not None else self._unkeyed.get(platform)

    def for_item(self, item: Item) -> Platform | None:
        """The client of the account the item came to; None when that account is not connected."""
        key = self._external.get(item.account_id)
        if key is None:
            with self.db.session() as session:
                account = session.get(Account, item.account_id)
                if account is None:
                    return None
                key = (account.platform, account.external_id)
            with self._lock:
                self._external[item.account_id] = key
        found = self.find(platform=key[0], external_id=key[1])
        return found.platform if found is not None else None
