"""A loopback YouTube Data API v3 and Google OAuth token endpoint, written from Google's documentation.

Serves what the YouTube adapter uses: ``POST /token`` (refresh-token grant),
``GET /youtube/v3/commentThreads``, ``GET /youtube/v3/comments`` (replies by ``parentId``),
``POST /youtube/v3/comments`` (a reply), ``POST /youtube/v3/comments/setModerationStatus`` and
``GET /youtube/v3/channels`` (``mine=true``: the channel the token belongs to, the health check).
Strict like the real service: a bearer token from the token endpoint is required, a reply needs
``snippet.parentId`` naming a top-level comment and 1..10,000 characters of ``textOriginal``,
and every call is charged against a daily quota (``quotaExceeded`` once spent).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.base import Call, FakeServer, Response

MAX_COMMENT_LENGTH = 10_000
COSTS = {
    "commentThreads.list": 1,
    "comments.list": 1,
    "comments.insert": 50,
    "comments.setModerationStatus": 50,
    "channels.list": 1,
}


def google_error(
    status: int, reason: str, message: str, *, domain: str = "youtube.commentThread"
) -> dict[str, Any]:
    """The error envelope of Google's JSON APIs."""
    statuses = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": statuses.get(status, "UNKNOWN"),
        }
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeYouTube(FakeServer):
    """One channel (``channel_id``) with videos and comments; the app is an OAuth client of it."""

    name = "youtube"

    def __init__(
        self,
        port: int = 0,
        *,
        channel_id: str = "UCshop000000000000000000",
        channel_title: str = "The Shop",
        client_id: str = "yt-client.apps.googleusercontent.com",
        client_secret: str = "yt-secret",
        refresh_token: str = "1//yt-refresh",
        daily_quota: int = 10_000,
    ) -> None:
        super().__init__(port)
        self.channel_id, self.channel_title = channel_id, channel_title
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.daily_quota = daily_quota
        self.quota_used = 0
        self._ids = itertools.count(1)
        self._clock = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._clock_lock = threading.Lock()
        self.threads: dict[str, dict[str, Any]] = {}  # thread id -> {"top": comment, "replies": [...]}
        self._order: list[str] = []
        self.access_tokens: set[str] = set()
        self.revoked = False
        self._published: list[dict[str, Any]] = []
        self.moderation: dict[str, str] = {}

    # ----------------------------------------------------------------------------- test setup

    def _tick(self) -> str:
        # Every comment a second after the last, so publish times order them as they were added.
        with self._clock_lock:
            self._clock += timedelta(seconds=1)
            return _iso(self._clock)

    def _comment(
        self, *, text: str, author: str, author_channel: str, video_id: str, parent: str | None
    ) -> dict[str, Any]:
        comment_id = f"{parent}.{next(self._ids):06d}" if parent else f"Ug{next(self._ids):06d}"
        published = self._tick()
        snippet: dict[str, Any] = {
            "channelId": self.channel_id,
            "videoId": video_id,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": author,
            "authorProfileImageUrl": "https://yt3.ggpht.com/a/default-user",
            "authorChannelUrl": f"http://www.youtube.com/channel/{author_channel}",
            "authorChannelId": {"value": author_channel},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": published,
            "updatedAt": published,
        }
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "etag": secrets.token_hex(8), "id": comment_id, "snippet": snippet}

    def add_comment(
        self,
        *,
        text: str,
        author: str = "@viewer",
        author_channel: str = "UCviewer",
        video_id: str = "vid00000001",
    ) -> str:
        """A new top-level comment (a new thread) on ``video_id``; returns its id (= the thread id)."""
        with self._cond:
            top = self._comment(
                text=text, author=author, author_channel=author_channel, video_id=video_id, parent=None
            )
            self.threads[top["id"]] = {"top": top, "replies": [], "video": video_id}
            self._order.append(top["id"])
            self._changed()
            return str(top["id"])

    def add_reply(
        self, *, thread_id: str, text: str, author: str = "@viewer", author_channel: str = "UCviewer"
    ) -> str:
        """A reply in ``thread_id`` by someone else; returns its id."""
        with self._cond:
            thread = self.threads[thread_id]
            reply = self._comment(
                text=text,
                author=author,
                author_channel=author_channel,
                video_id=thread["video"],
                parent=thread_id,
            )
            thread["replies"].append(reply)
            self._changed()
            return str(reply["id"])

    def revoke(self) -> None:
        """The user revoked the app: the refresh token now gets ``invalid_grant``, access tokens 401."""
        with self._cond:
            self.revoked = True
            self.access_tokens.clear()

    # ----------------------------------------------------------------------------- assertions

    def published(self) -> list[dict[str, Any]]:
        """Replies created through ``comments.insert``, oldest first (the Comment resources)."""
        with self._cond:
            return [dict(c) for c in self._published]

    # ----------------------------------------------------------------------------- server side

    def error_body(self, status: int) -> Any:
        reasons = {401: "authError", 403: "forbidden", 404: "notFound", 429: "rateLimitExceeded"}
        return google_error(status, reasons.get(status, "backendError"), f"HTTP {status}", domain="global")

    def route(self, call: Call) -> Response:
        path = call.path.rstrip("/")
        if path == "/token" and call.method == "POST":
            return self._token(call)
        if not path.startswith("/youtube/v3/"):
            return Response(404, google_error(404, "notFound", "Not Found", domain="global"))
        auth = call.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.access_tokens:
            message = "Request had invalid authentication credentials. Expected OAuth 2 access token."
            return Response(401, google_error(401, "authError", message, domain="global"))
        method = {
            ("GET", "/youtube/v3/commentThreads"): "commentThreads.list",
            ("GET", "/youtube/v3/comments"): "comments.list",
            ("POST", "/youtube/v3/comments"): "comments.insert",
            ("POST", "/youtube/v3/comments/setModerationStatus"): "comments.setModerationStatus",
            ("GET", "/youtube/v3/channels"): "channels.list",
        }.get((call.method, path))
        if method is None:
            return Response(404, google_error(404, "notFound", "Not Found", domain="global"))
        if self.quota_used + COSTS[method] > self.daily_quota:
            message = "The request cannot be completed because you have exceeded your quota."
            return Response(403, google_error(403, "quotaExceeded", message, domain="youtube.quota"))
        self.quota_used += COSTS[method]
        if "part" not in call.query and method != "comments.setModerationStatus":
            return Response(400, google_error(400, "required", "Required parameter: part", domain="global"))
        if method == "commentThreads.list":
            return self._threads(call.query)
        if method == "comments.list":
            return self._replies(call.query)
        if method == "comments.insert":
            return self._insert(call)
        if method == "channels.list":
            return self._channels(call.query)
        return self._moderate(call.query)

    def _channels(self, query: dict[str, str]) -> Response:
        filters = [name for name in ("mine", "id", "forHandle", "forUsername") if name in query]
        if len(filters) != 1:
            message = "Incompatible parameters specified in the request: exactly one filter is required."
            return Response(
                400, google_error(400, "incompatibleParameters", message, domain="youtube.parameter")
            )
        mine = query.get("mine") == "true" or self.channel_id in query.get("id", "").split(",")
        items = (
            [
                {
                    "kind": "youtube#channel",
                    "etag": secrets.token_hex(8),
                    "id": self.channel_id,
                    "snippet": {
                        "title": self.channel_title,
                        "customUrl": "@" + self.channel_title.replace(" ", "").lower(),
                    },
                }
            ]
            if mine
            else []
        )
        return Response(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": secrets.token_hex(8),
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            },
        )

    def _token(self, call: Call) -> Response:
        form = call.form
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("grant_type") != "refresh_token":
            return Response(
                400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            )
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            return Response(
                400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            )
        token = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens.add(token)
        return Response(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                "token_type": "Bearer",
            },
        )

    def _page(
        self, rows: list[Any], query: dict[str, str], default: int, top: int
    ) -> tuple[list[Any], str | None] | Response:
        raw = query.get("maxResults", str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            message = f"Invalid value for maxResults: {raw}"
            return Response(400, google_error(400, "invalidValue", message, domain="global"))
        start = int(query.get("pageToken", "0") or "0") if query.get("pageToken", "0").isdigit() else -1
        if start < 0:
            return Response(
                400, google_error(400, "invalidPageToken", "The pageToken is invalid.", domain="global")
            )
        end = start + int(raw)
        return rows[start:end], (str(end) if end < len(rows) else None)

    def _threads(self, query: dict[str, str]) -> Response:
        if query.get("allThreadsRelatedToChannelId") != self.channel_id:
            return Response(404, google_error(404, "channelNotFound", "The channel could not be found."))
        parts = {p.strip() for p in query["part"].split(",")}
        if not parts <= {"id", "snippet", "replies"}:
            return Response(400, google_error(400, "invalidPart", "Invalid part", domain="global"))
        # order=time: newest thread first, by the top-level comment's publish time.
        ids = list(reversed(self._order))
        page = self._page(ids, query, 20, 100)
        if isinstance(page, Response):
            return page
        rows, token = page
        items = []
        for thread_id in rows:
            thread = self.threads[thread_id]
            item: dict[str, Any] = {
                "kind": "youtube#commentThread",
                "etag": secrets.token_hex(8),
                "id": thread_id,
            }
            if "snippet" in parts:
                item["snippet"] = {
                    "channelId": self.channel_id,
                    "videoId": thread["video"],
                    "topLevelComment": thread["top"],
                    "canReply": True,
                    "totalReplyCount": len(thread["replies"]),
                    "isPublic": True,
                }
            if "replies" in parts and thread["replies"]:
                # Only a subset of replies comes inline; comments.list gives them all.
                item["replies"] = {"comments": list(reversed(thread["replies"]))[:5]}
            items.append(item)
        body: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "etag": secrets.token_hex(8),
            "pageInfo": {"totalResults": len(rows), "resultsPerPage": len(rows)},
            "items": items,
        }
        if token:
            body["nextPageToken"] = token
        return Response(200, body)

    def _replies(self, query: dict[str, str]) -> Response:
        thread = self.threads.get(query.get("parentId", ""))
        if thread is None:
            return Response(
                404,
                google_error(
                    404, "commentNotFound", "The comment could not be found.", domain="youtube.comment"
                ),
            )
        page = self._page(thread["replies"], query, 20, 100)
        if isinstance(page, Response):
            return page
        rows, token = page
        body: dict[str, Any] = {
            "kind": "youtube#commentListResponse",
            "etag": secrets.token_hex(8),
            "items": rows,
        }
        if token:
            body["nextPageToken"] = token
        return Response(200, body)

    def _insert(self, call: Call) -> Response:
        snippet = call.form.get("snippet") if isinstance(call.form.get("snippet"), dict) else None
        if snippet is None or not snippet.get("parentId"):
            message = "The comment metadata is invalid: snippet.parentId is required."
            return Response(
                400, google_error(400, "invalidCommentMetadata", message, domain="youtube.comment")
            )
        text = snippet.get("textOriginal")
        if not isinstance(text, str) or not text:
            return Response(
                400,
                google_error(
                    400, "commentTextRequired", "The comment must contain text.", domain="youtube.comment"
                ),
            )
        if len(text) > MAX_COMMENT_LENGTH:
            return Response(
                400,
                google_error(400, "commentTextTooLong", "The comment is too long.", domain="youtube.comment"),
            )
        thread = self.threads.get(str(snippet["parentId"]))
        if thread is None:
            message = "The specified parent comment could not be found."
            return Response(
                404, google_error(404, "parentCommentNotFound", message, domain="youtube.comment")
            )
        reply = self._comment(
            text=text,
            author=f"@{self.channel_title.replace(' ', '')}",
            author_channel=self.channel_id,
            video_id=thread["video"],
            parent=str(snippet["parentId"]),
        )
        thread["replies"].append(reply)
        self._published.append(reply)
        return Response(200, reply)

    def _moderate(self, query: dict[str, str]) -> Response:
        status = query.get("moderationStatus")
        if status not in {"heldForReview", "published", "rejected"}:
            message = f"Invalid value for moderationStatus: {status}"
            return Response(
                400, google_error(400, "invalidModerationStatus", message, domain="youtube.comment")
            )
        known = set(self.threads) | {r["id"] for t in self.threads.values() for r in t["replies"]}
        ids = [i for i in query.get("id", "").split(",") if i]
        if not ids or any(i not in known for i in ids):
            return Response(
                404,
                google_error(
                    404, "commentNotFound", "The comment could not be found.", domain="youtube.comment"
                ),
            )
        for comment_id in ids:
            self.moderation[comment_id] = str(status)
        return Response(204, None)
