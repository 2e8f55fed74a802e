"""Event listeners: a team member's message in an item's thread becomes a draft."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.message_builder.home import home_view
from bot.services.errors import UserError
from bot.slack_text import plain

if TYPE_CHECKING:
    from bot.handlers.services import Services

log = logging.getLogger(__name__)


def register(app: App, *, services: Services) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient) -> None:
        # Edits, joins, bot posts (our own notes included) are not drafts; a thread reply
        # also sent to the channel ("Also send to channel") is an ordinary reply.
        if (
            event.get("subtype") not in (None, "thread_broadcast")
            or event.get("bot_id")
            or not event.get("user")
        ):
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return
        channel = event["channel"]
        if event.get("channel_type") == "im":
            try:
                services.owner.answer_from_dm(
                    channel=channel,
                    thread_ts=thread_ts,
                    user=event["user"],
                    text=plain(event.get("text", "")),
                )
            except UserError as exc:
                client.chat_postEphemeral(
                    channel=channel, user=event["user"], thread_ts=thread_ts, text=exc.message
                )
            return
        item_id = services.items.item_in_thread(channel=channel, thread_ts=thread_ts)
        if item_id is None:
            return
        try:
            services.replies.draft(
                item_id=item_id,
                # Mentions in thread replies come as <@W111>: the draft names the person.
                text=plain(event.get("text", ""), names=services.zones.name),
                author=event["user"],
                # Slack retries an event it thinks we missed: one message makes one draft.
                source=f"message:{channel}:{event.get('ts')}",
            )
        except UserError as exc:
            client.chat_postEphemeral(
                channel=channel, user=event["user"], thread_ts=thread_ts, text=exc.message
            )

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "home" and event.get("user"):
            publish_home(services, client, user=event["user"])


def publish_home(services: Services, client: WebClient, *, user: str, notice: str | None = None) -> None:
    """Show `user` their Home tab as the database has it now."""
    client.views_publish(user_id=user, view=home_view(services.home.page(user=user, notice=notice)))
    log.info("home.published user=%s", user)
