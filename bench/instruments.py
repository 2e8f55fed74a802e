"""Timing probes: a Slack fake that notes when each item's message arrives, and call stopwatches.

The stopwatches wrap a few public seams of a running bot (the WSGI app, the ingestor, the Slack and
Graph clients, the relay's drain and its ``post_item`` runner) to show where the time goes. They add
two ``perf_counter`` calls per wrapped call and change no behaviour.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from bot.runtime import Runtime
from bot.services.relay import Relay, _post_item
from bot.storage.models import SlackTask
from tests.fakes.base import Call, Response
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

    def wrap(self, name: str, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)

        return timed


def _replace(obj: object, attribute: str, make: Callable[[Any], Any]) -> None:
    """Shadow ``obj.attribute`` with ``make(original)`` on this instance only."""
    setattr(obj, attribute, make(getattr(obj, attribute)))


def instrument(runtime: Runtime, web: Any, watch: Stopwatch) -> None:
    """Attach the stopwatches to a built (not yet started) runtime and its Flask app."""
    inner: WSGIApp = web.wsgi_app

    def timed_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start = time.perf_counter()
        try:
            return inner(environ, start_response)
        finally:
            if environ.get("PATH_INFO") == "/webhooks/meta":
                watch.add("web.meta_webhook", time.perf_counter() - start)

    web.wsgi_app = timed_wsgi
    _replace(runtime.ingestor, "ingest", lambda fn: watch.wrap("ingest", fn))
    _replace(runtime.client, "chat_postMessage", lambda fn: watch.wrap("slack.chat_postMessage", fn))
    for name, platform in runtime.platforms.items():
        _replace(platform, "permalink", lambda fn, name=name: watch.wrap(f"graph.permalink.{name}", fn))
    _replace(runtime.relay, "item_view", lambda fn: watch.wrap("relay.item_view", fn))

    relay = runtime.relay
    drain = relay.drain

    def timed_drain() -> int:
        start = time.perf_counter()
        completed = drain()
        if completed:
            watch.add("relay.drain_busy", time.perf_counter() - start)
            watch.count("relay.completed", completed)
        return completed

    relay.drain = timed_drain  # type: ignore[method-assign]

    def timed_post_item(relay_: Relay, task: SlackTask) -> None:
        start = time.perf_counter()
        try:
            _post_item(relay_, task)
        finally:
            watch.add("relay.post_item", time.perf_counter() - start)

    relay.register("post_item", timed_post_item)
