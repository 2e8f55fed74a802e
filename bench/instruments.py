"""Timing probes: a Slack fake that notes when each item's message arrives, and call stopwatches.

The stopwatches wrap a few public seams of a running bot (the WSGI app, the ingestor, the Slack and
Graph clients, the Slack relay's drain and its ``post_item`` runner) to show where the time goes. They add
a few clock reads per wrapped call and change no behaviour. Each probe records the wall time and,
under ``<name>:cpu``, the calling thread's CPU time: wall minus CPU is time spent waiting (for a lock,
the GIL, a socket).
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

from bot.relay.kinds import TaskKind
from bot.runtime import Runtime
from tests.fakes.base import Call, FakeServer, Response
from tests.fakes.slack_api import FakeSlack

P = ParamSpec("P")
R = TypeVar("R")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TimedSlack(FakeSlack):
    """FakeSlack that records ``time.perf_counter()`` when each item's ``chat.postMessage`` arrives."""

    def __init__(self) -> None:
        super().__init__()
        self._item_posts: dict[int, float] = {}
        self.rate_limited = 0

    def route(self, call: Call) -> Response:
        now = time.perf_counter()  # runs under the fake's lock, as soon as the request is parsed
        response = super().route(call)
        if response.status == 429:
            self.rate_limited += 1
        elif (
            call.path == "/api/chat.postMessage"
            and isinstance(response.body, dict)
            and response.body.get("ok")
        ):
            item_id = _item_id(call.form)
            if item_id is not None:
                self._item_posts.setdefault(item_id, now)
        return response

    def item_posts(self) -> dict[int, float]:
        """Item id -> perf_counter of its first accepted top-level post."""
        with self._cond:
            return dict(self._item_posts)

    def clear_item_posts(self) -> None:
        with self._cond:
            self._item_posts.clear()


def tune_fake(fake: FakeServer, *, nodelay: bool, latency_ms: float = 0) -> None:
    """Call right after ``fake.start()``: TCP_NODELAY on its sockets, and an optional answer delay.

    The fakes' ``http.server`` writes the headers and the body of an answer in two sends. On a
    keep-alive connection (the Graph client keeps one) Nagle's algorithm then holds the body until
    the client's delayed ACK, about 40 ms on Linux, once the connection has left quick-ACK mode.
    Real API front ends set TCP_NODELAY; so does the bench unless asked not to, so that the figures
    are the bot's. ``latency_ms`` (``FakeServer.delay``) models a far-away API instead.
    """
    server = fake._server
    assert server is not None, "start the fake first"
    server.RequestHandlerClass.disable_nagle_algorithm = nodelay  # type: ignore[attr-defined]
    if latency_ms > 0:
        fake.delay(latency_ms / 1000)


def _item_id(form: dict[str, Any]) -> int | None:
    metadata = form.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    if not isinstance(metadata, dict) or metadata.get("event_type") != "social_inbox_item":
        return None
    payload = metadata.get("event_payload")
    item_id = payload.get("item_id") if isinstance(payload, dict) else None
    return item_id if isinstance(item_id, int) else None


class Stopwatch:
    """Thread-safe named duration samples (seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: defaultdict[str, list[float]] = defaultdict(list)
        self._counts: defaultdict[str, int] = defaultdict(int)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self._samples[name].append(seconds)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def samples(self, name: str) -> list[float]:
        with self._lock:
            return list(self._samples.get(name, []))

    def counter(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    def reset(self) -> None:
        with self._lock:
            self._samples.clear()
            self._counts.clear()

    @contextlib.contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Record the block's wall time as ``name`` and this thread's CPU time as ``name:cpu``."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            cpu_spent, wall_spent = time.thread_time() - cpu, time.perf_counter() - wall
            with self._lock:
                self._samples[name].append(wall_spent)
                self._samples[f"{name}:cpu"].append(cpu_spent)

    def wrap(self, name: str, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.measure(name):
                return fn(*args, **kwargs)

        return timed


def _time(watch: Stopwatch, obj: object, attribute: str, key: str) -> None:
    """Shadow the method ``obj.attribute`` with a timed wrapper, on this instance only."""
    setattr(obj, attribute, watch.wrap(key, getattr(obj, attribute)))


def instrument(runtime: Runtime, web: Any, watch: Stopwatch) -> None:
    """Attach the stopwatches to a built (not yet started) runtime and its Flask app."""
    inner: WSGIApp = web.wsgi_app

    def timed_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/webhooks/meta":
            return inner(environ, start_response)
        with watch.measure("web.meta_webhook"):
            return inner(environ, start_response)

    web.wsgi_app = timed_wsgi
    _time(watch, runtime.ingestor, "ingest", "ingest")
    _time(watch, runtime.relay_client, "chat_postMessage", "slack.chat_postMessage")
    for connected in runtime.platforms:
        _time(watch, connected.platform, "permalink", f"graph.permalink.{connected.account.platform}")

    relay = runtime.relay
    drain = relay.drain

    def timed_drain() -> int:
        wall, cpu = time.perf_counter(), time.thread_time()
        completed = drain()
        if completed:
            watch.add("relay.drain_busy", time.perf_counter() - wall)
            watch.add("relay.drain_busy:cpu", time.thread_time() - cpu)
            watch.count("relay.completed", completed)
        return completed

    relay.drain = timed_drain  # type: ignore[method-assign]

    relay.register(TaskKind.POST_ITEM, watch.wrap("relay.post_item", relay.runner(TaskKind.POST_ITEM)))
