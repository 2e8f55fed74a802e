"""`python -m bot`: read settings, build, start, serve until stopped.

Whatever stops the start (configuration, database, Slack token, Socket Mode) is reported
as one line per problem on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from typing import NoReturn

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot import logs
from bot.config import ConfigError, load_settings
from bot.health import SlackAuthFailed
from bot.runtime import build_runtime, resolve
from bot.web import create_server_for, create_web_app, stop_server

log = logging.getLogger("bot")


def _refuse(kind: str, message: str) -> NoReturn:
    print(f"social-inbox: {kind}: {message}", file=sys.stderr)
    sys.exit(2)


def _database_error(exc: SQLAlchemyError) -> str:
    # SQLAlchemy's text repeats the SQL and a help link over many lines; the driver's first line says it.
    cause = exc.orig if getattr(exc, "orig", None) is not None else exc  # type: ignore[attr-defined]
    first = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {first[0] if first else 'no detail'}"


class SocketModeFailed(Exception):
    """Socket Mode could not connect; the message is the one line the operator sees."""


def connect_socket_mode(bolt: App, *, app_token: str) -> SocketModeHandler:
    """Connect to Slack by Socket Mode (slack_sdk's builtin client), or raise SocketModeFailed."""
    handler = SocketModeHandler(bolt, app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        raise SocketModeFailed(f"{exc.response.get('error')} (check SLACK_APP_TOKEN)") from None
    except (SlackClientError, OSError) as exc:
        first = str(exc).splitlines()
        raise SocketModeFailed(f"{type(exc).__name__}: {first[0] if first else 'no detail'}") from None
    return handler


def freeze_startup_heap() -> None:
    """Keep what start-up made (modules, the app, caches) out of the garbage collector's scans.

    Those objects live as long as the process, yet every full collection walks all of them:
    measured under a webhook burst, pauses of 150-250 ms that stall every thread (a GIL-wide
    stop) and made the slowest webhook answers three times the others. Frozen, such a pause
    is 10-30 ms. Garbage made at start is collected first, so none of it is kept for good.
    """
    gc.collect()
    gc.freeze()


def main() -> None:
    try:
        settings = load_settings()
        brands = resolve(settings)  # a BrandsError is a ConfigError: one line per problem
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"social-inbox: configuration error: {problem}", file=sys.stderr)
        sys.exit(2)
    # Brand secrets join the redaction before anything logs.
    logs.configure(level=settings.log_level, secrets=[*settings.secrets(), *brands.secrets()])
    try:
        runtime = build_runtime(settings, brands=brands)
    except SQLAlchemyError as exc:
        _refuse("database error", _database_error(exc))
    try:
        runtime.health.check_slack()
    except SlackAuthFailed as exc:
        runtime.db.dispose()
        _refuse("Slack refused SLACK_BOT_TOKEN", f"{exc} (reinstall the app or set a valid bot token)")
    server = create_server_for(create_web_app(runtime), host="0.0.0.0", port=settings.port, threads=16)
    connected = runtime.platforms.names()
    platforms = ", ".join(
        f"{name}={'on' if name in connected else 'off'}" for name in ("x", "facebook", "instagram")
    )
    mode = "socket" if settings.socket_mode else "http"

    socket_handler = None
    if settings.socket_mode:
        try:
            socket_handler = connect_socket_mode(runtime.bolt, app_token=settings.slack_app_token or "")
        except SocketModeFailed as exc:
            server.close()
            runtime.db.dispose()
            _refuse("Socket Mode could not connect", str(exc))
    log.info("start mode=%s port=%s platforms: %s", mode, server.effective_port, platforms)  # type: ignore[attr-defined]

    def shutdown(signum: int, _frame: object) -> None:
        log.info("stop signal=%s", signum)
        threading.Thread(target=stop_server, args=(server,), daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runtime.start()
    freeze_startup_heap()
    try:
        server.run()
    except (OSError, ValueError):
        pass  # the listening socket closed under us on shutdown
    finally:
        server.task_dispatcher.shutdown(timeout=5)  # let requests already being handled finish
        if socket_handler is not None:
            socket_handler.close()
        runtime.stop()
        log.info("stopped")
