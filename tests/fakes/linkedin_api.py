"""A loopback LinkedIn Community Management API, written from LinkedIn's (Microsoft Learn) docs.

Serves ``GET /rest/posts?q=author`` (a FINDER), ``GET /rest/socialActions/{urn}/comments``
(on a post, or on a comment for its nested comments), ``POST /rest/socialActions/{urn}/comments``
and ``POST /oauth/v2/introspectToken``. Strict like the real API: a bearer token, the
``LinkedIn-Version`` and ``X-Restli-Protocol-Version: 2.0.0`` headers, ``X-RestLi-Method: FINDER``
on finders, an ``actor`` the token may act for, comments of at most 1,250 characters, one level
of nesting, and 429 ``TOO_MANY_REQUESTS`` once the day's calls are spent.
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from urllib.parse import unquote

from tests.fakes.base import Call, FakeServer, Response

MAX_COMMENT_LENGTH = 1_250


def li_error(status: int, code: str, message: str, service_error_code: int = 100) -> dict[str, Any]:
    return {"status": status, "serviceErrorCode": service_error_code, "code": code, "message": message}


class FakeLinkedIn(FakeServer):
    """One organization page (``organization_id``) with posts, administered by the token's member."""

    name = "linkedin"

    def __init__(
        self,
        port: int = 0,
        *,
        organization_id: str = "2414183",
        access_token: str = "AQV-linkedin-token",
        client_id: str = "86li-client",
        client_secret: str = "li-secret",
        token_lifetime_days: float = 60,
    ) -> None:
        super().__init__(port)
        self.org = f"urn:li:organization:{organization_id}"
        self.access_token, self.client_id, self.client_secret = access_token, client_id, client_secret
        self.token_expires_at = int(time.time() + token_lifetime_days * 86400)
        self.token_status = "active"
        self.daily_limit: int | None = None
        self.calls_today = 0
        self._ids = itertools.count(7_100_000_000_000_000_001)
        self._millis = itertools.count(1_767_268_800_000, 1_000)  # 2026-01-01T12:00Z, a second apart
        self.posts: list[dict[str, Any]] = []
        self.comments: dict[str, dict[str, Any]] = {}  # commentUrn -> comment
        self._published: list[str] = []

    # ----------------------------------------------------------------------------- test setup

    def add_post(self, *, text: str) -> str:
        """The organization posts ``text``; returns the post's URN (an activity)."""
        with self._cond:
            urn = f"urn:li:activity:{next(self._ids)}"
            now = next(self._millis)
            self.posts.append(
                {
                    "id": urn,
                    "author": self.org,
                    "commentary": text,
                    "createdAt": now,
                    "lastModifiedAt": now,
                    "lifecycleState": "PUBLISHED",
                    "visibility": "PUBLIC",
                }
            )
            self._changed()
            return urn

    def add_comment(
        self, *, post: str, text: str, actor: str = "urn:li:person:AbC123", parent: str | None = None
    ) -> str:
        """``actor`` comments ``text`` on ``post`` (or in reply to the top-level comment ``parent``)."""
        with self._cond:
            urn = self._comment(post=post, text=text, actor=actor, parent=parent)
            self._changed()
            return urn

    def _comment(self, *, post: str, text: str, actor: str, parent: str | None) -> str:
        comment_id = str(next(self._ids))
        urn = f"urn:li:comment:({post},{comment_id})"
        now = next(self._millis)
        comment: dict[str, Any] = {
            "actor": actor,
            "commentUrn": urn,
            "$URN": urn,
            "id": comment_id,
            "object": post,
            "message": {"text": text, "attributes": []},
            "created": {"actor": actor, "time": now},
            "lastModified": {"actor": actor, "time": now},
            "likesSummary": {"totalLikes": 0, "likedByCurrentUser": False},
        }
        if parent:
            comment["parentComment"] = parent
        self.comments[urn] = comment
        return urn

    def expire_token_in(self, seconds: float) -> None:
        with self._cond:
            self.token_expires_at = int(time.time() + seconds)

    def revoke_token(self) -> None:
        with self._cond:
            self.token_status = "revoked"

    # ----------------------------------------------------------------------------- assertions

    def published(self) -> list[dict[str, Any]]:
        """Comments created through the API, oldest first (as stored, with ``request``)."""
        with self._cond:
            return [dict(self.comments[u]) for u in self._published]

    # ----------------------------------------------------------------------------- server side

    def error_body(self, status: int) -> Any:
        codes = {
            401: "EXPIRED_ACCESS_TOKEN",
            403: "ACCESS_DENIED",
            404: "NOT_FOUND",
            429: "TOO_MANY_REQUESTS",
        }
        return li_error(status, codes.get(status, "INTERNAL_SERVER_ERROR"), f"HTTP {status}")

    def route(self, call: Call) -> Response:
        if call.path == "/oauth/v2/introspectToken" and call.method == "POST":
            return self._introspect(call)
        auth = call.headers.get("authorization", "")
        if auth != f"Bearer {self.access_token}" or self.token_status != "active":
            return Response(
                401,
                li_error(
                    401,
                    "REVOKED_ACCESS_TOKEN" if self.token_status == "revoked" else "INVALID_ACCESS_TOKEN",
                    "Invalid access token",
                    65600,
                ),
            )
        if self.token_expires_at < time.time():
            return Response(
                401, li_error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65601)
            )
        version = call.headers.get("linkedin-version", "")
        if not (len(version) == 6 and version.isdigit()):
            return Response(
                400,
                li_error(
                    400,
                    "VERSION_MISSING",
                    "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                ),
            )
        if call.headers.get("x-restli-protocol-version") != "2.0.0":
            return Response(400, li_error(400, "ILLEGAL_ARGUMENT", "Syntax exception in path variables"))
        if self.daily_limit is not None:
            if self.calls_today >= self.daily_limit:
                message = (
                    "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."
                )
                return Response(429, li_error(429, "TOO_MANY_REQUESTS", message, 101))
            self.calls_today += 1
        if call.path == "/rest/posts" and call.method == "GET":
            return self._posts(call)
        prefix, suffix = "/rest/socialActions/", "/comments"
        if call.path.startswith(prefix) and call.path.endswith(suffix):
            target = unquote(call.path[len(prefix) : -len(suffix)])
            if call.method == "GET":
                return self._list_comments(target, call.query)
            if call.method == "POST":
                return self._create_comment(target, call)
        return Response(404, li_error(404, "NOT_FOUND", f"No resource found at {call.path}"))

    def _introspect(self, call: Call) -> Response:
        form = call.form
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        if form.get("token") != self.access_token:
            return Response(200, {"active": False})
        expired = self.token_expires_at < time.time()
        status = "expired" if expired else self.token_status
        return Response(
            200,
            {
                "active": status == "active",
                "client_id": self.client_id,
                "authorized_at": self.token_expires_at - 60 * 86400,
                "created_at": self.token_expires_at - 60 * 86400,
                "status": status,
                "expires_at": self.token_expires_at,
                "scope": "r_organization_social,w_organization_social",
                "auth_type": "3L",
            },
        )

    def _paged(self, rows: list[Any], query: dict[str, str]) -> Response:
        start_raw, count_raw = query.get("start", "0"), query.get("count", "10")
        if not (start_raw.isdigit() and count_raw.isdigit()) or int(count_raw) > 100:
            return Response(400, li_error(400, "ILLEGAL_ARGUMENT", "Invalid paging parameters"))
        start, count = int(start_raw), int(count_raw)
        page = rows[start : start + count]
        return Response(
            200,
            {"paging": {"start": start, "count": count, "total": len(rows), "links": []}, "elements": page},
        )

    def _posts(self, call: Call) -> Response:
        if call.query.get("q") != "author" or call.headers.get("x-restli-method", "").upper() != "FINDER":
            return Response(
                400,
                li_error(
                    400, "ILLEGAL_ARGUMENT", "Finder requests need q=author and X-RestLi-Method: FINDER"
                ),
            )
        if call.query.get("author") != self.org:
            return Response(
                403,
                li_error(
                    403,
                    "ACCESS_DENIED",
                    "Not enough permissions to access: partnerApiPostsExternal.FINDER-author",
                ),
            )
        newest = sorted(self.posts, key=lambda p: p["lastModifiedAt"], reverse=True)
        return self._paged(newest, call.query)

    def _with_summary(self, comment: dict[str, Any]) -> dict[str, Any]:
        nested = [c for c in self.comments.values() if c.get("parentComment") == comment["commentUrn"]]
        view = dict(comment)
        view["commentsSummary"] = {
            "totalFirstLevelComments": len(nested),
            "aggregatedTotalComments": len(nested),
        }
        return view

    def _list_comments(self, target: str, query: dict[str, str]) -> Response:
        if target.startswith("urn:li:comment:"):
            if target not in self.comments:
                return Response(404, li_error(404, "NOT_FOUND", f"Comment {target} not found"))
            rows = [c for c in self.comments.values() if c.get("parentComment") == target]
        elif any(p["id"] == target for p in self.posts):
            rows = [c for c in self.comments.values() if c["object"] == target and not c.get("parentComment")]
        else:
            return Response(404, li_error(404, "NOT_FOUND", f"Post {target} not found"))
        rows = sorted(rows, key=lambda c: c["created"]["time"], reverse=True)  # newest first
        return self._paged([self._with_summary(c) for c in rows], query)

    def _create_comment(self, target: str, call: Call) -> Response:
        body = call.form
        actor = body.get("actor")
        if actor is None or not isinstance(body.get("message"), dict):
            return Response(400, li_error(400, "FIELD_MISSING", "/actor and /message are required", 100))
        if actor != self.org:
            return Response(
                403, li_error(403, "ACCESS_DENIED", f"Member is not authorized to act as {actor}")
            )
        text = body["message"].get("text")
        if not isinstance(text, str) or not text:
            return Response(400, li_error(400, "FIELD_MISSING", "/message/text is required"))
        if len(text) > MAX_COMMENT_LENGTH:
            return Response(
                400,
                li_error(
                    400, "FIELD_LENGTH_TOO_LONG", f"/message/text exceeds {MAX_COMMENT_LENGTH} characters"
                ),
            )
        parent = body.get("parentComment")
        post = body.get("object")
        if parent is not None:
            stored = self.comments.get(str(parent))
            if stored is None or target != parent:
                return Response(404, li_error(404, "NOT_FOUND", f"Parent comment {parent} not found"))
            if stored.get("parentComment"):
                return Response(
                    400,
                    li_error(400, "INVALID_PARENT", "Nested comments can only reply to a top-level comment"),
                )
            if post != stored["object"]:
                return Response(
                    400, li_error(400, "INVALID_OBJECT", "/object must be the post of the parent comment")
                )
        elif not any(p["id"] == target for p in self.posts) or post != target:
            return Response(404, li_error(404, "NOT_FOUND", f"Post {target} not found"))
        urn = self._comment(post=str(post), text=text, actor=self.org, parent=str(parent) if parent else None)
        self.comments[urn]["request"] = dict(body)
        self._published.append(urn)
        view = {k: v for k, v in self.comments[urn].items() if k != "request"}
        return Response(201, view, {"x-restli-id": urn, "x-linkedin-id": urn})
