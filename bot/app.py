"""The Bolt app: every Slack listener registers here, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import handlers

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_app(runtime: Runtime) -> None:
    handlers.register(runtime.bolt, runtime)
