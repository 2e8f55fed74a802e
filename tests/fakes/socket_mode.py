"""Slack's Socket Mode WebSocket, on loopback (test-only; uses the `websockets` package).

Written from Slack's documentation ("Using Socket Mode"): after `apps.connections.open`
the app connects to the returned URL and receives `{"type": "hello", ...}`; each event,
slash command or interaction then arrives as an envelope

    {"envelope_id": "…", "type": "events_api" | "slash_commands" | "interactive",
     "payload": {…}, "accepts_response_payload": bool, "retry_attempt": 0, "retry_reason": ""}

which the app acknowledges by sending `{"envelope_id": "…"}` (optionally with a
`payload`) back over the socket. Slack retries an envelope that is not acknowledged.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class FakeSocketMode:
    def __init__(self, *, app_id: str = "A0FAKEAPP") -> None:
        self.app_id = app_id
        self._cond = threading.Condition()
        self._connections: list[ServerConnection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.received: list[Any] = []
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # -- what Slack does -------------------------------------------------------------------

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()
        try:
            for message in connection:
                try:
                    parsed = json.loads(message)
                except ValueError:
                    parsed = message
                with self._cond:
                    self.received.append(parsed)
                    if isinstance(parsed, dict) and "envelope_id" in parsed:
                        self.acks[str(parsed["envelope_id"])] = parsed
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                self._connections.remove(connection)

    def wait_connected(self, timeout: float = 10) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._connections, timeout=timeout):
                raise AssertionError("the app did not connect to the Socket Mode URL")

    def push(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False) -> str:
        """Send one envelope to the connected app; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self.wait_connected()
        with self._cond:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"envelope {envelope_id} was not acknowledged")
                self._cond.wait(left)
            return self.acks[envelope_id]
