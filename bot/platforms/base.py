"""The platform port: what crosses between Social Inbox and a social network."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Author:
    id: str
    name: str
    handle: str
    url: str
    # What the platform says about the account, for the spam rules; None where it says nothing.
    followers_count: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class IncomingItem:
    """A comment or mention as the platform delivered it."""

    platform: str
    external_id: str
    account_external_id: str
    author: Author
    text: str
    url: str
    created_at: datetime
    parent_external_id: str | None = None
    # The post (Meta) or conversation (X) the item belongs to.
    conversation_id: str | None = None
    # A private message: the conversation is (account, author), and its first item holds the thread.
    direct: bool = False


@dataclass(frozen=True)
class ItemChange:
    """An edit or removal of an item we may already show."""

    platform: str
    external_id: str
    verb: str  # "edited" | "removed"
    text: str | None = None


@dataclass(frozen=True)
class ReplyTarget:
    """What a platform needs to answer one item."""

    external_id: str
    author_handle: str
    conversation_id: str | None = None


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str


@dataclass(frozen=True)
class FetchResult:
    items: list[IncomingItem] = field(default_factory=list)
    newest_id: str | None = None


@dataclass(frozen=True)
class Connection:
    """What a credentials check found: the account it reaches and when its token expires."""

    account: str
    expires_at: datetime | None = None  # None: never, or the platform does not say


class PlatformError(Exception):
    """A platform refused or failed; `reason` is the platform's own words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientError(PlatformError):
    """Worth retrying: timeouts, 5xx, rate limits."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(PlatformError):
    """Retrying will not help: auth, deleted comment, policy."""


class UnknownOutcome(PlatformError):
    """A write that may have been applied: the request left, and no answer says what happened.

    A read timeout, a connection reset after sending, a 5xx the platform does not document as
    "nothing was done". Sending again could post twice, so it is never retried blindly.
    """


@runtime_checkable
class Platform(Protocol):
    name: str
    label: str
    max_reply_length: int

    def reply_length(self, text: str) -> int:
        """How the platform counts `text` against `max_reply_length`."""
        ...

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published: ...

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        """A better link to the item than the webhook carried, or None."""
        ...


@runtime_checkable
class CheckedPlatform(Platform, Protocol):
    """A platform whose credentials bot/health.py checks at start and every HEALTH_CHECK_MINUTES."""

    def check_health(self) -> Connection:
        """Prove the credentials still work (one cheap read); PlatformError when they do not."""
        ...


@runtime_checkable
class ExistenceChecking(Protocol):
    """A platform that can say whether a comment is still there (checked before a scheduled send)."""

    def exists(self, *, target: ReplyTarget) -> bool | None:
        """False when the platform says it is gone; None when it cannot tell right now."""
        ...


@runtime_checkable
class ReplyLookup(Protocol):
    """A platform that can tell whether one of our replies is already there."""

    def find_reply(self, *, target: ReplyTarget, text: str, since: datetime) -> Published | None:
        """Our reply to `target` with `text`, posted at or after `since`, or None.

        Raises PlatformError when the platform cannot be asked (then nobody can tell).
        """
        ...


@runtime_checkable
class PollingPlatform(Platform, Protocol):
    def cursor_key(self) -> str:
        """Names the stored since_id of this account's feed."""
        ...

    def fetch_new(self, *, since_id: str | None) -> FetchResult: ...


@runtime_checkable
class WindowedPlatform(Platform, Protocol):
    """Replies only within `reply_window` of the customer's last message (Meta's messaging window)."""

    reply_window: timedelta


@runtime_checkable
class ModeratedPlatform(Platform, Protocol):
    """Can take a comment out of public view; the Spam action does so (YouTube: held for review)."""

    def hold_for_review(self, *, comment_id: str) -> None: ...
