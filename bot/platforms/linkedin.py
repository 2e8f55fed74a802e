"""LinkedIn Page with requests: comments on the organization's recent posts, replies as the organization.

Community Management API (versioned ``/rest`` endpoints, Rest.li protocol 2.0). Comments are
polled from the organization's most recent posts; a reply is a nested comment whose
``parentComment`` is the thread's top-level comment (LinkedIn nests one level only) and whose
``actor`` is the organization. Member access tokens live 60 days and cannot be refreshed without
the refresh-token programme, so :meth:`LinkedInPlatform.token_health` reads the expiry from the
documented introspection endpoint and warns a week ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

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
from bot.platforms.cursor import TimeMark, newest
from bot.platforms.http import request_failure

log = logging.getLogger(__name__)

DEFAULT_VERSION = "202510"
WARN_AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class TokenHealth:
    """What LinkedIn says about our access token."""

    ok: bool
    expires_at: datetime | None
    # Set when the token is dead or dies within WARN_AHEAD: what happened and what to do.
    warning: str | None = None


class LinkedInPlatform:
    name = "linkedin"
    label = "LinkedIn"
    # A comment's text is at most 1,250 characters.
    max_reply_length = 1_250
    # Only the newest posts are watched: a poll reads comments on this many of them.
    recent_posts = 10
    page_size = 50

    def __init__(
        self,
        *,
        organization_id: str,
        access_token: str,
        api_url: str,
        timeout: float,
        oauth_url: str = "https://www.linkedin.com",
        client_id: str | None = None,
        client_secret: str | None = None,
        version: str = DEFAULT_VERSION,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._org = f"urn:li:organization:{organization_id}"
        self._token = access_token
        self._api = api_url.rstrip("/")
        self._oauth = oauth_url.rstrip("/")
        self._client_id, self._client_secret = client_id, client_secret
        self._timeout = timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {access_token}",
                "LinkedIn-Version": version,
                "X-Restli-Protocol-Version": "2.0.0",
            }
        )

    def cursor_key(self) -> str:
        return f"linkedin:comments:{self._org}"

    def account_id(self) -> str:
        return self._org

    def reply_length(self, text: str) -> int:
        return len(text)

    def permalink(self, *, external_id: str, conversation_id: str | None) -> str | None:
        return None

    def fetch_new(self, *, since_id: str | None) -> FetchResult:
        mark = TimeMark.decode(since_id)
        posts = self._get(
            "/rest/posts",
            params={
                "author": self._org,
                "q": "author",
                "count": self.recent_posts,
                "sortBy": "LAST_MODIFIED",
            },
            finder=True,
        )
        comments: list[dict[str, Any]] = []
        for post in posts.get("elements", []):
            comments.extend(self._comments_on(str(post["id"]), mark))
        seen = max((_key(c) for c in comments), default=None)
        fresh = [c for c in comments if mark is None or _key(c) > mark]
        fresh = [c for c in fresh if c.get("actor") != self._org]
        fresh.sort(key=_key)
        unique = {c["commentUrn"]: c for c in fresh}
        cursor = newest(seen, mark)
        return FetchResult(
            items=[self._to_item(c) for c in unique.values()],
            newest_id=cursor.encode() if cursor else None,
        )

    def publish_reply(self, *, target: ReplyTarget, text: str) -> Published:
        # LinkedIn nests one level: answering a nested comment means answering its top-level one.
        parent = target.conversation_id or target.external_id
        post = _post_of(parent)
        body = {"actor": self._org, "object": post, "parentComment": parent, "message": {"text": text}}
        created = self._request(
            "POST", f"/rest/socialActions/{quote(parent, safe='')}/comments", json=body, write=True
        )
        comment_urn = str(created.get("commentUrn") or created.get("$URN") or "")
        if not comment_urn:
            raise PlatformError("LinkedIn accepted the reply but did not say its id")
        return Published(external_id=comment_urn, url=_comment_url(comment_urn))

    def find_reply(self, *, target: ReplyTarget, text: str, since: datetime) -> Published | None:
        """Our organization's comment under the parent with `text`, made at or after `since`."""
        parent = target.conversation_id or target.external_id
        for comment in self._comments_on(parent, None, nested=True):
            if (
                comment.get("actor") == self._org
                and (comment.get("message") or {}).get("text") == text
                and _created(comment) >= since
            ):
                urn = str(comment.get("commentUrn") or comment.get("$URN") or "")
                if urn:
                    return Published(external_id=urn, url=_comment_url(urn))
        return None

    def check_health(self) -> Connection:
        """One cheap read as the organization, and the token's expiry when LinkedIn will say it."""
        self._get("/rest/posts", params={"author": self._org, "q": "author", "count": 1}, finder=True)
        health = self.token_health()
        if not health.ok:
            raise PermanentError(health.warning or "the LinkedIn access token is not active")
        return Connection(account=self._org, expires_at=health.expires_at)

    def token_health(self) -> TokenHealth:
        """Ask the introspection endpoint when our token expires; warn within a week of it."""
        if not (self._client_id and self._client_secret):
            return TokenHealth(ok=True, expires_at=None, warning=None)
        try:
            # Not through the API session: the client credentials, not the bearer token, authenticate this.
            response = requests.post(
                f"{self._oauth}/oauth/v2/introspectToken",
                data={
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "token": self._token,
                },
                timeout=self._timeout,
            )
        except requests.Timeout:
            raise TransientError("LinkedIn did not answer in time") from None
        except requests.ConnectionError:
            raise TransientError("LinkedIn could not be reached") from None
        if response.status_code >= 400:
            raise self._error(response)
        info = response.json()
        expires = info.get("expires_at")
        expires_at = datetime.fromtimestamp(int(expires), UTC) if expires else None
        if not info.get("active"):
            status = info.get("status") or "expired"
            return TokenHealth(
                ok=False,
                expires_at=expires_at,
                warning=f"The LinkedIn access token is {status}; authorise the app again and set LINKEDIN_ACCESS_TOKEN",
            )
        if expires_at and expires_at - self._clock() <= WARN_AHEAD:
            days = max(0, round((expires_at - self._clock()).total_seconds() / 86_400))
            return TokenHealth(
                ok=True,
                expires_at=expires_at,
                warning=f"The LinkedIn access token expires in {days} days ({expires_at:%Y-%m-%d}); "
                "authorise the app again and set LINKEDIN_ACCESS_TOKEN before then",
            )
        return TokenHealth(ok=True, expires_at=expires_at)

    # ------------------------------------------------------------------------------------------

    def _comments_on(self, urn: str, mark: TimeMark | None, *, nested: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            page = self._get(
                f"/rest/socialActions/{quote(urn, safe='')}/comments",
                params={"start": start, "count": self.page_size},
            )
            elements = page.get("elements", [])
            for comment in elements:
                found.append(comment)
                summary = comment.get("commentsSummary") or {}
                if not nested and int(summary.get("totalFirstLevelComments", 0)) > 0:
                    found.extend(self._comments_on(str(comment["commentUrn"]), mark, nested=True))
            start += len(elements)
            total = int((page.get("paging") or {}).get("total", start))
            if not elements or start >= total:
                return found
            if nested:
                continue  # replies are few and their order is not documented: read them all
            # Top-level comments come newest first: a page that reaches the mark means the rest is
            # stored; the first poll of a new install reads one page only.
            if mark is None or any(_key(c) <= mark for c in elements):
                return found

    def _to_item(self, comment: dict[str, Any]) -> IncomingItem:
        urn = str(comment["commentUrn"])
        actor = str(comment.get("actor", ""))
        parent = comment.get("parentComment")
        kind, _, actor_id = actor.rpartition(":")
        is_org = kind.endswith("organization")
        return IncomingItem(
            platform=self.name,
            external_id=urn,
            account_external_id=self._org.rsplit(":", 1)[1],  # the organization id, as brands.yml names it
            author=Author(
                id=actor,
                # The comment carries only the actor's URN; names need the restricted People API.
                name=f"LinkedIn organization {actor_id}" if is_org else "LinkedIn member",
                handle=actor,
                url=f"https://www.linkedin.com/company/{actor_id}" if is_org else _comment_url(urn),
            ),
            text=str((comment.get("message") or {}).get("text", "")),
            url=_comment_url(urn),
            created_at=_created(comment),
            parent_external_id=str(parent) if parent else None,
            conversation_id=str(parent) if parent else urn,
        )

    def _get(self, path: str, *, params: dict[str, Any], finder: bool = False) -> dict[str, Any]:
        headers = {"X-RestLi-Method": "FINDER"} if finder else None
        return self._request("GET", path, params=params, headers=headers)

    def _request(self, method: str, path: str, *, write: bool = False, **kwargs: Any) -> dict[str, Any]:
        """One API call. For a write, a lost answer or a 5xx may mean LinkedIn made the comment."""
        try:
            response = self._session.request(method, self._api + path, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            raise request_failure(exc, service="LinkedIn", write=write) from None
        if write and response.status_code >= 500:
            raise UnknownOutcome(f"LinkedIn answered HTTP {response.status_code} to the reply")
        if response.status_code >= 400:
            raise self._error(response)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise PlatformError(
                f"LinkedIn answered {response.status_code} with a body that is not JSON"
            ) from None
        return body if isinstance(body, dict) else {}

    def _error(self, response: requests.Response) -> PlatformError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = str(body.get("message") or response.reason or f"HTTP {response.status_code}")
        code = body.get("code")
        reason = f"{code}: {message}" if code else message
        status = response.status_code
        if status == 429:
            after = response.headers.get("Retry-After", "")
            wait = float(after) if after.isdigit() else 3600.0  # LinkedIn's limits are per day
            return TransientError(f"LinkedIn rate limit reached ({reason})", retry_after=wait)
        if status >= 500:
            return TransientError(f"LinkedIn server error {status}: {reason}")
        if status == 401:
            return PermanentError(
                f"LinkedIn refused the access token ({reason}); authorise the app again and set LINKEDIN_ACCESS_TOKEN"
            )
        return PermanentError(f"LinkedIn refused ({status}): {reason}")


def _key(comment: dict[str, Any]) -> TimeMark:
    return TimeMark.of(_created(comment), str(comment.get("commentUrn", "")))


def _created(comment: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int((comment.get("created") or {}).get("time", 0)) / 1000, UTC)


def _post_of(comment_urn: str) -> str:
    """``urn:li:comment:(urn:li:activity:1,2)`` names its post: ``urn:li:activity:1``."""
    inner = comment_urn.removeprefix("urn:li:comment:(").removesuffix(")")
    post, _, _ = inner.rpartition(",")
    if not post:
        raise PermanentError(f"not a LinkedIn comment URN: {comment_urn}")
    return post


def _comment_url(comment_urn: str) -> str:
    try:
        post = _post_of(comment_urn)
    except PermanentError:
        return "https://www.linkedin.com/feed/"
    return f"https://www.linkedin.com/feed/update/{post}/?commentUrn={quote(comment_urn, safe='')}"
