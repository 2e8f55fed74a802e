"""Bluesky with the atproto SDK: mentions and replies come from notifications, answers are reply posts.

The SDK's ``Client`` takes the PDS URL (``service_url``) and an httpx-based ``Request`` that
carries our timeout. It logs in with the handle and an app password (``createSession``) and
refreshes the session itself (``refreshSession``) before the access token expires.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import httpx
import pydantic
import regex
from atproto import Client, models
from atproto_client import exceptions as atp
from atproto_client.request import Request

from bot.platforms.base import (
    Author,
    Connection,
    FetchResult,
    IncomingItem,
    PermanentError,
    PlatformError,
    Published,
    ReplyTarget,
    TransientError,
    UnknownOutcome,
)
from bot.platforms.cursor import TimeMark, newest, parse_time

log = logging.getLogger(__name__)

T = TypeVar("T")

POST_COLLECTION = "app.bsky.feed.post"
# Notifications that are someone talking to us; likes, follows and reposts are not questions.
REASONS = ("mention", "reply")
_GRAPHEME = regex.compile(r"\X")


class BlueskyPlatform:
    name = "bluesky"
    label = "Bluesky"
    # app.bsky.feed.post: text is at most 300 graphemes (and 3000 UTF-8 bytes).
    max_reply_length = 300
    max_reply_bytes = 3000
    first_poll_results = 20
    page_size = 100

    def __init__(self, *, handle: str, app_password: str, service_url: str, timeout: float) -> None:
        self._handle = handle.lstrip("@")
        self._password = app_password
        self._client = Client(base_url=service_url, request=Request(timeout=timeout))
        self._did: str | None = None

    def cursor_key(self) -> str:
        return f"bluesky:notifications:{self._handle}"

    def account_id(self) -> str:
        return self._login()

    def check_health(self) -> Connection:
        """The session still answers (a revoked app password ends it, and the new login is refused)."""
        self._login()
        session = self._call(lambda: self._client.com.atproto.server.get_session())
        return Connection(account="@" + str(session.handle))

    def reply_length(self, text: str) -> int:
        # Bluesky counts user-perceived characters (extended grapheme clusters, UAX #29),
        # so a family emoji is one and an accented letter built from two code points is one.
        return len(_GRAPHEME.findall(text))

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        return None

    def fetch_new(self, *, since_id: str | None) -> FetchResult:
        did = self._login()
        mark = TimeMark.decode(since_id)
        seen: list[Any] = []
        cursor: str | None = None
        while True:
            params = models.AppBskyNotificationListNotifications.Params(
                limit=self.page_size if mark else self.first_poll_results,
                cursor=cursor,
                reasons=list(REASONS),
            )
            page = self._call(partial(self._client.app.bsky.notification.list_notifications, params))
            seen.extend(page.notifications)
            cursor = page.cursor
            # Newest first: a page that reaches the mark means everything after it is stored.
            reached = any(_mark(n) <= mark for n in page.notifications) if mark else False
            if not cursor or mark is None or reached or not page.notifications:
                break
        newest_seen = max((_mark(n) for n in seen), default=None)
        fresh = [n for n in seen if (mark is None or _mark(n) > mark)]
        fresh = [n for n in fresh if n.reason in REASONS and n.author.did != did]
        fresh.sort(key=_mark)
        unique = {n.uri: n for n in fresh}  # a mention inside a reply comes as both reasons
        items = [self._to_item(n) for n in unique.values()]
        cursor_mark = newest(newest_seen, mark)
        return FetchResult(items=items, newest_id=cursor_mark.encode() if cursor_mark else None)

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        did = self._login()
        parent_uri = target.external_id
        # The parent's current cid (a strong ref) and its thread root come from the record itself.
        parent = self._call(lambda: self._get_post(parent_uri))
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=str(parent.cid))
        reply = getattr(parent.value, "reply", None)
        root_ref = (
            models.ComAtprotoRepoStrongRef.Main(uri=reply.root.uri, cid=reply.root.cid)
            if reply
            else parent_ref
        )
        record = models.AppBskyFeedPost.Record(
            text=text,
            created_at=self._client.get_current_time_iso(),
            reply=models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref),
        )
        data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=POST_COLLECTION, record=record)
        created = self._call(lambda: self._client.com.atproto.repo.create_record(data), write=True)
        return Published(external_id=created.uri, url=_post_url(self._handle, created.uri))

    # ------------------------------------------------------------------------------------------

    def _get_post(self, uri: str) -> Any:
        parts = uri.removeprefix("at://").split("/")
        if len(parts) != 3 or parts[1] != POST_COLLECTION:
            raise PermanentError(f"not a Bluesky post: {uri}")
        params = models.ComAtprotoRepoGetRecord.Params(repo=parts[0], collection=parts[1], rkey=parts[2])
        return self._client.com.atproto.repo.get_record(params)

    def _login(self) -> str:
        if self._did is None:
            self._call(
                lambda: self._client.login(self._handle, self._password, fetch_bsky_profile=False), login=True
            )
            session = self._client._session
            if session is None:
                raise PermanentError("Bluesky login returned no session")
            self._did = session.did
        return self._did

    def _to_item(self, notification: Any) -> IncomingItem:
        record = notification.record
        reply = getattr(record, "reply", None)
        author = notification.author
        return IncomingItem(
            platform=self.name,
            external_id=notification.uri,
            # The handle, as brands.yml names the account (the DID is only known after login).
            account_external_id=self._handle,
            author=Author(
                id=author.did,
                name=author.display_name or author.handle,
                handle=f"@{author.handle}",
                url=f"https://bsky.app/profile/{author.handle}",
            ),
            text=str(getattr(record, "text", "")),
            url=_post_url(author.handle, notification.uri),
            created_at=parse_time(getattr(record, "created_at", None) or notification.indexed_at),
            parent_external_id=reply.parent.uri if reply else None,
            conversation_id=reply.root.uri if reply else notification.uri,
        )

    def _call(self, fn: Callable[[], T], *, login: bool = False, write: bool = False) -> T:
        """Run an SDK call, turning its errors into ours; an expired session logs in again once.

        A refused session is retried once: the PDS refuses it before doing anything.
        """
        try:
            return self._translate(fn, login=login, write=write)
        except _SessionGone:
            self._did = None
            self._login()
        try:
            return self._translate(fn, login=login, write=write)
        except _SessionGone:
            raise PermanentError("Bluesky refused a fresh session; check the app password") from None

    def _translate(self, fn: Callable[[], T], *, login: bool, write: bool = False) -> T:
        """For a write (a reply), a lost answer or a 5xx may mean the post was made: UnknownOutcome."""
        unknown = UnknownOutcome if write else TransientError
        try:
            return fn()
        except atp.RateLimitExceededError as exc:
            reset = (exc.response.headers.get("ratelimit-reset") if exc.response else None) or ""
            wait = max(1.0, float(reset) - time.time()) if reset.isdigit() else 60.0
            raise TransientError(
                f"Bluesky rate limit reached; resets in {wait:.0f}s", retry_after=wait
            ) from None
        except atp.UnauthorizedError as exc:
            if login:
                raise PermanentError(
                    f"Bluesky refused the login ({_reason(exc)}); check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD"
                ) from None
            raise _SessionGone from None
        except atp.BadRequestError as exc:
            if _error_code(exc) in {"ExpiredToken", "InvalidToken"} and not login:
                raise _SessionGone from None
            raise PermanentError(f"Bluesky refused: {_reason(exc)}") from None
        except atp.InvokeTimeoutError:
            raise unknown("Bluesky did not answer in time") from None
        except atp.NetworkError as exc:
            never_sent = isinstance(exc.__cause__ or exc.__context__, httpx.ConnectError)
            raise (TransientError if never_sent else unknown)(
                f"Bluesky could not be reached ({_reason(exc)})"
            ) from None
        except atp.RequestException as exc:
            status = exc.response.status_code if exc.response else 0
            if status >= 500:
                raise unknown(f"Bluesky server error {status}: {_reason(exc)}") from None
            raise PermanentError(f"Bluesky error {status}: {_reason(exc)}") from None
        except pydantic.ValidationError as exc:
            raise PermanentError(
                f"Bluesky answered or was sent something malformed: {exc.error_count()} errors"
            ) from None
        except atp.AtProtocolError as exc:
            raise PlatformError(f"Bluesky error: {exc}") from None
        except httpx.TransportError as exc:
            # The SDK lets some transport failures through unwrapped (a dropped connection).
            never_sent = isinstance(exc, httpx.ConnectError)
            raise (TransientError if never_sent else unknown)(
                f"Bluesky could not be reached ({type(exc).__name__})"
            ) from None


class _SessionGone(Exception):
    """The PDS no longer accepts our session tokens; a fresh login may."""


def _error_code(exc: atp.RequestErrorBase) -> str:
    content = exc.response.content if exc.response else None
    return str(getattr(content, "error", "") or "")


def _reason(exc: atp.AtProtocolError) -> str:
    response = getattr(exc, "response", None)
    if response is None:
        return exc.__class__.__name__
    content = response.content
    error = getattr(content, "error", None)
    message = getattr(content, "message", None)
    return ": ".join(str(p) for p in (error, message) if p) or f"HTTP {response.status_code}"


def _mark(notification: Any) -> TimeMark:
    return TimeMark.of(notification.indexed_at, notification.uri)


def _post_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"
