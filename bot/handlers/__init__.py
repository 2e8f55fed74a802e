"""Slack listeners, one module per kind, each with `register(app, runtime)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.handlers import events

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    events.register(app, runtime)
