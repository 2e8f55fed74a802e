"""The one HTTP server: Slack's Request URL, Meta's webhooks and a health check.

Every request is checked here before anything reads it in full or hands it on: bodies over
`MAX_BODY_BYTES` are refused with 413, Slack's signature is verified by us before Bolt sees
the request (so a forged request never reaches Bolt, which would log its whole body), and
a malformed header is a 4xx, never a 500. Request bodies are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from flask import Flask, Response, request
from slack_bolt.adapter.flask import SlackRequestHandler
from sqlalchemy.exc import OperationalError
from waitress.server import BaseWSGIServer, create_server
from werkzeug.exceptions import HTTPException

from bot.platforms.messenger import parse_messaging
from bot.platforms.meta_webhooks import MalformedWebhook, parse, signature_valid
from bot.storage.db import StoreGone

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Slack and Meta send well under this; anything larger is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024
# Slack's documented replay window for X-Slack-Request-Timestamp.
_SLACK_MAX_AGE_SECONDS = 5 * 60


def create_server_for(web: Flask, *, host: str, port: int, threads: int) -> BaseWSGIServer:
    """waitress with the body limit: it answers 413 itself for a larger Content-Length or chunked body."""
    server = create_server(
        web,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_BODY_BYTES,
        # waitress would otherwise print "Serving on …" and its own tracebacks; we log ours.
        expose_tracebacks=False,
    )
    assert isinstance(server, BaseWSGIServer), "one listening socket expected"
    return server


def stop_server(server: BaseWSGIServer, *, grace_seconds: float = 5.0) -> None:
    """Stop accepting, let in-flight requests finish, then close every connection.

    `server.close()` alone leaves idle keep-alive connections open, and waitress serves
    them until they time out (120 s), so the process would not exit on SIGTERM.
    """
    from waitress import wasyncore

    wasyncore.dispatcher.close(server)  # the listener; the trigger stays to wake the loop
    deadline = time.monotonic() + grace_seconds
    while True:
        # waitress's stubs misdescribe these attributes; at run time it is a dict of channels.
        channels: list[Any] = list(cast(dict[int, Any], server.active_channels).values())
        busy = [channel for channel in channels if channel.requests]
        for channel in channels:
            if not channel.requests or time.monotonic() >= deadline:
                channel.will_close = True
        server.pull_trigger()
        if not busy or time.monotonic() >= deadline:
            break
        time.sleep(0.05)  # waiting on another thread's request; waitress offers no event for it
    # Once the idle channels are closed the trigger is all that keeps waitress's loop running.
    while server.active_channels and time.monotonic() < deadline + 1:
        server.pull_trigger()
        time.sleep(0.02)
    cast(Any, server.trigger).close()


def slack_signature_valid(*, body: bytes, timestamp: str | None, signature: str | None, secret: str) -> bool:
    """Slack's v0 signature over `v0:timestamp:body`, refusing stale or malformed headers."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if not signature.isascii() or abs(time.time() - int(timestamp)) > _SLACK_MAX_AGE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


def _slack_body_readable(body: bytes, content_type: str) -> bool:
    """Whether Bolt can parse the body: a JSON object, or a form whose `payload` is one."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        payload = parse_qs(text, keep_blank_values=True).get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except (ValueError, RecursionError):
        return False


def create_web_app(runtime: Runtime) -> Flask:
    settings = runtime.settings
    web = Flask("social_inbox")
    # A second guard behind waitress's: Flask refuses to read more than this.
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    slack_handler = SlackRequestHandler(runtime.bolt)

    @web.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        return exc.description or exc.name, exc.code or 500

    @web.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        log.error("web.error path=%s", request.path, exc_info=exc)
        return "internal error", 500

    @web.before_request
    def refuse_large_bodies() -> tuple[str, int] | None:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return "request body too large", 413
        return None

    if not settings.socket_mode:

        @web.post("/slack/events")
        def slack_events() -> Response | tuple[str, int]:
            body = request.get_data(cache=True)
            if not slack_signature_valid(
                body=body,
                timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                signature=request.headers.get("X-Slack-Signature"),
                secret=settings.slack_signing_secret or "",
            ):
                log.warning("slack.bad_signature")
                return "invalid request", 401
            if not _slack_body_readable(body, request.content_type or ""):
                log.warning("slack.malformed")
                return "malformed body", 400
            return slack_handler.handle(request)

    @web.get("/healthz")
    def healthz() -> tuple[dict[str, Any], int]:
        ok, checks = runtime.health.snapshot(database_ok=runtime.db.ping())
        return {"ok": ok, "checks": checks}, 200 if ok else 503

    @web.get("/webhooks/meta")
    def meta_verify() -> Response:
        token = settings.meta_verify_token
        if (
            token
            and request.args.get("hub.mode") == "subscribe"
            and hmac.compare_digest(
                request.args.get("hub.verify_token", "").encode("utf-8", "replace"), token.encode()
            )
        ):
            # Echoed as plain text: as HTML a crafted challenge would be a reflected script.
            return Response(request.args.get("hub.challenge", ""), 200, mimetype="text/plain")
        log.warning("meta.verify_refused")
        return Response("forbidden", 403, mimetype="text/plain")

    @web.post("/webhooks/meta")
    def meta_webhook() -> tuple[str, int]:
        secret = settings.meta_app_secret
        if not secret:
            return "meta webhooks are not configured", 404
        body = request.get_data(cache=False)
        header = request.headers.get("X-Hub-Signature-256")
        if not header:
            log.warning("meta.unsigned")
            return "missing signature", 401
        if not signature_valid(body=body, header=header, app_secret=secret):
            log.warning("meta.bad_signature")
            return "bad signature", 403
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("meta.not_json")
            return "malformed body", 400
        except RecursionError:
            # Valid JSON nested deeper than we can read: nothing in it can be stored, and
            # refusing would make Meta redeliver it forever.
            log.warning("meta.skipped reason=too_deep")
            return "EVENT_RECEIVED", 200
        try:
            changes = parse(
                payload,
                page_ids=runtime.meta_ids["facebook"],
                instagram_account_ids=runtime.meta_ids["instagram"],
            )
            changes += parse_messaging(
                payload,
                page_ids=runtime.meta_ids["messenger"],
                instagram_account_ids=runtime.meta_ids["instagram_dm"],
            )
        except MalformedWebhook as exc:
            log.warning("meta.skipped reason=%s", exc)
            return "EVENT_RECEIVED", 200
        try:
            # Stored (group-committed with other deliveries) before the 200; triage and the Slack
            # tasks follow off the request path.
            runtime.inbox.accept(changes)
        except StoreGone:
            # Acknowledging now would lose the delivery; Meta redelivers what we refuse.
            log.error("meta.store_failed reason=sqlite_file_gone")
            return "database unavailable", 503
        except (OperationalError, TimeoutError):
            log.exception("meta.store_failed")
            return "database unavailable", 503
        return "EVENT_RECEIVED", 200

    return web
