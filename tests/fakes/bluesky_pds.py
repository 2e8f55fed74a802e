"""A loopback Bluesky PDS (XRPC over HTTP), written from the AT Protocol lexicons and docs.

Serves what the Bluesky adapter uses: ``com.atproto.server.createSession`` /
``refreshSession``, ``app.bsky.notification.listNotifications``, ``com.atproto.repo.getRecord``
and ``com.atproto.repo.createRecord``. Strict like bsky.social: bearer access JWTs (expiring,
with ``ExpiredToken``), a post's text at most 300 graphemes and 3000 bytes, reply refs that are
strong refs (uri + the record's current cid), ``repo`` that is the session's own DID, and 429
``RateLimitExceeded`` with ``ratelimit-*`` headers.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import regex

from tests.fakes.base import Call, FakeServer, Response

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def xrpc_error(error: str, message: str) -> dict[str, str]:
    return {"error": error, "message": message}


def fake_cid(data: bytes) -> str:
    """A CIDv1 in base32 ('bafyrei…') as a PDS prints it, derived from the record bytes."""
    digest = hashlib.sha256(data).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    bits = "".join(f"{b:08b}" for b in raw)
    bits += "0" * (-len(bits) % 5)
    return "b" + "".join(_B32[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))


def fake_did(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "did:plc:" + "".join(_B32[b % 32] for b in digest[:24])


def _jwt(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(payload)}.{secrets.token_urlsafe(16)}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class FakeBlueskyPDS(FakeServer):
    """One account (``handle`` / ``app_password``) on a PDS that also hosts the people who write to it."""

    name = "bluesky"

    def __init__(
        self,
        port: int = 0,
        *,
        handle: str = "shop.bsky.social",
        app_password: str = "abcd-efgh-ijkl-mnop",
        access_ttl: float = 7200,
    ) -> None:
        super().__init__(port)
        self.handle, self.app_password, self.access_ttl = handle, app_password, access_ttl
        self.did = fake_did(handle)
        self.records: dict[str, dict[str, Any]] = {}  # uri -> {"cid", "value", "author", "indexedAt"}
        self.profiles: dict[str, dict[str, Any]] = {
            self.did: {"did": self.did, "handle": handle, "displayName": "The Shop"}
        }
        self._notifications: list[dict[str, Any]] = []
        self._published: list[str] = []
        self._access: dict[str, float] = {}
        self._refresh: set[str] = set()
        self._limits: list[dict[str, Any]] = []
        self._rkeys = itertools.count(1)
        self._clock = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._clock_lock = threading.Lock()
        self.sessions_created = 0

    # ----------------------------------------------------------------------------- test setup

    def _tick(self) -> str:
        with self._clock_lock:
            self._clock += timedelta(milliseconds=1500)
            return _iso(self._clock)

    def _store(self, author_did: str, value: dict[str, Any]) -> str:
        rkey = "3l" + "".join(_B32[(next(self._rkeys) >> (5 * i)) % 32] for i in range(11))[::-1]
        uri = f"at://{author_did}/app.bsky.feed.post/{rkey}"
        cid = fake_cid(json.dumps(value, sort_keys=True).encode() + uri.encode())
        self.records[uri] = {"cid": cid, "value": value, "author": author_did, "indexedAt": self._tick()}
        return uri

    def add_post(
        self,
        *,
        text: str,
        handle: str,
        display_name: str | None = None,
        reply_to: str | None = None,
        mention: bool = True,
    ) -> str:
        """``handle`` posts ``text`` (mentioning us, or replying to ``reply_to``); returns its at:// uri.

        A reply to our own post notifies us with reason ``reply``; anything else with ``mention``.
        """
        with self._cond:
            author = fake_did(handle)
            self.profiles[author] = {"did": author, "handle": handle, "displayName": display_name or handle}
            value: dict[str, Any] = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": self._tick(),
                "langs": ["en"],
            }
            if reply_to:
                parent = self.records[reply_to]
                root = parent["value"].get("reply", {}).get("root") or {"uri": reply_to, "cid": parent["cid"]}
                value["reply"] = {"root": root, "parent": {"uri": reply_to, "cid": parent["cid"]}}
            uri = self._store(author, value)
            reason = "reply" if reply_to and self.records[reply_to]["author"] == self.did else "mention"
            if reply_to or mention:
                self._notify(uri, reason, reason_subject=reply_to)
            self._changed()
            return uri

    def add_like(self, *, post_uri: str, handle: str) -> None:
        """Someone likes our post: a notification the adapter must ignore."""
        with self._cond:
            author = fake_did(handle)
            self.profiles[author] = {"did": author, "handle": handle, "displayName": handle}
            like_uri = f"at://{author}/app.bsky.feed.like/3l{next(self._rkeys):011d}"
            value = {
                "$type": "app.bsky.feed.like",
                "subject": {"uri": post_uri, "cid": self.records[post_uri]["cid"]},
                "createdAt": self._tick(),
            }
            self.records[like_uri] = {
                "cid": fake_cid(like_uri.encode()),
                "value": value,
                "author": author,
                "indexedAt": self._tick(),
            }
            self._notify(like_uri, "like", reason_subject=post_uri)
            self._changed()

    def _notify(self, uri: str, reason: str, *, reason_subject: str | None) -> None:
        self._notifications.append({"uri": uri, "reason": reason, "reasonSubject": reason_subject})

    def rate_limit(self, path_contains: str, reset_in: int) -> None:
        """Answer matching requests with 429 until ``reset_in`` seconds pass."""
        with self._cond:
            self._limits.append({"path": path_contains, "reset": int(time.time()) + reset_in})

    def expire_sessions(self) -> None:
        """Every access token issued so far is now expired (the PDS answers ``ExpiredToken``)."""
        with self._cond:
            for token in self._access:
                self._access[token] = 0.0

    # ----------------------------------------------------------------------------- assertions

    def published(self) -> list[dict[str, Any]]:
        """Posts created through ``createRecord``, oldest first: ``uri``, ``cid`` and the ``value``."""
        with self._cond:
            return [
                {"uri": u, "cid": self.records[u]["cid"], "value": self.records[u]["value"]}
                for u in self._published
            ]

    # ----------------------------------------------------------------------------- server side

    def error_body(self, status: int) -> Any:
        names = {400: "InvalidRequest", 401: "AuthenticationRequired", 429: "RateLimitExceeded"}
        return xrpc_error(names.get(status, "InternalServerError"), f"HTTP {status}")

    def fault_response(self, status: int, headers: dict[str, str], body: Any) -> Response:
        response = super().fault_response(status, headers, body)
        if status == 429 and "ratelimit-reset" not in {k.lower() for k in headers}:
            response.headers.update(self._limit_headers(int(time.time()) + 60))
        return response

    def _limit_headers(self, reset: int) -> dict[str, str]:
        return {
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(reset),
            "ratelimit-policy": "3000;w=300",
        }

    def route(self, call: Call) -> Response:
        now = time.time()
        for limit in self._limits:
            if limit["reset"] > now and limit["path"] in call.path:
                return Response(
                    429,
                    xrpc_error("RateLimitExceeded", "Rate Limit Exceeded"),
                    self._limit_headers(limit["reset"]),
                )
        if not call.path.startswith("/xrpc/"):
            return Response(404, xrpc_error("NotFound", "Not Found"))
        nsid = call.path[len("/xrpc/") :]
        if nsid == "com.atproto.server.createSession" and call.method == "POST":
            return self._create_session(call)
        token = call.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if nsid == "com.atproto.server.refreshSession" and call.method == "POST":
            if token not in self._refresh:
                return Response(400, xrpc_error("ExpiredToken", "Token has been revoked"))
            self._refresh.discard(token)
            return Response(200, self._session())
        if token not in self._access:
            return Response(401, xrpc_error("AuthenticationRequired", "Authentication Required"))
        if self._access[token] < now:
            return Response(400, xrpc_error("ExpiredToken", "Token has expired"))
        handlers = {
            ("GET", "app.bsky.notification.listNotifications"): self._list_notifications,
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("POST", "com.atproto.repo.createRecord"): self._create_record,
            ("GET", "com.atproto.server.getSession"): self._get_session,
        }
        handler = handlers.get((call.method, nsid))
        if handler is None:
            return Response(501, xrpc_error("MethodNotImplemented", f"Method Not Implemented: {nsid}"))
        return handler(call)

    def _session(self) -> dict[str, Any]:
        access = _jwt(
            {
                "scope": "com.atproto.appPass",
                "sub": self.did,
                "iat": int(time.time()),
                "exp": int(time.time() + self.access_ttl),
            }
        )
        refresh = _jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": self.did,
                "jti": secrets.token_hex(8),
                "exp": int(time.time() + 90 * 86400),
            }
        )
        self._access[access] = time.time() + self.access_ttl
        self._refresh.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.handle,
            "did": self.did,
            "active": True,
        }

    def _get_session(self, call: Call) -> Response:
        return Response(200, {"handle": self.handle, "did": self.did, "active": True})

    def _create_session(self, call: Call) -> Response:
        identifier = str(call.form.get("identifier", "")).lstrip("@")
        if identifier not in (self.handle, self.did) or call.form.get("password") != self.app_password:
            return Response(401, xrpc_error("AuthenticationRequired", "Invalid identifier or password"))
        self.sessions_created += 1
        return Response(200, self._session())

    def _profile_view(self, did: str) -> dict[str, Any]:
        profile = self.profiles[did]
        return {
            **profile,
            "labels": [],
            "createdAt": "2024-01-01T00:00:00.000Z",
            "indexedAt": "2024-01-01T00:00:00.000Z",
        }

    def _list_notifications(self, call: Call) -> Response:
        raw = call.query.get("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            return Response(
                400, xrpc_error("InvalidRequest", "Error: limit must be an integer between 1 and 100")
            )
        newest_first = list(reversed(self._notifications))
        start = 0
        if call.query.get("cursor"):
            if not call.query["cursor"].isdigit():
                return Response(400, xrpc_error("InvalidRequest", "Malformed cursor"))
            start = int(call.query["cursor"])
        rows = newest_first[start : start + int(raw)]
        notifications = []
        for row in rows:
            record = self.records[row["uri"]]
            view = {
                "uri": row["uri"],
                "cid": record["cid"],
                "author": self._profile_view(record["author"]),
                "reason": row["reason"],
                "record": record["value"],
                "isRead": False,
                "indexedAt": record["indexedAt"],
                "labels": [],
            }
            if row["reasonSubject"]:
                view["reasonSubject"] = row["reasonSubject"]
            notifications.append(view)
        body: dict[str, Any] = {"notifications": notifications, "priority": False}
        if start + len(rows) < len(newest_first):
            body["cursor"] = str(start + len(rows))
        return Response(200, body)

    def _get_record(self, call: Call) -> Response:
        q = call.query
        uri = f"at://{q.get('repo', '')}/{q.get('collection', '')}/{q.get('rkey', '')}"
        record = self.records.get(uri)
        if record is None:
            return Response(400, xrpc_error("RecordNotFound", f"Could not locate record: {uri}"))
        return Response(200, {"uri": uri, "cid": record["cid"], "value": record["value"]})

    def _create_record(self, call: Call) -> Response:
        form = call.form
        if form.get("repo") not in (self.did, self.handle):
            return Response(400, xrpc_error("InvalidRequest", "Can not write to a repo other than your own"))
        record = form.get("record")
        if form.get("collection") != "app.bsky.feed.post" or not isinstance(record, dict):
            return Response(400, xrpc_error("InvalidRequest", 'Input must have the property "record"'))
        if record.get("$type") != form.get("collection"):
            return Response(400, xrpc_error("InvalidRecord", "Record/$type must be app.bsky.feed.post"))
        text = record.get("text")
        if not isinstance(text, str) or not record.get("createdAt"):
            return Response(
                400, xrpc_error("InvalidRecord", 'Record must have the properties "text" and "createdAt"')
            )
        if len(regex.findall(r"\X", text)) > MAX_GRAPHEMES:
            return Response(
                400,
                xrpc_error(
                    "InvalidRecord",
                    "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
                ),
            )
        if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            return Response(
                400,
                xrpc_error(
                    "InvalidRecord",
                    "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters",
                ),
            )
        reply = record.get("reply")
        if reply is not None:
            for key in ("root", "parent"):
                ref = reply.get(key) if isinstance(reply, dict) else None
                if not isinstance(ref, dict) or not ref.get("uri") or not ref.get("cid"):
                    return Response(
                        400,
                        xrpc_error("InvalidRecord", f"Record/reply/{key} must be a strong ref (uri and cid)"),
                    )
                stored = self.records.get(ref["uri"])
                if stored is None or stored["cid"] != ref["cid"]:
                    return Response(
                        400, xrpc_error("InvalidRecord", f"Record/reply/{key} does not match a record")
                    )
        uri = self._store(self.did, record)
        self._published.append(uri)
        cid = self.records[uri]["cid"]
        return Response(
            200,
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": fake_cid(uri.encode() + b"c"), "rev": "3l" + secrets.token_hex(6)},
                "validationStatus": "valid",
            },
        )
