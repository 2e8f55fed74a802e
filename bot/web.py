"""The one HTTP server: Slack's Request URL, Meta's webhooks and a health check."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.platforms.base import ItemChange
from bot.platforms.meta_webhooks import MalformedWebhook, parse, signature_valid

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def create_web_app(runtime: Runtime) -> Flask:
    settings = runtime.settings
    web = Flask("social_inbox")
    slack_handler = SlackRequestHandler(runtime.bolt)

    if not settings.socket_mode:

        @web.post("/slack/events")
        def slack_events() -> Response:
            return slack_handler.handle(request)

    @web.get("/healthz")
    def healthz() -> tuple[dict[str, object], int]:
        ok = runtime.db.ping()
        return {"ok": ok, "platforms": sorted(runtime.platforms)}, 200 if ok else 503

    @web.get("/webhooks/meta")
    def meta_verify() -> tuple[str, int]:
        token = settings.meta_verify_token
        if (
            token
            and request.args.get("hub.mode") == "subscribe"
            and request.args.get("hub.verify_token") == token
        ):
            return request.args.get("hub.challenge", ""), 200
        log.warning("meta.verify_refused")
        return "forbidden", 403

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
            changes = parse(
                payload,
                page_id=settings.facebook_page_id if "facebook" in runtime.platforms else None,
                instagram_account_id=settings.instagram_account_id
                if "instagram" in runtime.platforms
                else None,
            )
        except (ValueError, MalformedWebhook) as exc:
            log.warning("meta.malformed error=%s", exc)
            return "malformed body", 400
        for change in changes:
            if isinstance(change, ItemChange):
                runtime.ingestor.apply_change(change)
            else:
                runtime.ingestor.ingest(change)
        return "EVENT_RECEIVED", 200

    return web
