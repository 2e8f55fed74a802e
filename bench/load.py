"""The bot under test, the webhooks it is sent, and waiting for their Slack messages."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from urllib.parse import urlencode

from sqlmodel import col, select

from bench.clients import Delivery
from bench.instruments import Stopwatch, TimedSlack, instrument
from bot.config import Settings
from bot.main import freeze_startup_heap
from bot.storage.models import Item
from tests.fakes import meta_webhooks
from tests.fakes.graph_api import FakeGraph
from tests.harness import APP_SECRET, PAGE_ID, VERIFY_TOKEN, Served

# The parts from before busy days measure the bot with a Slack that takes every post at once.
SLACK_NOT_LIMITING = {"slack_posts_per_second": 100_000.0, "slack_burst": 100_000}


class BenchBot(Served):
    """The served bot with ``threads`` waitress workers, instrumented."""

    def __init__(self, settings: Settings, *, threads: int, watch: Stopwatch) -> None:
        super().__init__(settings, threads=threads, wrap=lambda runtime, web: instrument(runtime, web, watch))

    def start(self) -> None:
        super().start()
        # Runtime.start() may warm caches in the background (dateparser's tables): let that finish
        # so it does not compete with the measurements.
        for thread in threading.enumerate():
            if thread.name == "warm-up":
                thread.join(timeout=10)
        freeze_startup_heap()  # as `python -m bot` does once it has started

    def item_ids(self, external_ids: list[str]) -> dict[str, int]:
        """Comment id -> item id (the ``#N`` in Slack) for the stored ones."""
        if not external_ids:
            return {}
        with self.runtime.db.session() as session:
            rows = session.exec(
                select(Item.external_id, Item.id).where(
                    Item.platform == "facebook", col(Item.external_id).in_(external_ids)
                )
            ).all()
        return {external_id: item_id for external_id, item_id in rows if item_id is not None}


def make_deliveries(
    graph: FakeGraph, *, post: int, count: int, pages: Sequence[str] = (PAGE_ID,)
) -> list[Delivery]:
    """Distinct signed top-level comments on post ``post``, spread over ``pages`` in turn.

    The Graph fake knows each comment.
    """
    deliveries = []
    for n in range(1, count + 1):
        page = pages[n % len(pages)]
        post_id = f"{page}_{post}"
        comment_id = f"{post}_{n}"
        message = f"Do you ship to Canada? Asking for order {post}-{n}."
        author_id, author_name = str(10_000 + n), f"Customer {n}"
        graph.add_fb_comment(
            comment_id=comment_id, post_id=post_id, message=message, from_id=author_id, from_name=author_name
        )
        body = meta_webhooks.encode(
            meta_webhooks.fb_comment_change(
                page_id=page,
                comment_id=comment_id,
                post_id=post_id,
                message=message,
                from_id=author_id,
                from_name=author_name,
            )
        )
        deliveries.append(Delivery(comment_id, body, meta_webhooks.signed_headers(body, APP_SECRET)))
    return deliveries


def verify_requests(count: int) -> list[Delivery]:
    """Meta's subscription check (GET, answered from the settings alone): the HTTP stack's floor."""
    query = urlencode(meta_webhooks.verification_params(verify_token=VERIFY_TOKEN, challenge="42"))
    return [Delivery(f"verify-{n}", b"", {}, "GET", f"/webhooks/meta?{query}") for n in range(count)]


def wait_for_posts(slack: TimedSlack, item_ids: set[int], *, timeout: float) -> dict[int, float]:
    """Wait (bounded) until Slack has every item's message; returns item id -> arrival perf_counter."""

    def all_posted() -> bool:
        return item_ids <= slack.item_posts().keys()

    with contextlib.suppress(AssertionError):  # timed out: report what arrived
        slack.wait_for(all_posted, timeout=timeout, message="every item's chat.postMessage")
    return {k: v for k, v in slack.item_posts().items() if k in item_ids}


def wait_relay_idle(watch: Stopwatch, *, tasks: int, timeout: float) -> bool:
    """Wait (bounded) until the relay's drain() calls have returned ``tasks`` completed tasks."""
    deadline = time.monotonic() + timeout
    while watch.counter("relay.completed") < tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
