"""Event listeners: channel and DM messages, App Home."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any]) -> None:
        # Thread replies become drafts or owner answers (see the replies and owner services).
        return None

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        return None
