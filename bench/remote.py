"""A fake platform in a process of its own, for the parts that time the bot's sends.

In the bot's process a loopback fake spends that process's CPU (and its GIL) on answering what
the bot sends, which no real platform does. ``RemoteGraph`` runs ``FakeGraph`` in a child process
(a ``multiprocessing`` manager) and offers what the bench uses of it: its URL, seeding comments, and
when each reply reached it.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.managers import BaseManager
from typing import Any, Self

from bench.instruments import tune_fake
from tests.fakes.graph_api import FakeGraph


def reply_posts(graph: FakeGraph) -> list[tuple[str, float]]:
    """(replied-to comment id, time.time() the fake received it) for each POST /{id}/comments."""
    return [
        (c.path.rstrip("/").split("/")[-2], c.at)
        for c in graph.calls_to("/comments", method="POST")
        if c.path.count("/") >= 2
    ]


class _ServedGraph:
    """Lives in the child: a started, tuned FakeGraph."""

    def __init__(self) -> None:
        self._graph = FakeGraph().start()
        tune_fake(self._graph, nodelay=True)

    def url(self) -> str:
        return self._graph.url

    def add_fb_comment(self, **fields: Any) -> None:
        self._graph.add_fb_comment(**fields)

    def reply_posts(self) -> list[tuple[str, float]]:
        return reply_posts(self._graph)

    def stop(self) -> None:
        self._graph.stop()


class _Manager(BaseManager):
    pass


_Manager.register("Graph", _ServedGraph)


class RemoteGraph:
    """The Graph fake in its own process; ``url`` is what settings need (``settings_for(graph=…)``)."""

    def __init__(self) -> None:
        # spawn: a fork of the bench (threads, open sockets) is not a clean start for a server.
        self._manager = _Manager(ctx=multiprocessing.get_context("spawn"))
        self._graph: Any = None
        self.url = ""

    def __enter__(self) -> Self:
        self._manager.start()
        self._graph = self._manager.Graph()  # type: ignore[attr-defined]
        self.url = self._graph.url()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._graph.stop()
        finally:
            self._manager.shutdown()

    def add_fb_comment(self, **fields: Any) -> None:
        self._graph.add_fb_comment(**fields)

    def reply_posts(self) -> list[tuple[str, float]]:
        return list(self._graph.reply_posts())
