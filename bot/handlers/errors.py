"""The last resort: an exception no listener expected still gets the person an answer."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.message_builder import strings

log = logging.getLogger(__name__)


def register(app: App) -> None:
    @app.error
    def unexpected(error: Exception, body: dict[str, Any], client: WebClient) -> BoltResponse:
        ref = uuid.uuid4().hex[:8]
        log.error("slack.unexpected ref=%s type=%s", ref, body.get("type"), exc_info=error)
        _tell(body, client, strings.SOMETHING_WENT_WRONG.format(ref=ref))
        # Slack shows its own error for a non-200; ours is already on its way.
        return BoltResponse(status=200, body="")


def _tell(body: dict[str, Any], client: WebClient, text: str) -> None:
    response_url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls") or [] if isinstance(r, dict)), None
    )
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    event = body.get("event") or {}
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or event.get("channel")
    )
    user = user or event.get("user")
    try:
        if response_url:
            WebhookClient(response_url, timeout=10).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        elif channel and user:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
    except (SlackClientError, OSError):
        log.warning("slack.unexpected_not_told")
