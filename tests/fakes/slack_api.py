"""Fake of the Slack Web API, shaped after Slack's method reference.

The app talks to it with ``WebClient(base_url=fake.url + "/api/")``. Like Slack, method errors
are HTTP 200 with ``{"ok": false, "error": ...}``; only rate limits (429 + ``Retry-After``) and
outages (503) use other statuses, so the real slack_sdk error and retry paths are exercised.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.base import JSON, Call, FakeServer, Response
from tests.fakes.block_kit import MESSAGE_TEXT, message_problems, view_problems
from tests.fakes.slack_files import SlackFiles

Handler = Callable[[dict[str, Any]], JSON]

# Fields Slack accepts as JSON strings in form posts; decoded so tests compare python objects.
_JSON_FIELDS = ("blocks", "attachments", "metadata", "view")

_TZ_LABELS = {
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "UTC": "Coordinated Universal Time",
}


def _decode(value: Any) -> Any:
    """Decode a JSON string field (form posts send blocks as JSON text); pass others through."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _decoded(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _decode(v) if k in _JSON_FIELDS else v for k, v in params.items() if k != "token"}


def _err(error: str, **extra: Any) -> JSON:
    return {"ok": False, "error": error, **extra}


def _refused(error: str, problems: list[str]) -> JSON:
    """Slack's refusal of a payload: the error, and one `[ERROR]` line per problem."""
    return _err(error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    return int(whole or 0), int(frac or 0)


class FakeSlack(FakeServer):
    """Slack Web API at ``/api/<method>`` plus ``/response/<name>`` response URLs.

    Any user id is known to ``users.info`` (defaults: tz America/New_York, name from the id);
    :meth:`set_user` overrides one. A DM to user ``U123`` is channel ``D123`` everywhere
    (``chat.postMessage`` with ``channel="U123"`` and ``conversations.open``).
    """

    name = "slack"
    BOT_USER_ID = "U0BOT"
    BOT_ID = "B0BOT"
    TEAM_ID = "T0TEAM"
    TEAM = "Fake Shop"
    APP_ID = "A0APP"

    def __init__(self, port: int = 0, *, start_ts: int = 1_700_000_000, default_tz: str = "America/New_York"):
        super().__init__(port)
        self.default_tz = default_tz
        # Latest version of every message the fake knows, keyed by (channel id, ts).
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ts = itertools.count(start_ts * 1_000_000 + 100, 100)
        self._ids = itertools.count(1)
        self._posted: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._ephemerals: list[dict[str, Any]] = []
        self._view_log: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._responses: dict[str, list[Any]] = {}
        self._refused_responses: dict[str, list[Any]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._rate_limits: dict[str, list[int]] = {}
        self._revoked: set[str] = set()
        # Where apps.connections.open sends the app (a tests.fakes.socket_mode.FakeSocketMode).
        self.socket_mode_url: str | None = None
        # chat.postMessage per channel (Slack: about 1 a second, short bursts): off unless enforced.
        self._post_pace: tuple[float, int] | None = None
        self._post_buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self.paced_out: list[str] = []  # channels answered 429 by the enforced pace, in order
        # Channels that refuse the bot's messages, with the error Slack documents for the case.
        self._closed: dict[str, str] = {}
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "views.open": lambda p: self._open_view("views.open", p),
            "views.update": self._update_view,
            "views.publish": self._publish_view,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
        }
        self._paths: dict[str, Callable[[Call], Response]] = {}
        self.files = SlackFiles(self)  # files_upload_v2: see tests/fakes/slack_files.py
        self.files.register()

    # ----------------------------------------------------------------------------- test setup

    def set_user(
        self,
        user_id: str,
        *,
        tz: str,
        name: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
    ) -> None:
        """Configure what ``users.info`` returns for ``user_id`` (tz is an IANA zone name)."""
        ZoneInfo(tz)  # fail fast on a typo
        with self._cond:
            self._users[user_id] = {
                "tz": tz,
                "name": name or user_id.lower(),
                "real_name": real_name or (name or f"User {user_id}").title(),
                "is_bot": is_bot,
                "deleted": deleted,
                "is_admin": is_admin,
            }
            self._changed()

    def add_message(
        self,
        channel: str,
        *,
        text: str,
        user: str = "U0HUMAN",
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Seed a message someone else posted (for conversations.replies, permalinks); returns ts."""
        with self._cond:
            channel_id = self.dm_channel(channel)
            ts = ts or self._next_ts()
            message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
            if blocks is not None:
                message["blocks"] = blocks
            self._store(channel_id, message, thread_ts)
            self._changed()
            return ts

    def rate_limit(self, method: str, *, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with 429, ``Retry-After`` and ``ratelimited``."""
        with self._cond:
            self._rate_limits[method] = [count, retry_after]

    def enforce_post_rate(self, *, per_second: float = 1.0, burst: int = 10) -> None:
        """Like Slack: ``chat.postMessage`` beyond ``per_second`` per channel (after a burst of
        ``burst``) answers 429 ``ratelimited`` with a ``Retry-After`` of whole seconds."""
        with self._cond:
            self._post_pace = (per_second, burst)
            self._post_buckets.clear()

    def _paced_out(self, params: dict[str, Any]) -> int | None:
        """Seconds to wait when this post is beyond the channel's pace; None when it may go."""
        if self._post_pace is None:
            return None
        per_second, burst = self._post_pace
        channel = self.dm_channel(str(params.get("channel") or ""))
        now = time.monotonic()
        tokens, at = self._post_buckets.get(channel, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * per_second)
        if tokens < 1.0:
            self._post_buckets[channel] = (tokens, now)
            self.paced_out.append(channel)
            return max(1, math.ceil((1.0 - tokens) / per_second))
        self._post_buckets[channel] = (tokens - 1.0, now)
        return None

    def revoke_token(self, token: str) -> None:
        """Make ``token`` answer ``token_revoked`` from now on."""
        with self._cond:
            self._revoked.add(token)

    def register_method(self, method: str, handler: Handler) -> None:
        """Serve an extra Web API method: ``handler(params) -> response dict`` (runs under the lock)."""
        with self._cond:
            self._methods[method] = handler

    def register_path(self, prefix: str, handler: Callable[[Call], Response]) -> None:
        """Serve requests under a path outside /api/ (upload URLs); ``handler`` runs under the lock."""
        with self._cond:
            self._paths[prefix] = handler

    def close_channel(self, channel: str, error: str) -> None:
        """Make ``channel`` refuse the bot: ``channel_not_found`` (deleted or never seen),
        ``not_in_channel`` (the bot was removed) or ``is_archived`` (archived), as
        chat.postMessage and chat.update answer in each case."""
        assert error in ("channel_not_found", "not_in_channel", "is_archived"), error
        with self._cond:
            self._closed[channel] = error

    def reopen_channel(self, channel: str) -> None:
        with self._cond:
            self._closed.pop(channel, None)

    def response_url(self, name: str) -> str:
        """A response_url on the fake for interaction payloads; posts to it land in :meth:`responses`."""
        return f"{self.url}/response/{name}"

    # ----------------------------------------------------------------------------- assertions

    @staticmethod
    def dm_channel(channel_or_user: str) -> str:
        """The DM channel id the fake uses for a user id (``U123`` -> ``D123``); others unchanged."""
        if channel_or_user[:1] in ("U", "W") and channel_or_user != FakeSlack.BOT_USER_ID:
            return "D" + channel_or_user[1:]
        return channel_or_user

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage payloads in order, blocks decoded, with the assigned ``ts``/``channel_id``."""
        with self._cond:
            return [
                dict(p)
                for p in self._posted
                if channel is None or channel in (p.get("channel"), p["channel_id"])
            ]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Latest version of one message (after chat.update), or None."""
        with self._cond:
            found = self.messages.get((self.dm_channel(channel), ts))
            return dict(found) if found else None

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies in a thread (latest versions, oldest first), not including the parent."""
        with self._cond:
            channel_id = self.dm_channel(channel)
            return [
                dict(m)
                for (ch, ts), m in sorted(self.messages.items(), key=lambda kv: _ts_key(kv[0][1]))
                if ch == channel_id and m.get("thread_ts") == thread_ts and ts != thread_ts
            ]

    def updates(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """chat.update payloads for one message, in order, blocks decoded."""
        with self._cond:
            channel_id = self.dm_channel(channel)
            return [dict(u) for u in self._updates if u["channel_id"] == channel_id and u.get("ts") == ts]

    def ephemerals(self, user: str | None = None) -> list[dict[str, Any]]:
        """chat.postEphemeral payloads in order (optionally only those shown to ``user``)."""
        with self._cond:
            return [dict(e) for e in self._ephemerals if user is None or e.get("user") == user]

    def views_opened(self) -> list[dict[str, Any]]:
        """views.open calls: ``{"method", "trigger_id", "view_id", "view"}``, in order."""
        with self._cond:
            return [dict(v) for v in self._view_log if v["method"] == "views.open"]

    def view_updates(self) -> list[dict[str, Any]]:
        """views.update / views.publish calls: ``{"method", "view_id", "external_id", "view", ...}``."""
        with self._cond:
            return [dict(v) for v in self._view_log if v["method"] in ("views.update", "views.publish")]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """Current state of a view the fake knows (as returned to the client)."""
        with self._cond:
            found = self._views.get(view_id)
            return dict(found) if found else None

    def responses(self, name: str) -> list[Any]:
        """JSON bodies posted to :meth:`response_url` ``name`` (Bolt's ``respond()``), in order."""
        with self._cond:
            return list(self._responses.get(name, []))

    # ----------------------------------------------------------------------------- server side

    def error_body(self, status: int) -> Any:
        errors = {429: "ratelimited", 503: "service_unavailable", 500: "internal_error"}
        return _err(errors.get(status, "fatal_error"))

    def fault_response(self, status: int, headers: dict[str, str], body: Any) -> Response:
        response = super().fault_response(status, headers, body)
        if status == 429 and not any(k.lower() == "retry-after" for k in response.headers):
            response.headers["Retry-After"] = "1"
        return response

    def route(self, call: Call) -> Response:
        if call.path.startswith("/response/"):
            name = call.path.removeprefix("/response/")
            body = call.form if call.form else _decode(call.body.decode("utf-8", "replace"))
            blocks = body.get("blocks") if isinstance(body, dict) else None
            if blocks is not None and message_problems(blocks):
                # A response_url answers a refused message with HTTP 400 and the error as text.
                self._refused_responses.setdefault(name, []).append(body)
                return Response(400, "invalid_blocks", content_type="text/plain")
            self._responses.setdefault(name, []).append(body)
            return Response(200, "ok", content_type="text/html")
        for prefix, path_handler in self._paths.items():
            if call.path.startswith(prefix):
                return path_handler(call)
        if not call.path.startswith("/api/"):
            return Response(404, "Not Found", content_type="text/plain")
        method = call.path.removeprefix("/api/")
        headers = {"x-slack-req-id": f"fake-{next(self._ids)}"}

        limit = self._rate_limits.get(method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            headers["Retry-After"] = str(limit[1])
            return Response(429, _err("ratelimited"), headers)

        params = call.params
        if method == "apps.connections.open":
            return Response(200, self._connections_open(call, params), headers)
        auth_error = self._auth_error(call, params)
        if auth_error:
            return Response(200, _err(auth_error), headers)
        if method == "chat.postMessage":
            wait = self._paced_out(params)
            if wait is not None:
                headers["Retry-After"] = str(wait)
                return Response(429, _err("ratelimited"), headers)

        handler = self._methods.get(method)
        if handler is None:
            return Response(200, _err("unknown_method", req_method=method), headers)
        return Response(200, handler(params), headers)

    def _auth_error(self, call: Call, params: dict[str, Any]) -> str | None:
        header = call.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else str(params.get("token") or "")
        if not token:
            return "not_authed"
        if not token.startswith("xox"):
            return "invalid_auth"
        if token in self._revoked:
            return "token_revoked"
        return None

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{n // 1_000_000}.{n % 1_000_000:06d}"

    def _store(self, channel_id: str, message: dict[str, Any], thread_ts: str | None) -> dict[str, Any]:
        stored = {**message, "channel": channel_id}
        if thread_ts:
            stored["thread_ts"] = thread_ts
            parent = self.messages.get((channel_id, thread_ts))
            if parent is not None and parent["ts"] != message["ts"]:
                stored["parent_user_id"] = parent.get("user")
                replies = [
                    m
                    for (ch, ts), m in self.messages.items()
                    if ch == channel_id and m.get("thread_ts") == thread_ts and ts != thread_ts
                ]
                users = {m.get("user") for m in replies} | {message.get("user")}
                parent.update(
                    thread_ts=thread_ts,
                    reply_count=len(replies) + 1,
                    reply_users_count=len(users),
                    reply_users=sorted(u for u in users if u),
                    latest_reply=message["ts"],
                )
        self.messages[(channel_id, message["ts"])] = stored
        return stored

    # ----------------------------------------------------------------------------- methods

    def _connections_open(self, call: Call, params: dict[str, Any]) -> JSON:
        """`apps.connections.open`: takes only an app-level token (xapp-), answers the socket URL."""
        header = call.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else str(params.get("token") or "")
        if not token:
            return _err("not_authed")
        if token.startswith("xox"):
            return _err("not_allowed_token_type")
        if not token.startswith("xapp-"):
            return _err("invalid_auth")
        if token in self._revoked:
            return _err("token_revoked")
        if self.socket_mode_url is None:
            return _err("internal_error")
        return {"ok": True, "url": self.socket_mode_url}

    def _auth_test(self, p: dict[str, Any]) -> JSON:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": self.TEAM,
            "user": "social_inbox",
            "team_id": self.TEAM_ID,
            "user_id": self.BOT_USER_ID,
            "bot_id": self.BOT_ID,
            "is_enterprise_install": False,
        }

    def _message_error(self, text: Any, blocks: Any, attachments: Any) -> JSON | None:
        if not text and not blocks and not attachments:
            return _err("no_text")
        if blocks is not None:
            problems = message_problems(blocks)
            if problems:
                return _refused("invalid_blocks", problems)
        if isinstance(text, str) and len(text) > MESSAGE_TEXT:
            return _err("msg_too_long")
        return None

    def _post_message(self, p: dict[str, Any]) -> JSON:
        payload = _decoded(p)
        channel = payload.get("channel")
        if not channel:
            return _err("channel_not_found")
        if str(channel) in self._closed:
            return _err(self._closed[str(channel)])
        error = self._message_error(payload.get("text"), payload.get("blocks"), payload.get("attachments"))
        if error:
            return error
        channel_id = self.dm_channel(str(channel))
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.BOT_USER_ID,
            "bot_id": self.BOT_ID,
            "app_id": self.APP_ID,
            "team": self.TEAM_ID,
            "text": payload.get("text") or "",
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if payload.get(key) is not None:
                message[key] = payload[key]
        thread_ts = payload.get("thread_ts") or None
        stored = self._store(channel_id, message, thread_ts)
        self._posted.append({**payload, "channel_id": channel_id, "ts": ts})
        reply = {k: v for k, v in stored.items() if k != "channel"}
        return {"ok": True, "channel": channel_id, "ts": ts, "message": reply}

    def _update(self, p: dict[str, Any]) -> JSON:
        payload = _decoded(p)
        channel, ts = payload.get("channel"), payload.get("ts")
        if not channel:
            return _err("channel_not_found")
        if str(channel) in self._closed:
            return _err(self._closed[str(channel)])
        channel_id = self.dm_channel(str(channel))
        stored = self.messages.get((channel_id, str(ts)))
        if stored is None:
            return _err("message_not_found")
        text = payload["text"] if "text" in payload else stored.get("text")
        blocks = payload["blocks"] if "blocks" in payload else stored.get("blocks")
        error = self._message_error(text, blocks, payload.get("attachments", stored.get("attachments")))
        if error:
            return error
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in payload:
                stored[key] = payload[key]
        stored["edited"] = {"user": self.BOT_USER_ID, "ts": self._next_ts()}
        self._updates.append({**payload, "channel_id": channel_id})
        message = {k: v for k, v in stored.items() if k != "channel"}
        return {
            "ok": True,
            "channel": channel_id,
            "ts": ts,
            "text": stored.get("text", ""),
            "message": message,
        }

    def _post_ephemeral(self, p: dict[str, Any]) -> JSON:
        payload = _decoded(p)
        if not payload.get("channel"):
            return _err("channel_not_found")
        if not payload.get("user"):
            return _err("user_not_found")
        error = self._message_error(payload.get("text"), payload.get("blocks"), payload.get("attachments"))
        if error:
            return error
        ts = self._next_ts()
        self._ephemerals.append({**payload, "message_ts": ts})
        return {"ok": True, "message_ts": ts}

    def _permalink(self, p: dict[str, Any]) -> JSON:
        channel, ts = p.get("channel"), p.get("message_ts")
        if not channel:
            return _err("channel_not_found")
        if not ts:
            return _err("message_not_found")
        channel_id = self.dm_channel(str(channel))
        link = f"https://fake.slack.com/archives/{channel_id}/p{str(ts).replace('.', '')}"
        stored = self.messages.get((channel_id, str(ts)))
        if stored and stored.get("thread_ts") and stored["thread_ts"] != ts:
            link += f"?thread_ts={stored['thread_ts']}&cid={channel_id}"
        return {"ok": True, "channel": channel_id, "permalink": link}

    def _render_view(self, view_id: str, view: dict[str, Any], root: str | None = None) -> dict[str, Any]:
        rendered = {
            "id": view_id,
            "team_id": self.TEAM_ID,
            "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{self._next_ts()}.fakehash",
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "external_id": view.get("external_id", ""),
            "root_view_id": root or view_id,
            "previous_view_id": None,
            "app_id": self.APP_ID,
            "bot_id": self.BOT_ID,
        }
        self._views[view_id] = rendered
        return rendered

    def _new_view_id(self) -> str:
        return f"V{next(self._ids):010d}"

    def _open_view(self, method: str, p: dict[str, Any]) -> JSON:
        payload = _decoded(p)
        trigger_id = payload.get("trigger_id")
        view = payload.get("view")
        if not trigger_id or not isinstance(view, dict):
            return _err("invalid_arguments")
        problems = view_problems(view)
        if problems:
            return _refused("invalid_arguments", problems)
        view_id = self._new_view_id()
        rendered = self._render_view(view_id, view)
        self._view_log.append({"method": method, "trigger_id": trigger_id, "view_id": view_id, "view": view})
        return {"ok": True, "view": rendered}

    def _update_view(self, p: dict[str, Any]) -> JSON:
        payload = _decoded(p)
        view = payload.get("view")
        view_id, external_id = payload.get("view_id"), payload.get("external_id")
        if not isinstance(view, dict) or not (view_id or external_id):
            return _err("invalid_arguments")
        problems = view_problems(view)
        if problems:
            return _refused("invalid_arguments", problems)
        if not view_id:
            view_id = next((v["id"] for v in self._views.values() if v["external_id"] == external_id), None)
            if view_id is None:
                return _err("not_found")
        current = self._views.get(str(view_id))
        if current and payload.get("hash") and payload["hash"] != current["hash"]:
            return _err("hash_conflict")
        rendered = self._render_view(str(view_id), view, current["root_view_id"] if current else None)
        self._view_log.append(
            {
                "method": "views.update",
                "view_id": view_id,
                "external_id": external_id,
                "hash": payload.get("hash"),
                "view": view,
            }
        )
        return {"ok": True, "view": rendered}

    def _publish_view(self, p: dict[str, Any]) -> JSON:
        payload = _decoded(p)
        view, user_id = payload.get("view"), payload.get("user_id")
        if not isinstance(view, dict) or not user_id:
            return _err("invalid_arguments")
        problems = view_problems(view)
        if problems:
            return _refused("invalid_arguments", problems)
        view_id = f"VHOME{user_id}"
        rendered = self._render_view(view_id, view)
        self._view_log.append(
            {"method": "views.publish", "view_id": view_id, "user_id": user_id, "view": view}
        )
        return {"ok": True, "view": rendered}

    def _users_info(self, p: dict[str, Any]) -> JSON:
        user_id = str(p.get("user") or "")
        if not user_id:
            return _err("user_not_found")
        conf = self._users.get(user_id, {})
        tz = conf.get("tz", self.default_tz)
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        abbreviation = now.tzname() or ""
        name = conf.get("name", user_id.lower())
        real_name = conf.get("real_name", f"User {user_id}")
        user = {
            "id": user_id,
            "team_id": self.TEAM_ID,
            "name": name,
            "deleted": conf.get("deleted", False),
            "real_name": real_name,
            "tz": tz,
            "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "real_name_normalized": real_name,
                "display_name_normalized": name,
                "team": self.TEAM_ID,
            },
            "is_admin": conf.get("is_admin", False),
            "is_owner": False,
            "is_bot": conf.get("is_bot", user_id == self.BOT_USER_ID),
            "is_app_user": False,
            "updated": 1_700_000_000,
        }
        return {"ok": True, "user": user}

    def _conversations_open(self, p: dict[str, Any]) -> JSON:
        if p.get("channel"):
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": p["channel"]}}
        raw = p.get("users") or ""
        users = [u.strip() for u in (raw if isinstance(raw, list) else str(raw).split(",")) if u.strip()]
        if not users:
            return _err("users_list_not_supplied")
        if len(users) > 8:
            return _err("too_many_users")
        channel_id = self.dm_channel(users[0]) if len(users) == 1 else "G" + "".join(u[1:4] for u in users)
        return {"ok": True, "channel": {"id": channel_id}}
