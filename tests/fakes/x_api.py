"""Fake of the X API v2 endpoints the app uses, shaped after X's API reference.

Serves ``/2/users/me``, ``/2/users/:id/mentions``, ``/2/users/:id/tweets`` (the user's own
posts, replies included unless ``exclude=replies``), ``GET /2/tweets/:id`` and ``POST /2/tweets``. Errors use X's v2
problem JSON (``title``/``detail``/``type``/``status``) and rate limits carry the documented
``x-rate-limit-*`` headers, so tweepy raises the same exceptions it would against X.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

from tests.fakes.base import JSON, Call, FakeServer, Response

PROBLEM = "application/problem+json"

REPLY_NOT_ALLOWED = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise "
    "engaged by the author of the post you are replying to."
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."

_TWEET_FIELDS = {
    "author_id",
    "conversation_id",
    "created_at",
    "in_reply_to_user_id",
    "referenced_tweets",
    "lang",
    "entities",
    "public_metrics",
    "reply_settings",
    "source",
}
_USER_FIELDS = {
    "created_at",
    "public_metrics",
    "description",
    "profile_image_url",
    "protected",
    "verified",
    "url",
    "location",
}
_TOKEN_PREFIX = "7140dibdnow9c7btw"


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> JSON:
    """An X API v2 error body (RFC 7807 problem details, as X sends them)."""
    return {"title": title, "detail": detail, "type": type_, "status": status}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _csv(value: Any) -> set[str]:
    return {v.strip() for v in str(value or "").split(",") if v.strip()}


def _invalid(parameter: str, value: str, message: str) -> Response:
    body = {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return Response(400, body, content_type=PROBLEM)


class FakeX(FakeServer):
    """X API v2 for one connected account (``user_id``/``username``/``name``).

    Reads accept ``Authorization: Bearer ...`` or OAuth 1.0a; ``POST /2/tweets`` needs OAuth
    1.0a user context and answers a bearer token with X's 403 "Unsupported Authentication".
    """

    name = "x"

    def __init__(
        self,
        port: int = 0,
        *,
        user_id: str = "1000",
        username: str = "shop",
        name: str = "The Shop",
        first_tweet_id: int = 1_800_000_000_000_000_000,
        reject_duplicates: bool = False,
    ) -> None:
        super().__init__(port)
        self.user_id, self.username, self.display_name = user_id, username, name
        self.reject_duplicates = reject_duplicates
        self._tweet_ids = itertools.count(first_tweet_id, 1_000)
        self._user_ids = itertools.count(2_000)
        self.tweets: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {
            user_id: {
                "id": user_id,
                "name": name,
                "username": username,
                "created_at": "2015-01-01T00:00:00.000Z",
            }
        }
        self._mentions: list[str] = []
        self._published: list[str] = []
        self._refused: set[str] = set()
        self._revoked = False
        self._deleted: set[str] = set()
        self._limits: list[dict[str, Any]] = []
        # More connected accounts on one API (brands): user id by OAuth access token, and
        # which account each mention is addressed to.
        self._accounts: dict[str, str] = {}
        self._mentioned: dict[str, str] = {}

    # ----------------------------------------------------------------------------- test setup

    def add_account(self, *, user_id: str, username: str, access_token: str) -> None:
        """Another connected account: its posts are made with `access_token` (OAuth 1.0a user context)."""
        with self._cond:
            self._accounts[access_token] = user_id
            self.users[user_id] = {
                "id": user_id,
                "name": username,
                "username": username,
                "created_at": "2015-01-01T00:00:00.000Z",
            }

    def add_mention(
        self,
        *,
        text: str,
        username: str,
        name: str,
        author_id: str | None = None,
        in_reply_to_tweet_id: str | None = None,
        conversation_id: str | None = None,
        created_at: datetime | None = None,
        followers: int = 120,
        account_created_at: datetime | None = None,
        mentioning: str | None = None,
    ) -> str:
        """Add a post that mentions the account (or the user id ``mentioning``), as ``username``.

        Returns its new (larger) id.

        The author is created on first use (ids from 2000 up unless ``author_id`` is given), with
        ``followers`` and an account made ``account_created_at`` (default 2020-01-01), which
        ``user.fields=public_metrics,created_at`` returns as X API v2 documents them.
        A reply inherits its parent's conversation id when the parent is known.
        """
        with self._cond:
            author = author_id or next(
                (u["id"] for u in self.users.values() if u["username"] == username), None
            )
            if author is None:
                author = str(next(self._user_ids))
            self.users[author] = {
                "id": author,
                "name": name,
                "username": username,
                "created_at": _iso(account_created_at) if account_created_at else "2020-01-01T00:00:00.000Z",
                "public_metrics": {
                    "followers_count": followers,
                    "following_count": 80,
                    "tweet_count": 500,
                    "listed_count": 0,
                    "like_count": 900,
                },
            }
            tweet_id = self._new_tweet(
                text=text,
                author_id=author,
                in_reply_to_tweet_id=in_reply_to_tweet_id,
                conversation_id=conversation_id,
                created_at=created_at,
            )
            self._mentions.append(tweet_id)
            self._mentioned[tweet_id] = mentioning or self.user_id
            self._changed()
            return tweet_id

    def revoke_credentials(self, revoked: bool = True) -> None:
        """Answer every call 401 Unauthorized, as X does once the app's keys are revoked."""
        with self._cond:
            self._revoked = revoked

    def refuse_replies_to(self, tweet_id: str) -> None:
        """Replies to ``tweet_id`` get X's 403 "not mentioned or otherwise engaged" refusal."""
        with self._cond:
            self._refused.add(str(tweet_id))

    def accept_replies_to(self, tweet_id: str) -> None:
        """The author engaged after all: replies to ``tweet_id`` are accepted again."""
        with self._cond:
            self._refused.discard(str(tweet_id))

    def rate_limit(self, path_contains: str, reset_in: int, *, count: int | None = None) -> None:
        """Answer matching requests with 429 until ``reset_in`` seconds pass (or ``count`` are used).

        The 429 carries ``x-rate-limit-limit``, ``x-rate-limit-remaining: 0`` and
        ``x-rate-limit-reset`` (epoch seconds) and X's "Too Many Requests" problem body.
        """
        with self._cond:
            self._limits.append(
                {"path": path_contains, "reset": int(time.time()) + reset_in, "remaining": count}
            )

    # ----------------------------------------------------------------------------- assertions

    def published(self) -> list[dict[str, Any]]:
        """Posts created through ``POST /2/tweets``, oldest first.

        Each: ``id``, ``text``, ``author_id``, ``conversation_id``, ``created_at``,
        ``in_reply_to_tweet_id`` (None for a standalone post), ``request`` (the JSON sent).
        """
        with self._cond:
            return [dict(self.tweets[i]) for i in self._published]

    def mention_ids(self) -> list[str]:
        """Ids of every mention added, oldest first."""
        with self._cond:
            return list(self._mentions)

    # ----------------------------------------------------------------------------- server side

    def error_body(self, status: int) -> Any:
        titles = {
            400: "Invalid Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        title = titles.get(status, "Error")
        return problem(status, title, title)

    def fault_response(self, status: int, headers: dict[str, str], body: Any) -> Response:
        response = super().fault_response(status, headers, body)
        response.content_type = PROBLEM
        if status == 429 and "x-rate-limit-reset" not in {k.lower() for k in headers}:
            response.headers.update(self._limit_headers(int(time.time()) + 60, remaining=0))
        return response

    def outage_response(self) -> Response:
        return Response(503, self.error_body(503), content_type=PROBLEM)

    def _limit_headers(self, reset: int, remaining: int) -> dict[str, str]:
        return {
            "x-rate-limit-limit": "180",
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }

    def route(self, call: Call) -> Response:
        now = int(time.time())
        for limit in self._limits:
            active = limit["reset"] > now and (limit["remaining"] is None or limit["remaining"] > 0)
            if active and limit["path"] in call.path:
                if limit["remaining"] is not None:
                    limit["remaining"] -= 1
                body = problem(429, "Too Many Requests", "Too Many Requests")
                return Response(429, body, self._limit_headers(limit["reset"], 0), PROBLEM)

        if self._revoked:
            return Response(401, problem(401, "Unauthorized", "Unauthorized"), content_type=PROBLEM)
        auth = call.headers.get("authorization", "")
        is_oauth1 = auth.startswith("OAuth ") and all(
            f"{k}=" in auth for k in ("oauth_consumer_key", "oauth_token", "oauth_signature")
        )
        is_bearer = auth.startswith("Bearer ") and len(auth) > len("Bearer ")
        if not (is_oauth1 or is_bearer):
            return Response(401, problem(401, "Unauthorized", "Unauthorized"), content_type=PROBLEM)

        parts = call.path.strip("/").split("/")
        if call.method == "GET" and parts == ["2", "users", "me"]:
            response = self._me(call)
        elif (
            call.method == "GET"
            and len(parts) == 4
            and parts[:2] == ["2", "users"]
            and parts[3] == "mentions"
        ):
            user_id = parts[2]
            ours = user_id == self.user_id or user_id in self._accounts.values()
            ids = [t for t in self._mentions if ours and self._mentioned.get(t, self.user_id) == user_id]
            response = self._timeline_page(ids, call.query)
        elif (
            call.method == "GET" and len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "tweets"
        ):
            excluded = _csv(call.query.get("exclude"))
            ids = [
                t["id"]
                for t in self.tweets.values()
                if t["author_id"] == parts[2]
                and not ("replies" in excluded and t.get("in_reply_to_tweet_id"))
            ]
            response = self._timeline_page(ids, call.query)
        elif call.method == "GET" and len(parts) == 3 and parts[:2] == ["2", "tweets"]:
            response = self._lookup(parts[2], call.query)
        elif call.method == "POST" and parts == ["2", "tweets"]:
            response = self._create_tweet(call, is_oauth1)
        else:
            response = Response(404, problem(404, "Not Found", "Not Found"), content_type=PROBLEM)
        if response.status < 400:
            response.headers.update(self._limit_headers(now + 900, remaining=179))
        return response

    def _new_tweet(
        self,
        *,
        text: str,
        author_id: str,
        in_reply_to_tweet_id: str | None,
        conversation_id: str | None = None,
        created_at: datetime | None = None,
        request: JSON | None = None,
    ) -> str:
        tweet_id = str(next(self._tweet_ids))
        parent = self.tweets.get(in_reply_to_tweet_id or "")
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": author_id,
            "created_at": _iso(created_at or datetime.now(UTC)),
            "conversation_id": conversation_id
            or (parent or {}).get("conversation_id")
            or in_reply_to_tweet_id
            or tweet_id,
            "lang": "en",
            "reply_settings": "everyone",
            "in_reply_to_tweet_id": in_reply_to_tweet_id,
        }
        if in_reply_to_tweet_id:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to_tweet_id}]
            if parent:
                tweet["in_reply_to_user_id"] = parent["author_id"]
        if request is not None:
            tweet["request"] = request
        self.tweets[tweet_id] = tweet
        return tweet_id

    def _user_view(self, user_id: str, fields: set[str]) -> JSON:
        user = self.users.get(user_id) or {
            "id": user_id,
            "name": f"user {user_id}",
            "username": f"u{user_id}",
        }
        view = {"id": user["id"], "name": user["name"], "username": user["username"]}
        for key in fields & _USER_FIELDS:
            if key in user:
                view[key] = user[key]
            elif key in ("protected", "verified"):
                view[key] = False
        return view

    def _tweet_view(self, tweet: dict[str, Any], fields: set[str]) -> JSON:
        view = {
            "id": tweet["id"],
            "text": tweet["text"],
            "edit_history_tweet_ids": tweet["edit_history_tweet_ids"],
        }
        for key in sorted(fields & _TWEET_FIELDS):
            if key == "public_metrics":
                view[key] = {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}
            elif key in tweet:
                view[key] = tweet[key]
        return view

    def _lookup(self, tweet_id: str, query: dict[str, str]) -> Response:
        """GET /2/tweets/:id. A deleted or unknown post is a 200 with a resource-not-found error."""
        if not tweet_id.isdigit():
            return _invalid("id", tweet_id, f"The `id` query parameter value [{tweet_id}] is not valid")
        with self._cond:
            tweet = self.tweets.get(tweet_id)
            if tweet is not None and tweet_id not in self._deleted:
                return Response(200, {"data": self._tweet_view(tweet, _csv(query.get("tweet.fields")))})
        error = {
            "value": tweet_id,
            "detail": f"Could not find tweet with id: [{tweet_id}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "id",
            "resource_id": tweet_id,
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
        return Response(200, {"errors": [error]})

    def delete_tweet(self, tweet_id: str) -> None:
        """The author deleted the post: lookups say it is not found."""
        with self._cond:
            self._deleted.add(tweet_id)
            self._cond.notify_all()

    def _me(self, call: Call) -> Response:
        user_fields = _csv(call.query.get("user.fields"))
        return Response(200, {"data": self._user_view(self.user_id, user_fields)})

    def _timeline_page(self, ids: list[str], query: dict[str, str]) -> Response:
        """One page of a timeline (mentions or a user's posts), newest first, as X pages them."""
        raw_max = query.get("max_results", "10")
        if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
            message = f"The `max_results` query parameter value [{raw_max}] is not between 5 and 100"
            return _invalid("max_results", raw_max, message)
        for key in ("since_id", "until_id"):
            if key in query and not query[key].isdigit():
                return _invalid(
                    key, query[key], f"The `{key}` query parameter value [{query[key]}] is not valid"
                )
        token = query.get("pagination_token")
        if token is not None and not (
            token.startswith(_TOKEN_PREFIX) and token[len(_TOKEN_PREFIX) :].isalnum()
        ):
            return _invalid(
                "pagination_token", token, "The `pagination_token` query parameter value is not valid"
            )

        since = int(query.get("since_id", "0"))
        until = int(query["until_id"]) if "until_id" in query else None
        if token is not None:
            below = int(token[len(_TOKEN_PREFIX) :], 36)
            until = below if until is None else min(until, below)
        start = _parse_time(query.get("start_time"))
        end = _parse_time(query.get("end_time"))

        candidates = []
        for tweet_id in ids:
            tweet = self.tweets[tweet_id]
            n = int(tweet_id)
            if n <= since or (until is not None and n >= until):
                continue
            created = _parse_time(tweet["created_at"])
            if (start and created and created < start) or (end and created and created > end):
                continue
            candidates.append(tweet)
        candidates.sort(key=lambda t: int(t["id"]), reverse=True)
        page, rest = candidates[: int(raw_max)], candidates[int(raw_max) :]
        if not page:
            return Response(200, {"meta": {"result_count": 0}})

        tweet_fields = _csv(query.get("tweet.fields"))
        user_fields = _csv(query.get("user.fields"))
        expansions = _csv(query.get("expansions"))
        body: JSON = {"data": [self._tweet_view(t, tweet_fields) for t in page]}

        includes: JSON = {}
        user_ids: list[str] = []
        if "author_id" in expansions:
            user_ids += [t["author_id"] for t in page]
        if "in_reply_to_user_id" in expansions:
            user_ids += [t["in_reply_to_user_id"] for t in page if t.get("in_reply_to_user_id")]
        if user_ids:
            includes["users"] = [self._user_view(u, user_fields) for u in dict.fromkeys(user_ids)]
        if "referenced_tweets.id" in expansions:
            refs = [r["id"] for t in page for r in t.get("referenced_tweets", []) if r["id"] in self.tweets]
            if refs:
                includes["tweets"] = [
                    self._tweet_view(self.tweets[r], tweet_fields) for r in dict.fromkeys(refs)
                ]
        if includes:
            body["includes"] = includes

        meta: JSON = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if rest:
            meta["next_token"] = _TOKEN_PREFIX + _base36(int(page[-1]["id"]))
        body["meta"] = meta
        return Response(200, body)

    def _create_tweet(self, call: Call, is_oauth1: bool) -> Response:
        if not is_oauth1:
            detail = (
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
            )
            body = problem(
                403,
                "Unsupported Authentication",
                detail,
                "https://api.twitter.com/2/problems/unsupported-authentication",
            )
            return Response(403, body, content_type=PROBLEM)
        request = call.form
        text = request.get("text")
        if not isinstance(text, str) or not text:
            return _invalid("text", str(text), "The `text` field is required when `media` is not present")
        reply = request.get("reply") or {}
        parent_id = str(reply.get("in_reply_to_tweet_id")) if reply.get("in_reply_to_tweet_id") else None
        if parent_id in self._refused:
            return Response(403, problem(403, "Forbidden", REPLY_NOT_ALLOWED), content_type=PROBLEM)
        if self.reject_duplicates and any(self.tweets[i]["text"] == text for i in self._published):
            return Response(403, problem(403, "Forbidden", DUPLICATE), content_type=PROBLEM)
        auth = call.headers.get("authorization", "")
        oauth_token = next(
            (
                p.split("=", 1)[1].strip('"')
                for p in auth.removeprefix("OAuth ").split(", ")
                if p.startswith("oauth_token=")
            ),
            "",
        )
        author = self._accounts.get(oauth_token, self.user_id)
        tweet_id = self._new_tweet(
            text=text, author_id=author, in_reply_to_tweet_id=parent_id, request=request
        )
        self._published.append(tweet_id)
        data = {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}
        return Response(201, {"data": data})


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
