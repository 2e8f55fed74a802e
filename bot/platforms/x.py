"""X (Twitter) with tweepy: mentions are polled with since_id, replies are posts in reply."""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy

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
from bot.platforms.http import RebasedSession, request_failure

log = logging.getLogger(__name__)

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_TWEEPY_HOST = "https://api.twitter.com"
NOT_ENGAGED_HINT = "X only accepts replies to accounts that mentioned or engaged with us; this author did not, so X refused it"


class XPlatform:
    name = "x"
    label = "X"
    max_reply_length = 280
    url_length = 23
    # First poll of a new install: show this many recent mentions, not the whole history.
    first_poll_results = 20
    page_size = 100
    # Our own timeline since the send: a few pages is far more than one send can be behind.
    lookup_pages = 5

    def __init__(
        self,
        *,
        bearer_token: str,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_token_secret: str,
        api_url: str,
        timeout: float,
        user_id: str | None = None,
    ) -> None:
        self._client = tweepy.Client(
            bearer_token=bearer_token,
            consumer_key=api_key,
            consumer_secret=api_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
        )
        self._client.session = RebasedSession(origin=_TWEEPY_HOST, base=api_url, timeout=timeout)
        self._user_id = user_id
        self._username: str | None = None

    def cursor_key(self) -> str:
        return f"x:mentions:{self.account_id()}"

    def account_id(self) -> str:
        if self._user_id is None:
            me = self._call(lambda: self._client.get_me(user_auth=True))
            self._user_id = str(me.data["id"])
            self._username = me.data["username"]
        return self._user_id

    def check_health(self) -> Connection:
        me = self._call(lambda: self._client.get_me(user_auth=True))
        return Connection(account="@" + str(me.data["username"]))

    def reply_length(self, text: str) -> int:
        # X counts every link as 23 characters whatever its length (t.co wrapping).
        return len(_URL.sub("x" * self.url_length, text))

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        return None

    def fetch_new(self, *, since_id: str | None) -> FetchResult:
        user_id = self.account_id()
        items: list[IncomingItem] = []
        newest: str | None = None
        token: str | None = None
        while True:
            response = self._call(
                lambda token=token: self._client.get_users_mentions(
                    user_id,
                    since_id=since_id,
                    max_results=self.page_size if since_id else self.first_poll_results,
                    pagination_token=token,
                    expansions=["author_id"],
                    tweet_fields=["created_at", "conversation_id", "referenced_tweets", "author_id"],
                    # Followers and account age feed triage's "new account without followers".
                    user_fields=["username", "name", "public_metrics", "created_at"],
                )
            )
            meta: dict[str, Any] = response.meta or {}
            if newest is None and meta.get("newest_id"):
                newest = str(meta["newest_id"])
            users = {str(u.id): u for u in (response.includes or {}).get("users", [])}
            for tweet in response.data or []:
                if str(tweet.author_id) == user_id:
                    continue  # our own posts in a thread that mentions us
                items.append(self._to_item(tweet, users, user_id))
            token = meta.get("next_token")
            # Without since_id only the newest page is wanted; with it, every page since.
            if not token or not since_id:
                break
        items.sort(key=lambda item: int(item.external_id))
        return FetchResult(items=items, newest_id=newest)

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        response = self._call(
            lambda: self._client.create_tweet(
                text=text, in_reply_to_tweet_id=target.external_id, user_auth=True
            ),
            write=True,
        )
        return self._published(str(response.data["id"]))

    def find_reply(self, *, target: ReplyTarget, text: str, since: datetime) -> Published | None:
        """Our posts since `since` (GET /2/users/:id/tweets), newest first, for one replying to target."""
        user_id = self.account_id()
        wanted = _comparable(text)
        token: str | None = None
        for _ in range(self.lookup_pages):
            response = self._call(
                lambda token=token: self._client.get_users_tweets(
                    user_id,
                    start_time=since,
                    max_results=self.page_size,
                    pagination_token=token,
                    tweet_fields=["referenced_tweets", "created_at"],
                    user_auth=True,
                )
            )
            for tweet in response.data or []:
                replied_to = {str(r.id) for r in (tweet.referenced_tweets or []) if r.type == "replied_to"}
                if target.external_id in replied_to and _comparable(tweet.text) == wanted:
                    return self._published(str(tweet.id))
            token = (response.meta or {}).get("next_token")
            if not token:
                break
        return None

    def _published(self, tweet_id: str) -> Published:
        handle = self._username or "i/web"
        return Published(external_id=tweet_id, url=f"https://x.com/{handle}/status/{tweet_id}")

    def exists(self, *, target: ReplyTarget) -> bool | None:
        """GET /2/tweets/:id: X answers 200 with a "resource-not-found" error for a deleted post."""
        try:
            response = self._call(lambda: self._client.get_tweet(target.external_id, user_auth=False))
        except PlatformError:
            return None
        if response.data is not None:
            return True
        errors = getattr(response, "errors", None) or []
        gone = any(
            str(e.get("type", "")).endswith("/resource-not-found") for e in errors if isinstance(e, dict)
        )
        return False if gone else None

    def _to_item(self, tweet: Any, users: dict[str, Any], user_id: str) -> IncomingItem:
        author = users.get(str(tweet.author_id))
        username = author.username if author else str(tweet.author_id)
        replied_to = next(
            (str(ref.id) for ref in (tweet.referenced_tweets or []) if ref.type == "replied_to"), None
        )
        created = tweet.created_at or datetime.now(UTC)
        return IncomingItem(
            platform=self.name,
            external_id=str(tweet.id),
            account_external_id=user_id,
            author=Author(
                id=str(tweet.author_id),
                name=author.name if author else username,
                handle=f"@{username}",
                url=f"https://x.com/{username}",
                followers_count=_followers(author),
                created_at=author.created_at.astimezone(UTC) if author and author.created_at else None,
            ),
            text=tweet.text,
            url=f"https://x.com/{username}/status/{tweet.id}",
            created_at=created.astimezone(UTC),
            parent_external_id=replied_to,
            conversation_id=str(tweet.conversation_id) if tweet.conversation_id else None,
        )

    def _call(self, fn: Any, *, write: bool = False) -> Any:
        """Run a tweepy call, turning its errors into ours.

        For a write, a 5xx or a lost answer may mean X created the post anyway: X documents no
        5xx as "nothing was done", so those are UnknownOutcome. 429 is refused before any work.
        """
        try:
            return fn()
        except tweepy.TooManyRequests as exc:
            reset = exc.response.headers.get("x-rate-limit-reset")
            wait = max(1.0, float(reset) - time.time()) if reset else 60.0
            raise TransientError(f"X rate limit reached; resets in {wait:.0f}s", retry_after=wait) from None
        except tweepy.TwitterServerError as exc:
            reason = f"X server error {exc.response.status_code}: {_reason(exc)}"
            raise (UnknownOutcome(reason) if write else TransientError(reason)) from None
        except tweepy.Forbidden as exc:
            reason = _reason(exc)
            if "mentioned or otherwise engaged" in reason:
                raise PermanentError(f"{NOT_ENGAGED_HINT} ({reason})") from None
            raise PermanentError(f"X refused: {reason}") from None
        except tweepy.HTTPException as exc:
            raise PermanentError(f"X error {exc.response.status_code}: {_reason(exc)}") from None
        except requests.RequestException as exc:
            raise request_failure(exc, service="X", write=write) from None
        except tweepy.TweepyException as exc:
            raise PlatformError(f"X error: {exc}") from None


def _followers(author: Any) -> int | None:
    metrics = getattr(author, "public_metrics", None) or {}
    count = metrics.get("followers_count")
    return int(count) if isinstance(count, int) else None


def _comparable(text: str) -> str:
    # X answers text with &, < and > as HTML entities and every link rewritten to t.co.
    return _URL.sub("<link>", html.unescape(text)).strip()


def _reason(exc: tweepy.HTTPException) -> str:
    messages = list(exc.api_messages) or list(exc.api_errors) or [exc.response.reason or ""]
    return "; ".join(str(m) for m in messages if m) or f"HTTP {exc.response.status_code}"
