"""The Graph API client: the one module that imports facebook-sdk.

facebook-sdk (last released 2018) validates versions against a list that stops at
3.1 and hard-codes graph.facebook.com. We construct it without a version and then set
the attribute it puts in every path, and give it a session that points at
META_GRAPH_URL and has a timeout. Its errors become ours here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import facebook
import requests

from bot.platforms.base import PermanentError, PlatformError, TransientError, UnknownOutcome
from bot.platforms.http import RebasedSession, request_failure

log = logging.getLogger(__name__)

_SDK_HOST = "https://graph.facebook.com/"
# Graph error codes that mean "try again later" (throttling, temporary outage).
_TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 368, 613, 80001, 80002, 80005, 80006}
# The Send API's answer to a message outside the standard messaging window (code 10).
_OUTSIDE_WINDOW_SUBCODE = 2018278
OUTSIDE_WINDOW = (
    "Meta refused the message: the 24-hour window to answer this customer has closed. "
    "Meta allows a standard reply only within 24 hours of the customer's last message; "
    "it opens again when they write again."
)


class _GraphSession(RebasedSession):
    """Turns HTTP-level trouble into our errors before the SDK misreads a non-JSON body.

    A write (POST) whose answer is lost or is a 5xx may have been applied: Graph documents
    its 5xx codes (1, 2) as "temporary issue, wait and retry", never as "nothing was done".
    """

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        verb = method.decode() if isinstance(method, bytes) else method
        write = verb.upper() not in ("GET", "HEAD", "OPTIONS")
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            raise request_failure(exc, service="the Graph API", write=write) from None
        if write and response.status_code >= 500:
            raise UnknownOutcome(f"Graph API answered HTTP {response.status_code}{_message(response)}")
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type:
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientError(f"Graph API answered HTTP {response.status_code}")
            raise PermanentError(f"Graph API answered HTTP {response.status_code} without JSON")
        return response


class GraphClient:
    def __init__(
        self,
        *,
        access_token: str,
        graph_url: str,
        version: str,
        timeout: float,
        app_token: str | None = None,
    ) -> None:
        session = _GraphSession(origin=_SDK_HOST, base=graph_url.rstrip("/") + "/", timeout=timeout)
        self._api = facebook.GraphAPI(access_token=access_token, timeout=timeout, session=session)
        self._api.version = version
        self._token = access_token
        self._app_token = app_token

    def token_expires_at(self) -> datetime | None:
        """When the token expires, from `debug_token` (None: never, not said, or not to be asked).

        Meta documents an app access token (`APP_ID|APP_SECRET`) as the caller of debug_token.
        Without one the token asks about itself, which Meta does not promise to answer: a refusal
        then means "expiry unknown", not a broken token (the caller has just proved it works).
        """
        args = {"input_token": self._token}
        if self._app_token:
            args["access_token"] = self._app_token
        try:
            found = self._call(lambda: self._api.request(f"{self._api.version}/debug_token", args))
        except PlatformError as exc:
            if self._app_token:
                raise
            log.info("graph.expiry_unknown reason=%s", exc.reason)
            return None
        data: dict[str, Any] = found["data"] if isinstance(found.get("data"), dict) else {}
        if data.get("is_valid") is False:
            error: dict[str, Any] = data["error"] if isinstance(data.get("error"), dict) else {}
            raise PermanentError(f"Graph API: {error.get('message') or 'the token is not valid'}")
        expires = data.get("expires_at")
        return datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) and expires > 0 else None

    def get(self, object_id: str, *, fields: str) -> dict[str, Any]:
        return self._call(lambda: self._api.get_object(object_id, fields=fields))

    def edge(self, object_id: str, edge: str, **params: str) -> list[dict[str, Any]]:
        """The first page of an edge (`/{id}/{edge}`), as its `data` list."""
        result = self._call(lambda: self._api.get_connections(object_id, edge, **params))
        data = result.get("data")
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    def post(self, object_id: str, edge: str, **data: str) -> dict[str, Any]:
        return self._call(lambda: self._api.put_object(object_id, edge, **data))

    def exists(self, object_id: str) -> bool | None:
        """GET /{id}: False for Graph's "does not exist" (code 100, subcode 33); None when unsure."""
        try:
            self._api.get_object(object_id, fields="id")
        except facebook.GraphAPIError as exc:
            error = exc.result.get("error", {}) if isinstance(exc.result, dict) else {}
            gone = isinstance(error, dict) and error.get("code") == 100 and error.get("error_subcode") == 33
            return False if gone else None
        except requests.RequestException:
            return None
        return True

    @staticmethod
    def _call(fn: Any) -> dict[str, Any]:
        try:
            result = fn()
        except facebook.GraphAPIError as exc:
            error = exc.result.get("error", {}) if isinstance(exc.result, dict) else {}
            code = error.get("code") if isinstance(error, dict) else None
            message = str(exc.message)
            if isinstance(error, dict) and error.get("error_subcode") == _OUTSIDE_WINDOW_SUBCODE:
                raise PermanentError(OUTSIDE_WINDOW) from None
            if (isinstance(error, dict) and error.get("is_transient")) or code in _TRANSIENT_CODES:
                raise TransientError(f"Graph API: {message}") from None
            raise PermanentError(f"Graph API: {message}") from None
        if not isinstance(result, dict):
            raise PermanentError("Graph API answered with something other than an object")
        return result


def _message(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return ""
    message = error.get("message") if isinstance(error, dict) else None
    return f": {message}" if isinstance(message, str) and message else ""


def made_since(stamp: object, since: datetime) -> bool:
    # Graph writes times as 2024-05-01T10:00:00+0000; one we cannot read does not rule a reply out.
    if not isinstance(stamp, str):
        return True
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z") >= since
    except ValueError:
        return True
