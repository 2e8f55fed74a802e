"""Slack listeners, one module per kind, each with `register(app, services=...)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.handlers import actions, commands, events, views

if TYPE_CHECKING:
    from bot.handlers.services import Services


def register(app: App, *, services: Services) -> None:
    commands.register(app, services=services)
    actions.register(app, services=services)
    views.register(app, services=services)
    events.register(app, services=services)
