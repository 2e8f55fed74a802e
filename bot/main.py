"""`python -m bot`: read settings, build, start, serve until stopped."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from waitress.server import create_server

from bot import logs
from bot.config import ConfigError, load_settings
from bot.runtime import build_runtime
from bot.web import create_web_app

log = logging.getLogger("bot")


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"social-inbox: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    logs.configure(level=settings.log_level, secrets=settings.secrets())
    runtime = build_runtime(settings)
    server = create_server(create_web_app(runtime), host="0.0.0.0", port=settings.port, threads=16)
    platforms = ", ".join(
        f"{name}={'on' if name in runtime.platforms else 'off'}" for name in ("x", "facebook", "instagram")
    )
    mode = "socket" if settings.socket_mode else "http"
    log.info("start mode=%s port=%s platforms: %s", mode, server.effective_port, platforms)  # type: ignore[union-attr]

    socket_handler = None
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_handler = SocketModeHandler(runtime.bolt, settings.slack_app_token)
        socket_handler.connect()

    def shutdown(signum: int, _frame: object) -> None:
        log.info("stop signal=%s", signum)
        threading.Thread(target=server.close, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runtime.start()
    try:
        server.run()
    except (OSError, ValueError):
        pass  # the listening socket closed under us on shutdown
    finally:
        if socket_handler is not None:
            socket_handler.close()
        runtime.stop()
        log.info("stopped")
