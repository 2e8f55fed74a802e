"""Slack listeners, one module per kind, each with `register(app, runtime)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.handlers import actions, commands, events, views

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    commands.register(app, runtime)
    actions.register(app, runtime)
    views.register(app, runtime)
    events.register(app, runtime)
