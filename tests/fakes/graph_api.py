"""Fake of the Meta Graph API for Facebook Page comments and Instagram comments.

Shaped after the Graph API reference: nodes at ``/{version}/{id}`` with ``fields`` selection
(including nested ``from{id,name}``), edges ``/comments`` and ``/replies``, and errors as
``{"error": {message, type, code, error_subcode, fbtrace_id}}`` with HTTP 400, so facebook-sdk
raises ``GraphAPIError`` exactly as it would against graph.facebook.com.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.base import JSON, Call, FakeServer, Response

UNEXPECTED = "An unexpected error has occurred. Please retry your request later."
_VERSION = re.compile(r"^v\d+\.\d+$")
# The Send API's standard messaging window, and its text limits (Messenger: characters; Instagram: UTF-8 bytes).
MESSAGING_WINDOW = timedelta(hours=24)
MESSENGER_TEXT_LIMIT = 2000
INSTAGRAM_TEXT_BYTES = 1000
_MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Fields each node type has, per the Graph API reference (subset; values we do not model are
# omitted from answers, as Graph omits unset fields). Asking for anything else is an error.
_FIELDS: dict[str, frozenset[str]] = {
    "Comment": _names(
        "id message from created_time permalink_url parent like_count comment_count is_hidden is_private"
        " can_comment can_hide can_remove can_like can_reply_privately user_likes message_tags attachment"
        " object application comments reactions likes private_reply_conversation"
    ),
    "Post": _names(
        "id message created_time updated_time permalink_url from story full_picture status_type is_published"
        " is_hidden attachments comments shares privacy parent_id place icon picture message_tags is_popular"
        " reactions likes"
    ),
    "IGComment": _names(
        "id text username timestamp from media parent_id like_count hidden replies user"
        " legacy_instagram_comment_id"
    ),
    "IGMedia": _names(
        "id permalink caption media_type media_product_type media_url timestamp username comments_count"
        " like_count owner shortcode thumbnail_url is_comment_enabled comments children is_shared_to_feed"
        " alt_text legacy_instagram_media_id"
    ),
    "Page": _names("id name username link category fan_count instagram_business_account access_token"),
    "IGUser": _names("id username name profile_picture_url followers_count media_count"),
}
_DEFAULT_FIELDS = {
    "Comment": ["created_time", "from", "message", "id"],
    "Post": ["created_time", "message", "id"],
    "IGComment": ["timestamp", "text", "id"],
    "IGMedia": ["id"],
    "Page": ["name", "id"],
    "IGUser": ["id"],
}
# Which edge lists children, by node type.
_EDGES = {"Comment": "comments", "Post": "comments", "IGMedia": "comments", "IGComment": "replies"}

Spec = dict[str, "Spec | None"]


def graph_time(moment: datetime | None = None) -> str:
    """Graph's timestamp format, e.g. ``2024-05-01T12:00:00+0000``."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fields(text: str) -> Spec:
    """Parse a Graph ``fields`` value like ``id,from{id,name},comments.limit(5){message}``."""
    spec, _ = _parse_fields(text, 0)
    return spec


def _parse_fields(text: str, i: int) -> tuple[Spec, int]:
    spec: Spec = {}
    name = ""
    while i < len(text):
        ch = text[i]
        if ch == ",":
            if name.strip():
                spec.setdefault(_bare(name), None)
            name = ""
        elif ch == "{":
            sub, i = _parse_fields(text, i + 1)
            spec[_bare(name)] = sub
            name = ""
        elif ch == "}":
            if name.strip():
                spec.setdefault(_bare(name), None)
            return spec, i
        else:
            name += ch
        i += 1
    if name.strip():
        spec.setdefault(_bare(name), None)
    return spec, i


def _public(write: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in write.items() if not k.startswith("_")}


def _bare(name: str) -> str:
    """Drop modifiers such as ``.limit(5)`` or ``.summary(true)`` from a field name."""
    return name.strip().split(".", 1)[0]


class FakeGraph(FakeServer):
    """Graph API for one Page (``page_id``/``page_name``) and its Instagram account.

    With ``access_token`` set only that token (plus any from :meth:`add_token`) is accepted;
    otherwise any non-empty token is. A missing token gets code 104, a wrong one code 190.
    """

    name = "graph"

    def __init__(
        self,
        port: int = 0,
        *,
        access_token: str | None = None,
        page_id: str = "100200300400500",
        page_name: str = "The Shop",
        ig_user_id: str = "17841400000000001",
        ig_username: str = "theshop",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(port)
        self._now = now or (lambda: datetime.now(UTC))
        # (customer id) -> (platform, our account id, when they last wrote): who may be messaged, until when.
        self._customers: dict[str, tuple[str, str, datetime]] = {}
        self._mids = itertools.count(1)
        self.page_id, self.page_name = page_id, page_name
        self.ig_user_id, self.ig_username = ig_user_id, ig_username
        self._tokens: set[str] = {access_token} if access_token else set()
        self._invalidated: set[str] = set()
        self._expiry: dict[str, int] = {}
        self._app_token: str | None = None  # "APP_ID|APP_SECRET", good for debug_token only
        self._debug_needs_app_token = False
        self.objects: dict[str, dict[str, Any]] = {}
        self._deleted: set[str] = set()
        self._fb_ids = itertools.count(900_000_000_000_001)
        self._ig_ids = itertools.count(17_900_000_000_000_001)
        self._traces = itertools.count(1)
        self._writes: list[dict[str, Any]] = []
        # Page tokens bound to the posts and media of their own Page (see `page_token`).
        self._scopes: dict[str, set[str]] = {}
        self.objects[page_id] = {
            "_kind": "Page",
            "id": page_id,
            "name": page_name,
            "link": f"https://www.facebook.com/{page_id}",
            "category": "Shopping & retail",
            "instagram_business_account": {"id": ig_user_id},
        }
        self.objects[ig_user_id] = {"_kind": "IGUser", "id": ig_user_id, "username": ig_username}

    # ----------------------------------------------------------------------------- test setup

    def add_token(self, token: str) -> None:
        """Accept another access token (turns on checking if no token was configured)."""
        with self._cond:
            self._tokens.add(token)

    def set_app(self, *, app_id: str, app_secret: str, debug_needs_app_token: bool = False) -> None:
        """The app's access token (`APP_ID|APP_SECRET`), accepted by `debug_token`.

        With ``debug_needs_app_token`` only it may inspect a token, as Meta's reference requires
        ("an app access token or an app developer's user access token"); a Page token asking
        about itself is refused.
        """
        with self._cond:
            self._app_token = f"{app_id}|{app_secret}"
            self._debug_needs_app_token = debug_needs_app_token

    def set_token_expiry(self, token: str, expires_at: int) -> None:
        """What `debug_token` reports as the token's `expires_at` (unix time; 0 means never)."""
        with self._cond:
            self._expiry[token] = expires_at

    def page_token(self, token: str, *, objects: set[str]) -> None:
        """Accept `token` as one Page's token: it may write only under the posts or media in `objects`.

        A write under another Page's post answers Graph's ``(#200) Permissions error``, as a
        Page token does for a Page it does not manage. Turns on token checking like `add_token`.
        """
        with self._cond:
            self._tokens.add(token)
            self._scopes.setdefault(token, set()).update(objects)

    def invalidate_token(self, token: str) -> None:
        """Make ``token`` answer code 190 subcode 460 (session invalidated) from now on."""
        with self._cond:
            self._invalidated.add(token)

    def add_fb_post(
        self,
        *,
        post_id: str,
        message: str = "",
        permalink_url: str | None = None,
        created_time: datetime | None = None,
    ) -> str:
        """Register a Page post (``{page_id}_{n}``-style id); returns the id."""
        with self._cond:
            self.objects[post_id] = {
                "_kind": "Post",
                "id": post_id,
                "message": message,
                "created_time": graph_time(created_time),
                "updated_time": graph_time(created_time),
                "permalink_url": permalink_url
                or f"https://www.facebook.com/{post_id.replace('_', '/posts/', 1)}",
                "from": {"id": self.page_id, "name": self.page_name},
                "status_type": "mobile_status_update",
                "is_published": True,
                "is_hidden": False,
            }
            self._changed()
            return post_id

    def add_fb_comment(
        self,
        *,
        comment_id: str,
        post_id: str,
        message: str,
        from_id: str,
        from_name: str,
        parent_id: str | None = None,
        permalink_url: str | None = None,
        created_time: datetime | None = None,
    ) -> str:
        """Register a Facebook comment (a reply when ``parent_id`` is another comment); returns the id."""
        with self._cond:
            if post_id not in self.objects:
                self.add_fb_post(post_id=post_id)
            self._add_fb_comment(
                comment_id=comment_id,
                post_id=post_id,
                message=message,
                author={"id": from_id, "name": from_name},
                parent_id=parent_id if parent_id and parent_id != post_id else None,
                permalink_url=permalink_url,
                created_time=created_time,
            )
            self._changed()
            return comment_id

    def add_ig_media(
        self, *, media_id: str, permalink: str, caption: str = "", media_product_type: str = "FEED"
    ) -> str:
        """Register an Instagram media object; returns the id."""
        with self._cond:
            self.objects[media_id] = {
                "_kind": "IGMedia",
                "id": media_id,
                "permalink": permalink,
                "caption": caption,
                "media_type": "IMAGE",
                "media_product_type": media_product_type,
                "timestamp": graph_time(),
                "username": self.ig_username,
                "owner": {"id": self.ig_user_id},
                "like_count": 0,
                "is_comment_enabled": True,
                "shortcode": media_id[-11:],
            }
            self._changed()
            return media_id

    def add_ig_comment(
        self,
        *,
        comment_id: str,
        media_id: str,
        text: str,
        username: str,
        from_id: str,
        parent_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> str:
        """Register an Instagram comment (a reply when ``parent_id`` is given); returns the id."""
        with self._cond:
            if media_id not in self.objects:
                self.add_ig_media(
                    media_id=media_id, permalink=f"https://www.instagram.com/p/{media_id[-11:]}/"
                )
            self._add_ig_comment(
                comment_id=comment_id,
                media_id=media_id,
                text=text,
                author={"id": from_id, "username": username},
                parent_id=parent_id,
                timestamp=timestamp,
            )
            self._changed()
            return comment_id

    def set_clock(self, now: Callable[[], datetime]) -> None:
        """Measure the messaging window by `now` (the bot's test clock) instead of the wall clock."""
        with self._cond:
            self._now = now

    def add_page(self, *, page_id: str, name: str, ig_user_id: str | None = None) -> None:
        """Another Page (and the Instagram account linked to it) on the same app."""
        with self._cond:
            self.objects[page_id] = {
                "_kind": "Page",
                "id": page_id,
                "name": name,
                "link": f"https://www.facebook.com/{page_id}",
                "category": "Shopping & retail",
            }
            if ig_user_id:
                self.objects[page_id]["instagram_business_account"] = {"id": ig_user_id}
                self.objects[ig_user_id] = {"_kind": "IGUser", "id": ig_user_id, "username": name.lower()}

    def customer_wrote(
        self, *, customer_id: str, at: datetime, instagram: bool = False, account_id: str | None = None
    ) -> str:
        """A customer messaged a Page (or an Instagram account; by default the first) at `at`; returns the mid."""
        with self._cond:
            platform, account = (
                ("instagram_dm", account_id or self.ig_user_id)
                if instagram
                else ("messenger", account_id or self.page_id)
            )
            self._customers[customer_id] = (platform, account, at)
            self._changed()
            prefix = "aWdfZAG1faXRlbTox" if instagram else "m_"
            return f"{prefix}{customer_id}-{next(self._mids)}"

    def delete(self, object_id: str) -> None:
        """The object is gone: reads and replies answer code 100 subcode 33."""
        with self._cond:
            self._deleted.add(object_id)
            self._changed()

    def fail_transient(self, path_contains: str, *, count: int = 1, status: int = 500) -> None:
        """Next matching requests get Graph's transient error (code 2, ``is_transient: true``)."""
        body = self._error_body(UNEXPECTED, "OAuthException", 2, transient=True)
        self.fail_next(path_contains=path_contains, status=status, count=count, body=body)

    # ----------------------------------------------------------------------------- assertions

    def fb_replies(self) -> list[dict[str, Any]]:
        """Facebook comments created via ``POST /{id}/comments``: ``{"parent_id", "message", "id"}``."""
        with self._cond:
            return [_public(w) for w in self._writes if w["platform"] == "facebook"]

    def ig_replies(self) -> list[dict[str, Any]]:
        """Instagram replies/comments created via ``POST /{id}/replies`` or ``/{media}/comments``."""
        with self._cond:
            return [_public(w) for w in self._writes if w["platform"] == "instagram"]

    def write_tokens(self) -> dict[str, str]:
        """The access token each reply was made with, by the id of the comment it answered."""
        with self._cond:
            return {w["parent_id"]: w["_token"] for w in self._writes}

    def messages_sent(self) -> list[dict[str, Any]]:
        """Messages accepted by the Send API: ``{"platform", "recipient_id", "text", "message_id", "request"}``."""
        with self._cond:
            return [dict(w) for w in self._writes if w["platform"] in ("messenger", "instagram_dm")]

    def object(self, object_id: str) -> dict[str, Any] | None:
        """The fake's record of one object (internal keys start with ``_``), or None."""
        with self._cond:
            found = self.objects.get(object_id)
            return dict(found) if found else None

    # ----------------------------------------------------------------------------- server side

    def error_body(self, status: int) -> Any:
        if status == 429:
            return self._error_body(
                "(#4) Application request limit reached", "OAuthException", 4, transient=True
            )
        if status >= 500:
            return self._error_body(UNEXPECTED, "OAuthException", 2, transient=True)
        if status in (401, 403):
            return self._error_body(
                "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190
            )
        return self._error_body("Invalid parameter", "OAuthException", 100)

    def fault_response(self, status: int, headers: dict[str, str], body: Any) -> Response:
        response = super().fault_response(status, headers, body)
        response.content_type = "application/json; charset=UTF-8"
        return response

    def outage_response(self) -> Response:
        body = self._error_body("Service temporarily unavailable", "OAuthException", 2, transient=True)
        return Response(503, body, content_type="application/json; charset=UTF-8")

    def _error_body(
        self, message: str, type_: str, code: int, subcode: int | None = None, transient: bool | None = None
    ) -> JSON:
        error: JSON = {"message": message, "type": type_, "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient is not None:
            error["is_transient"] = transient
        error["fbtrace_id"] = f"AFakeTrace{next(self._traces):06d}"
        return {"error": error}

    def _error(
        self, message: str, type_: str, code: int, subcode: int | None = None, status: int = 400
    ) -> Response:
        body = self._error_body(message, type_, code, subcode)
        reason = "invalid_token" if code == 190 else "invalid_request"
        headers = {"WWW-Authenticate": f'OAuth "Facebook Platform" "{reason}" "{message}"'}
        return Response(status, body, headers, "application/json; charset=UTF-8")

    def _ok(self, body: JSON) -> Response:
        return Response(200, body, content_type="application/json; charset=UTF-8")

    def _missing(self, verb: str, object_id: str) -> Response:
        message = (
            f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation. Please read the Graph API "
            "documentation at https://developers.facebook.com/docs/graph-api"
        )
        return self._error(message, "GraphMethodException", 100, 33)

    def route(self, call: Call) -> Response:
        params = call.params
        token = str(params.get("access_token") or "")
        auth = call.headers.get("authorization", "")
        if not token and auth.split(" ", 1)[0].lower() in ("bearer", "oauth"):
            token = auth.split(" ", 1)[1].strip() if " " in auth else ""
        if not token:
            return self._error("An access token is required to request this resource.", "OAuthException", 104)
        debugging = call.method == "GET" and call.path.rstrip("/").endswith("/debug_token")
        if debugging and self._app_token is not None:
            if token == self._app_token:
                return self._debug_token(str(params.get("input_token") or ""))
            if self._debug_needs_app_token:
                return self._error(
                    "(#100) You must provide an app access token, or a user access token that is an "
                    "owner or developer of the app",
                    "OAuthException",
                    100,
                )
        if (self._tokens and token not in self._tokens) or token in self._invalidated:
            if token in self._invalidated:
                message = (
                    "Error validating access token: The session has been invalidated because the user "
                    "changed their password or Facebook has changed the session for security reasons."
                )
                return self._error(message, "OAuthException", 190, 460)
            return self._error(
                "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190
            )

        parts = [p for p in call.path.split("/") if p]
        if parts and _VERSION.match(parts[0]):
            parts = parts[1:]
        if not parts or len(parts) > 2:
            return self._error(f"Unknown path components: /{'/'.join(parts[2:])}", "OAuthException", 2500)
        object_id, edge = parts[0], (parts[1] if len(parts) == 2 else None)
        if object_id == "debug_token" and edge is None and call.method == "GET":
            return self._debug_token(str(params.get("input_token") or ""))
        if object_id == "me":  # a Page access token's /me is the Page
            object_id = self.page_id
        verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(call.method, call.method.lower())
        node = self.objects.get(object_id)
        if node is None or object_id in self._deleted:
            return self._missing(verb, object_id)
        kind = node["_kind"]

        if call.method == "GET":
            fields = parse_fields(str(params["fields"])) if params.get("fields") else None
            if edge is None:
                return self._read(node, fields)
            if edge != _EDGES.get(kind):
                return self._error(f"Unknown path components: /{edge}", "OAuthException", 2500)
            children = [self._view(c, fields) for c in self._children(object_id)]
            if any(isinstance(c, Response) for c in children):
                return next(c for c in children if isinstance(c, Response))
            return self._ok(
                {"data": children, "paging": {"cursors": {"before": "QVFIUmFha2U", "after": "QVFIUmFha2U"}}}
            )

        if call.method == "DELETE" and edge is None:
            self._deleted.add(object_id)
            return self._ok({"success": True})

        if call.method == "POST" and kind == "Page" and edge == "messages":
            return self._send_message(params, page=node, token=token)

        if call.method == "POST":
            if edge is None:
                for key, value in params.items():
                    if key not in ("access_token", "appsecret_proof") and not key.startswith("_"):
                        node[key] = value == "true" if value in ("true", "false") else value
                return self._ok({"success": True})
            if edge != _EDGES.get(kind):
                return self._error(f"Unknown path components: /{edge}", "OAuthException", 2500)
            text = params.get("message")
            if not text and not params.get("attachment_url") and not params.get("attachment_id"):
                return self._error("(#100) Missing message or attachment", "OAuthException", 100)
            root = node["id"] if kind in ("Post", "IGMedia") else node.get("_post")
            if token in self._scopes and root not in self._scopes[token]:
                return self._error("(#200) Permissions error", "OAuthException", 200)
            return self._create_child(
                node, str(text or ""), {k: v for k, v in params.items() if k != "access_token"}, token=token
            )

        return self._missing(verb, object_id)

    def _debug_token(self, input_token: str) -> Response:
        """`GET /debug_token?input_token=…`, shaped as Meta documents (Access Token Debugger)."""
        if not input_token:
            return self._error("(#100) The parameter input_token is required", "OAuthException", 100)
        data: JSON = {
            "app_id": "1234567890",
            "type": "PAGE",
            "application": "Social Inbox",
            "expires_at": self._expiry.get(input_token, 0),
            "data_access_expires_at": 0,
            "is_valid": True,
            "profile_id": self.page_id,
            "scopes": ["pages_manage_engagement", "pages_read_user_content", "instagram_manage_comments"],
        }
        if input_token in self._invalidated or (self._tokens and input_token not in self._tokens):
            data["is_valid"] = False
            data["error"] = {"code": 190, "message": "Error validating access token", "subcode": 460}
        return self._ok({"data": data})

    # ----------------------------------------------------------------------------- Send API

    def _send_message(self, params: dict[str, Any], *, page: dict[str, Any], token: str) -> Response:
        """``POST /{page-id}/messages`` as the Send API reference describes it.

        Ids are page-scoped: a customer who wrote to another Page (or to an Instagram account not
        linked to this Page) is "No matching user" here; a token bound to another Page is refused.
        """
        if token in self._scopes and page["id"] not in self._scopes[token]:
            return self._error("(#200) Permissions error", "OAuthException", 200)
        recipient, message = _json_param(params.get("recipient")), _json_param(params.get("message"))
        if not isinstance(recipient, dict) or not recipient.get("id"):
            return self._error("(#100) The parameter recipient is required", "OAuthException", 100)
        if params.get("messaging_type") not in _MESSAGING_TYPES:
            return self._error(
                "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}",
                "OAuthException",
                100,
            )
        if not isinstance(message, dict) or not isinstance(message.get("text"), str) or not message["text"]:
            return self._error("(#100) param message must be non-empty.", "OAuthException", 100)
        customer = self._customers.get(str(recipient["id"]))
        if customer is None:
            return self._error("(#100) No matching user found", "OAuthException", 100, 2018001)
        platform, account, last = customer
        linked = page.get("instagram_business_account", {}).get("id")
        if account not in (page["id"], linked):
            return self._error("(#100) No matching user found", "OAuthException", 100, 2018001)
        text = message["text"]
        if platform == "messenger" and len(text) > MESSENGER_TEXT_LIMIT:
            return self._error(
                f"(#100) Length of param message[text] must be less than or equal to {MESSENGER_TEXT_LIMIT}",
                "OAuthException",
                100,
            )
        if platform == "instagram_dm" and len(text.encode("utf-8", "surrogatepass")) > INSTAGRAM_TEXT_BYTES:
            return self._error("(#100) The message text is too long", "OAuthException", 100, 2534015)
        if self._now() - last > MESSAGING_WINDOW:
            return self._error(
                "(#10) This message is sent outside of allowed window. Learn more about the new policy here: "
                "https://developers.facebook.com/docs/messenger-platform/policy-overview",
                "OAuthException",
                10,
                2018278,
            )
        message_id = f"m_{next(self._fb_ids)}"
        self._writes.append(
            {
                "platform": platform,
                "recipient_id": str(recipient["id"]),
                "text": text,
                "message_id": message_id,
                "request": {k: v for k, v in params.items() if k != "access_token"},
            }
        )
        return self._ok({"recipient_id": str(recipient["id"]), "message_id": message_id})

    # ----------------------------------------------------------------------------- graph model

    def _add_fb_comment(
        self,
        *,
        comment_id: str,
        post_id: str,
        message: str,
        author: JSON,
        parent_id: str | None,
        permalink_url: str | None = None,
        created_time: datetime | None = None,
    ) -> dict[str, Any]:
        post = self.objects.get(post_id, {})
        short = comment_id.rsplit("_", 1)[-1]
        default_link = (
            f"{post.get('permalink_url', 'https://www.facebook.com/' + post_id)}?comment_id={short}"
        )
        record = {
            "_kind": "Comment",
            "_post": post_id,
            "_parent": parent_id or post_id,
            "id": comment_id,
            "message": message,
            "from": author,
            "created_time": graph_time(created_time),
            "permalink_url": permalink_url or default_link,
            "like_count": 0,
            "is_hidden": False,
            "is_private": False,
            "can_comment": parent_id is None,
            "can_hide": True,
            "can_remove": True,
            "can_like": True,
            "can_reply_privately": True,
            "user_likes": False,
        }
        self.objects[comment_id] = record
        return record

    def _add_ig_comment(
        self,
        *,
        comment_id: str,
        media_id: str,
        text: str,
        author: JSON,
        parent_id: str | None,
        timestamp: datetime | None = None,
    ) -> dict[str, Any]:
        record = {
            "_kind": "IGComment",
            "_post": media_id,
            "_parent": parent_id or media_id,
            "id": comment_id,
            "text": text,
            "username": author["username"],
            "from": author,
            "timestamp": graph_time(timestamp),
            "media": {"id": media_id},
            "like_count": 0,
            "hidden": False,
        }
        if parent_id:
            record["parent_id"] = parent_id
        self.objects[comment_id] = record
        return record

    def _children(self, object_id: str) -> list[dict[str, Any]]:
        return [
            o for o in self.objects.values() if o.get("_parent") == object_id and o["id"] not in self._deleted
        ]

    def _create_child(self, parent: dict[str, Any], message: str, request: JSON, *, token: str) -> Response:
        kind = parent["_kind"]
        if kind in ("Post", "Comment"):
            post_id = parent["id"] if kind == "Post" else parent["_post"]
            new_id = f"{post_id.rsplit('_', 1)[-1]}_{next(self._fb_ids)}"
            self._add_fb_comment(
                comment_id=new_id,
                post_id=post_id,
                message=message,
                author={"id": self.page_id, "name": self.page_name},
                parent_id=parent["id"] if kind == "Comment" else None,
            )
            platform = "facebook"
        else:
            new_id = str(next(self._ig_ids))
            self._add_ig_comment(
                comment_id=new_id,
                media_id=parent["id"] if kind == "IGMedia" else parent["_post"],
                text=message,
                author={"id": self.ig_user_id, "username": self.ig_username},
                parent_id=parent["id"] if kind == "IGComment" else None,
            )
            platform = "instagram"
        self._writes.append(
            {
                "platform": platform,
                "edge": _EDGES[kind],
                "parent_id": parent["id"],
                "message": message,
                "id": new_id,
                "request": request,
                "_token": token,
            }
        )
        return self._ok({"id": new_id})

    def _read(self, node: dict[str, Any], fields: Spec | None) -> Response:
        view = self._view(node, fields)
        return view if isinstance(view, Response) else self._ok(view)

    def _view(self, node: dict[str, Any], fields: Spec | None) -> JSON | Response:
        kind = node["_kind"]
        wanted: Spec = fields if fields else dict.fromkeys(_DEFAULT_FIELDS[kind])
        out: JSON = {}
        for name, sub in wanted.items():
            if name not in _FIELDS[kind]:
                return self._error(
                    f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})",
                    "OAuthException",
                    100,
                )
            value = self._field(node, name, sub)
            if isinstance(value, Response):
                return value
            if value is not None:
                out[name] = value
        if "id" not in out:
            out["id"] = node["id"]  # Graph always includes the id
        return out

    def _field(self, node: dict[str, Any], name: str, sub: Spec | None) -> Any:
        kind = node["_kind"]
        if name == _EDGES.get(kind):
            children = [self._view(c, sub) for c in self._children(node["id"])]
            bad = next((c for c in children if isinstance(c, Response)), None)
            return bad or {"data": children}
        if name in ("comment_count", "comments_count"):
            return len(self._children(node["id"]))
        if name == "parent" and kind == "Comment":
            parent = self.objects.get(node["_parent"])
            if parent is None or parent["_kind"] != "Comment":
                return None
            return self._view(parent, sub)
        value = node.get(name)
        if isinstance(value, dict) and sub:
            return {k: v for k, v in value.items() if k in sub}
        return value


def _json_param(value: Any) -> Any:
    """Graph reads an object parameter from a JSON body, or as JSON text in a form field."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
