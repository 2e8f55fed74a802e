"""YouTube with google-api-python-client: comment threads on the channel are polled, replies are comments.

The client is built offline from the discovery document bundled in the package
(``static_discovery=True``), pointed at ``api_url`` through ``client_options``; OAuth uses a
refresh token refreshed against ``token_url``. Every request goes through one httplib2 Http
with a timeout.

Quota: the Data API grants 10,000 units a day; ``commentThreads.list`` and ``comments.list``
cost 1 unit a page, ``comments.insert`` 50 and ``comments.setModerationStatus`` 50. A quiet
poll is one page (1 unit), so polling every 120 s costs 720 units a day and leaves room for
about 185 replies; see README "YouTube quota".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

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

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
# The quota day resets at midnight Pacific time (YouTube Data API docs, "Quota usage").
QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")
DAILY_QUOTA_UNITS = 10_000
COST_LIST = 1
COST_INSERT = 50
COST_MODERATE = 50
DEFAULT_POLL_SECONDS = 120
# The API returns at most five replies inline with a thread; more need comments.list.
INLINE_REPLIES = 5


def poll_cost_per_day(*, poll_seconds: int, pages_per_poll: int = 1) -> int:
    """Units a day spent on polling alone (a quiet poll reads one page of threads)."""
    return (86_400 // poll_seconds) * pages_per_poll * COST_LIST


def seconds_until_quota_reset(now: datetime) -> float:
    local = now.astimezone(QUOTA_TIMEZONE)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - local).total_seconds())


class YouTubePlatform:
    name = "youtube"
    label = "YouTube"
    max_reply_length = 10_000
    # First poll of a new install: show this many recent threads, not the whole history.
    first_poll_results = 20
    page_size = 100

    def __init__(
        self,
        *,
        channel_id: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        api_url: str,
        token_url: str,
        timeout: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._channel_id = channel_id
        self._clock = clock or (lambda: datetime.now(UTC))
        # httplib2 connections are not thread-safe, and the poller, the publisher, the platform
        # worker and the health check all call from their own threads: one call at a time.
        self._lock = threading.Lock()
        self._credentials = Credentials(
            token=None,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            token_uri=token_url,
            scopes=[SCOPE],
        )
        http = google_auth_httplib2.AuthorizedHttp(self._credentials, http=httplib2.Http(timeout=timeout))
        self._service: Any = build(
            "youtube",
            "v3",
            http=http,
            static_discovery=True,  # the bundled document: no discovery request leaves the machine
            cache_discovery=False,
            client_options={"api_endpoint": api_url.rstrip("/") + "/"},
        )

    def cursor_key(self) -> str:
        return f"youtube:comments:{self._channel_id}"

    def account_id(self) -> str:
        return self._channel_id

    def check_health(self) -> Connection:
        """Refresh the token and read the channel it belongs to (1 quota unit)."""
        found = self._call(self._service.channels().list(part="id,snippet", mine=True).execute)
        channels = found.get("items", [])
        if not any(c.get("id") == self._channel_id for c in channels):
            raise PermanentError(
                f"the YouTube token is not the channel {self._channel_id}'s; authorise the app as that "
                "channel's owner and set YOUTUBE_REFRESH_TOKEN"
            )
        title = channels[0].get("snippet", {}).get("title")
        return Connection(account=str(title or self._channel_id))

    def reply_length(self, text: str) -> int:
        return len(text)

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        return None

    def fetch_new(self, *, since_id: str | None) -> FetchResult:
        mark = TimeMark.decode(since_id)
        comments: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            # Building a request does no I/O; only execute() goes out.
            request = self._service.commentThreads().list(
                part="snippet,replies",
                allThreadsRelatedToChannelId=self._channel_id,
                order="time",
                maxResults=self.page_size if mark else self.first_poll_results,
                pageToken=token,
                textFormat="plainText",
            )
            page = self._call(request.execute)
            threads: list[dict[str, Any]] = page.get("items", [])
            for thread in threads:
                comments.extend(self._thread_comments(thread, mark))
            token = page.get("nextPageToken")
            # Newest first: once a page ends at a thread older than the mark, the rest is stored.
            oldest = _mark(threads[-1]["snippet"]["topLevelComment"]) if threads else None
            if not token or mark is None or (oldest is not None and oldest <= mark):
                break
        seen = max((_mark(c) for c in comments), default=None)
        fresh = [c for c in comments if mark is None or _mark(c) > mark]
        fresh.sort(key=_mark)
        items = [self._to_item(c) for c in fresh if not self._is_ours(c)]
        cursor = newest(seen, mark)
        return FetchResult(items=items, newest_id=cursor.encode() if cursor else None)

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        # YouTube threads are one level deep: a reply always names the thread's top-level comment.
        parent = target.conversation_id or target.external_id
        body = {"snippet": {"parentId": parent, "textOriginal": text}}
        comment = self._call(
            lambda: self._service.comments().insert(part="snippet", body=body).execute(), write=True
        )
        comment_id = str(comment["id"])
        return Published(external_id=comment_id, url=_comment_url(comment.get("snippet", {}), comment_id))

    def find_reply(self, *, target: ReplyTarget, text: str, since: datetime) -> Published | None:
        """Our channel's reply under the thread with `text`, published at or after `since` (1 unit a page)."""
        parent = target.conversation_id or target.external_id
        for reply in self._all_replies(parent):
            snippet = reply.get("snippet", {})
            published = snippet.get("publishedAt")
            if (
                self._is_ours(reply)
                and snippet.get("textOriginal") == text
                and (not isinstance(published, str) or parse_time(published) >= since)
            ):
                return Published(external_id=str(reply["id"]), url=_comment_url(snippet, str(reply["id"])))
        return None

    def hold_for_review(self, *, comment_id: str) -> None:
        """Move a comment to "held for review" (the Spam action); it disappears from public view."""
        self._call(
            lambda: (
                self._service.comments()
                .setModerationStatus(id=comment_id, moderationStatus="heldForReview")
                .execute()
            )
        )

    # ------------------------------------------------------------------------------------------

    def _thread_comments(self, thread: dict[str, Any], mark: TimeMark | None) -> list[dict[str, Any]]:
        snippet = thread["snippet"]
        top = dict(snippet["topLevelComment"])
        top["_thread"] = thread["id"]
        replies = list(thread.get("replies", {}).get("comments", []))
        total = int(snippet.get("totalReplyCount", 0))
        # Reading every reply costs a unit a thread, so only for threads with activity since the
        # mark (the inline replies are the newest); the first poll shows what came inline.
        active = mark is not None and any(_mark(c) > mark for c in [top, *replies])
        if total > len(replies) and active:
            replies = self._all_replies(top["id"])
        out = [top]
        for reply in replies:
            reply = dict(reply)
            reply["_thread"] = thread["id"]
            out.append(reply)
        return out

    def _all_replies(self, parent_id: str) -> list[dict[str, Any]]:
        replies: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            request = self._service.comments().list(
                part="snippet", parentId=parent_id, maxResults=100, pageToken=token, textFormat="plainText"
            )
            page = self._call(request.execute)
            replies.extend(page.get("items", []))
            token = page.get("nextPageToken")
            if not token:
                return replies

    def _is_ours(self, comment: dict[str, Any]) -> bool:
        author = comment["snippet"].get("authorChannelId") or {}
        return bool(author.get("value") == self._channel_id)

    def _to_item(self, comment: dict[str, Any]) -> IncomingItem:
        snippet = comment["snippet"]
        author_channel = (snippet.get("authorChannelId") or {}).get("value", "")
        name = snippet.get("authorDisplayName") or author_channel
        text = snippet.get("textOriginal")
        if text is None:
            text = snippet.get("textDisplay", "")
        parent = snippet.get("parentId")
        return IncomingItem(
            platform=self.name,
            external_id=str(comment["id"]),
            account_external_id=self._channel_id,
            author=Author(
                id=author_channel,
                name=name,
                handle=name if name.startswith("@") else f"@{name}",
                url=snippet.get("authorChannelUrl") or f"https://www.youtube.com/channel/{author_channel}",
            ),
            text=text,
            url=_comment_url(snippet, str(comment["id"])),
            created_at=parse_time(snippet["publishedAt"]),
            parent_external_id=str(parent) if parent else None,
            conversation_id=str(comment["_thread"]),
        )

    def _call(self, fn: Callable[[], T], *, write: bool = False) -> T:
        """Run a client call, turning google's errors into ours.

        For a write (a reply), a lost answer or a 5xx may mean YouTube made the comment; the
        token refresh before it and a refused connection surely did not.
        """
        try:
            with self._lock:
                return fn()
        except HttpError as exc:
            error = self._http_error(exc)
            if write and int(exc.resp.status) >= 500:
                raise UnknownOutcome(error.reason) from None
            raise error from None
        except google.auth.exceptions.RefreshError as exc:
            detail = str(exc.args[0]) if exc.args else str(exc)
            if getattr(exc, "retryable", False):
                raise TransientError(f"YouTube token refresh failed: {detail}") from None
            raise PermanentError(
                f"YouTube refused the refresh token ({detail}); authorise the app again and set YOUTUBE_REFRESH_TOKEN"
            ) from None
        except google.auth.exceptions.TransportError:
            raise TransientError("YouTube's token endpoint could not be reached") from None
        except TimeoutError:
            reason = "YouTube did not answer in time"
            raise (UnknownOutcome(reason) if write else TransientError(reason)) from None
        except ConnectionRefusedError:
            raise TransientError("YouTube could not be reached") from None
        except OSError:
            reason = "the connection to YouTube broke before it answered"
            raise (UnknownOutcome(reason) if write else TransientError(reason)) from None
        except httplib2.HttpLib2Error as exc:
            raise PlatformError(f"YouTube error: {exc}") from None

    def _http_error(self, exc: HttpError) -> PlatformError:
        status = int(exc.resp.status)
        reasons = [str(d.get("reason", "")) for d in (exc.error_details or []) if isinstance(d, dict)]
        message = exc.reason or f"HTTP {status}"
        if status == 403 and ({"quotaExceeded", "dailyLimitExceeded"} & set(reasons)):
            wait = seconds_until_quota_reset(self._clock())
            return TransientError(
                f"YouTube daily quota used up; it resets at midnight Pacific time (in {wait / 3600:.1f} h)",
                retry_after=wait,
            )
        if status == 429 or "rateLimitExceeded" in reasons:
            return TransientError(f"YouTube rate limit: {message}", retry_after=60.0)
        if status >= 500:
            return TransientError(f"YouTube server error {status}: {message}")
        if status == 401:
            return PermanentError(f"YouTube refused our credentials: {message}")
        return PermanentError(f"YouTube refused ({', '.join(reasons) or status}): {message}")


def _mark(comment: dict[str, Any]) -> TimeMark:
    return TimeMark.of(comment["snippet"]["publishedAt"], str(comment["id"]))


def _comment_url(snippet: dict[str, Any], comment_id: str) -> str:
    video = snippet.get("videoId")
    if video:
        return f"https://www.youtube.com/watch?v={video}&lc={comment_id}"
    return f"https://www.youtube.com/channel/{snippet.get('channelId', '')}"
