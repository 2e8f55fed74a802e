"""Loopback HTTP server that the platform fakes build on.

Each fake is a real HTTP server on 127.0.0.1 so the real client libraries (slack_sdk, tweepy,
facebook-sdk) run their own request, retry and error-parsing code against it. The base class
records every request, lets a test inject faults (canned errors, outages, slow responses) and
lets a test wait for a condition instead of sleeping.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

T = TypeVar("T")

JSON = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request as the fake received it.

    Header names are lower-cased. ``form`` is the parsed body: a JSON object, or form fields
    (form-urlencoded or multipart) as strings, a list of strings for repeated fields. JSON
    strings inside form fields (Slack's ``blocks``) are left as strings.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, Any]
    at: float = field(default_factory=time.time)

    @property
    def params(self) -> dict[str, Any]:
        """Query and body fields merged, body winning, as most platforms read them."""
        return {**self.query, **self.form}

    def json(self) -> Any:
        """The body decoded as JSON (raises if it is not JSON)."""
        return json.loads(self.body or b"null")


@dataclass
class Response:
    """What a fake answers: a status, a JSON (or raw) body and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


@dataclass
class _Fault:
    path_contains: str
    status: int
    remaining: int
    headers: dict[str, str]
    body: Any


@dataclass
class Stall:
    """Requests held by :meth:`FakeServer.stall`; ``arrived`` is set when one is being held."""

    path_contains: str
    method: str | None
    applied: bool
    remaining: int
    body_contains: bytes = b""
    hang_up_after: float = 60
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let held requests end: their connections close without an answer."""
        self.released.set()

    def matches(self, call: Call) -> bool:
        return (
            self.remaining > 0
            and self.path_contains in call.path
            and (self.method is None or self.method == call.method.upper())
            and self.body_contains in call.body
        )


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a request body into a dict the way the platforms read it."""
    if not body:
        return {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json" or (not ctype and body.lstrip()[:1] == b"{"):
        try:
            decoded = json.loads(body)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {"_json": decoded}
    if ctype == "multipart/form-data":
        return _parse_multipart(content_type, body)
    text = body.decode("utf-8", errors="replace")
    return _flatten(parse_qs(text, keep_blank_values=True))


def _flatten(fields: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw or "")
        value = "<file>" if part.get_filename() else text
        fields.setdefault(str(name), []).append(value)
    return _flatten(fields)


class FakeServer:
    """A threaded loopback HTTP server that records requests and injects faults.

    Subclasses implement :meth:`route`, which runs under the server's lock so fake state stays
    consistent, and may override :meth:`outage_response` and :meth:`error_body` so injected
    errors look like the real platform's.
    """

    name = "fake"

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._delays: list[tuple[str, float]] = []
        self._stalls: list[Stall] = []
        self._down = False
        self._generation = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # ----------------------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1 and serve from a daemon thread; returns self for chaining.

        Starting again after :meth:`stop` rebinds the same port (data and recordings are kept),
        which lets a test take a platform away and bring it back.
        """
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self._port), _make_handler(self))
        self._port = int(server.server_address[1])  # a restart after stop() keeps the same URL
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections so clients see the server gone."""
        server, self._server = self._server, None
        if server is None:
            return
        with self._cond:
            for stall in self._stalls:
                stall.release()
        server.shutdown()
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port; still known after :meth:`stop`, so a test can see connections refused."""
        if not self._port:
            raise RuntimeError(f"{self.name} was never started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    # ----------------------------------------------------------------------------- recording

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every request received so far, oldest first."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, path_contains: str, method: str | None = None) -> list[Call]:
        """Requests whose path contains ``path_contains`` (and, if given, with that HTTP method)."""
        return [
            c
            for c in self.calls
            if path_contains in c.path and (method is None or c.method.upper() == method.upper())
        ]

    # Generous: the suite runs on two workers of a 2-core machine beside PostgreSQL; a condition that
    # holds returns at once, so this only bounds how long a failing test waits.
    WAIT_TIMEOUT = 10.0

    def wait_for(self, predicate: Callable[[], T], timeout: float | None = None, message: str = "") -> T:
        """Block until ``predicate()`` is truthy and return its value.

        Re-evaluated on every request and state change (and every 0.1 s, for app-side state), so
        tests await outcomes rather than sleep. The predicate runs without the fake's lock held.
        Raises AssertionError listing the recent requests when the timeout passes.
        """
        timeout = self.WAIT_TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                seen = self._generation
            result = predicate()  # outside the lock: it may read app state guarded by other locks
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with self._cond:
                if self._generation == seen:
                    self._cond.wait(min(remaining, 0.1))
        with self._cond:
            recent = "\n".join(f"  {_describe(c)}" for c in self._calls[-15:]) or "  (none)"
        what = message or getattr(predicate, "__name__", "condition")
        raise AssertionError(
            f"{self.name}: timed out after {timeout:.1f}s waiting for {what}; recent requests:\n{recent}"
        )

    def _changed(self) -> None:
        """Record that state changed and wake waiters; caller holds the lock."""
        self._generation += 1
        self._cond.notify_all()

    # ----------------------------------------------------------------------------- faults

    def fail_next(
        self,
        *,
        path_contains: str,
        status: int,
        count: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next ``count`` requests whose path contains ``path_contains`` with an error.

        With no ``body`` the subclass's platform-shaped error body for ``status`` is used.
        """
        with self._cond:
            self._faults.append(_Fault(path_contains, status, count, dict(headers or {}), body))

    def set_down(self, down: bool) -> None:
        """Simulate an outage: while down every request gets the platform's 503."""
        with self._cond:
            self._down = down
            self._changed()

    def delay(self, seconds: float, *, path_contains: str = "") -> None:
        """Make matching responses take ``seconds`` longer (0 removes the delay for that path)."""
        with self._cond:
            self._delays = [d for d in self._delays if d[0] != path_contains]
            if seconds > 0:
                self._delays.append((path_contains, seconds))

    def stall(
        self,
        *,
        path_contains: str,
        applied: bool,
        method: str | None = None,
        count: int = 1,
        body_contains: str = "",
        hang_up_after: float = 60,
    ) -> Stall:
        """Hold the next ``count`` matching requests and never answer them, like a platform that hangs.

        With ``applied`` the request takes effect as it arrives (the platform did the work and its
        answer was lost); without, it never takes effect. ``body_contains`` tells requests to one
        path apart. The client sees a read timeout, or a
        closed connection once :meth:`Stall.release`, :meth:`stop` or ``hang_up_after`` seconds
        end the hold (0: a connection reset right after the request arrived).
        """
        with self._cond:
            held = Stall(
                path_contains,
                method.upper() if method else None,
                applied,
                count,
                body_contains.encode(),
                hang_up_after,
            )
            self._stalls.append(held)
            return held

    def reset(self) -> None:
        """Forget recorded requests and clear faults, delays and the outage flag (not fake data)."""
        with self._cond:
            self._calls.clear()
            self._faults.clear()
            self._delays.clear()
            self._down = False
            self._changed()

    # ----------------------------------------------------------------------------- for subclasses

    def route(self, call: Call) -> Response:
        """Answer one request; runs with the fake's lock held."""
        return Response(404, self.error_body(404))

    def outage_response(self) -> Response:
        """What every request gets while :meth:`set_down` is on."""
        return Response(503, self.error_body(503))

    def error_body(self, status: int) -> Any:
        """The platform's error body for an injected ``status`` when the test gave none."""
        return {"error": f"HTTP {status}"}

    def fault_response(self, status: int, headers: dict[str, str], body: Any) -> Response:
        """Build the response for a :meth:`fail_next` fault."""
        return Response(status, self.error_body(status) if body is None else body, dict(headers))

    # ----------------------------------------------------------------------------- internals

    def _hold(self, call: Call) -> bool:
        """Apply a stall to ``call`` if one matches; True when the request got no answer."""
        with self._cond:
            held = next((s for s in self._stalls if s.matches(call)), None)
            if held is None:
                return False
            held.remaining -= 1
            if held.applied:
                self.route(call)
            self._changed()
        held.arrived.set()
        held.released.wait(held.hang_up_after)
        return True

    def _handle(self, call: Call) -> Response | None:
        with self._cond:
            self._calls.append(call)
            self._changed()
        if self._hold(call):
            return None
        with self._cond:
            pause = sum(s for p, s in self._delays if p in call.path)
        if pause:
            time.sleep(pause)
        with self._cond:
            try:
                if self._down:
                    return self.outage_response()
                for fault in self._faults:
                    if fault.remaining > 0 and fault.path_contains in call.path:
                        fault.remaining -= 1
                        return self.fault_response(fault.status, fault.headers, fault.body)
                return self.route(call)
            finally:
                self._faults = [f for f in self._faults if f.remaining > 0]
                self._changed()

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._cond:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


@contextlib.contextmanager
def forbid_network() -> Iterator[None]:
    """Refuse any socket connection outside the loopback range while active.

    Tests run with no network; this turns an accidental call to a real platform into an
    immediate, explicit error instead of a hang or a DNS failure.
    """
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise ConnectionRefusedError(f"test network guard: connection to {host!r} is not loopback")
        original(sock, address)

    socket.socket.connect = guarded  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


def _describe(call: Call) -> str:
    form = json.dumps(call.form, default=str)
    if len(form) > 160:
        form = form[:157] + "..."
    query = f"?{call.query}" if call.query else ""
    return f"{call.method} {call.path}{query} {form}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


def _make_handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms.
        disable_nagle_algorithm = True
        server_version = f"{fake.name}/1.0"
        timeout = 30

        def setup(self) -> None:
            super().setup()
            fake._track(self.connection, True)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                fake._track(self.connection, False)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``fake.calls`` instead of a log."""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            call = Call(
                method=self.command,
                path=parts.path,
                query=query,
                headers=headers,
                body=body,
                form=parse_body(headers.get("content-type", ""), body),
            )
            try:
                response = fake._handle(call)
            except Exception as exc:  # a bug in a fake must surface, not hang the client
                response = Response(500, {"fake_error": repr(exc)})
            if response is None:  # a stalled request: hang up without an answer
                self.close_connection = True
                return
            payload = response.encode()
            self.send_response(response.status)
            if response.body is not None:
                self.send_header("Content-Type", response.content_type)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    return Handler
