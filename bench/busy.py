"""The busy-day part (issue 10): a fake Slack that enforces one post per second per channel with a
burst of 10 and answers 429 beyond it; 300 comments at once from 48 clients, in random order.

Mixes: **viral post** (3 questions, 1 complaint, 266 praise, 30 spam) and **support storm**
(60 questions, 30 complaints, 180 praise, 30 spam). Printed for each: time until every non-spam item
is visible in Slack (its own message or a grouped one), time until every question and complaint has
its own message, chat.postMessage calls, 429s, the webhook answer p50/p99 next to the no-database
floor of the same run, and the relay's tasks per second. Then the relay's throughput with Slack
not limiting. Prints only; asserts nothing.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from bench.clients import Delivery
from bench.instruments import Stopwatch, tune_fake
from bench.load import SLACK_NOT_LIMITING, BenchBot, verify_requests
from bench.stats import Summary, fmt_ms, verdict
from bot.platforms.base import Author, IncomingItem
from bot.relay.kinds import TaskKind
from bot.storage.models import SlackTask
from tests.fakes import meta_webhooks
from tests.fakes.base import Call, Response
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import APP_SECRET, PAGE_ID, settings_for

QUESTIONS = [
    "How much is shipping to Canada?",
    "Do you have this in size M?",
    "When will this be back in stock?",
    "Can I pay with PayPal?",
    "Is the blue one still available?",
    "Where can I buy this in Berlin?",
]
COMPLAINTS = [
    "My order arrived broken and nobody answers my emails",
    "Still waiting for my refund after three weeks, this is unacceptable",
    "Worst customer service ever, never again",
]
PRAISE = [
    "😍",
    "Love this!",
    "So beautiful 😍😍",
    "Congrats!!",
    "Amazing work 👏",
    "Best shop ever ❤️",
    "Wow, gorgeous",
]
SPAM = [
    "https://bit.ly/{n}x",
    "@ann_{n} @bob_{n} @cid_{n}",
    "Earn $500 a day from home, DM me on WhatsApp",
]
MIXES = {
    "viral post": {"question": 3, "complaint": 1, "praise": 266, "spam": 30},
    "support storm": {"question": 60, "complaint": 30, "praise": 180, "spam": 30},
}


class BusySlack(FakeSlack):
    """The enforcing fake, timing when each item became visible and when it got its own message."""

    def __init__(self) -> None:
        super().__init__()
        self.visible: dict[int, float] = {}
        self.own: dict[int, float] = {}
        self.posts = 0
        self.refused = 0
        self.shown: list[str] = []  # what each accepted top-level post was: item, items, listing, spam
        self.updates: list[float] = []  # when each chat.update came (Tier 3: about 50 a minute)

    def route(self, call: Call) -> Response:
        now = time.perf_counter()
        response = super().route(call)
        if call.path == "/api/chat.update":
            self.updates.append(now)
        if call.path == "/api/chat.update" and isinstance(response.body, dict) and response.body.get("ok"):
            # A storm's listing takes later questions by an edit: they are visible from then on.
            self._lines_visible(call, now)
        if call.path != "/api/chat.postMessage":
            return response
        self.posts += 1
        if response.status == 429:
            self.refused += 1
            return response
        if not (isinstance(response.body, dict) and response.body.get("ok")) or call.form.get("thread_ts"):
            return response
        meta = _json(call.form.get("metadata"))
        payload = meta.get("event_payload") or {}
        self.shown.append(str(payload.get("purpose", "item")))
        if meta.get("event_type") == "social_inbox_item":
            item_id = int(payload["item_id"])
            self.own.setdefault(item_id, now)
            self.visible.setdefault(item_id, now)
        elif meta.get("event_type") == "social_inbox_group" and payload.get("purpose") != "spam":
            self._lines_visible(call, now)
        return response

    def _lines_visible(self, call: Call, now: float) -> None:
        # Only grouped messages have `line:N` blocks (the spam digest's are spam, left out of targets).
        for block in _json(call.form.get("blocks")) or []:
            block_id = str(block.get("block_id", ""))
            if block_id.startswith("line:"):
                self.visible.setdefault(int(block_id[5:]), now)


def _runs(shown: list[str]) -> str:
    """`listing, items x5, item x60`: what reached the channel, in order."""
    runs: list[list[Any]] = []
    for what in shown:
        if runs and runs[-1][0] == what:
            runs[-1][1] += 1
        else:
            runs.append([what, 1])
    return ", ".join(what if n == 1 else f"{what} x{n}" for what, n in runs)


def _most_per_minute(times: list[float]) -> int:
    """The most calls in any 60-second window."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 60:
            start += 1
        most = max(most, end - start + 1)
    return most


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value or {}


@dataclass(frozen=True)
class Comment:
    n: int
    kind: str
    text: str


def comments(mix: dict[str, int], *, seed: int) -> list[Comment]:
    rng = random.Random(seed)
    made: list[Comment] = []
    n = 0
    for kind, count in mix.items():
        for i in range(count):
            n += 1
            if kind == "question":
                text = f"{QUESTIONS[i % len(QUESTIONS)]} (order {n})"
            elif kind == "complaint":
                text = f"{COMPLAINTS[i % len(COMPLAINTS)]} (order {n})"
            elif kind == "praise":
                text = PRAISE[i % len(PRAISE)]
            else:
                text = SPAM[i % len(SPAM)].format(n=n)
            made.append(Comment(n=n, kind=kind, text=text))
    rng.shuffle(made)
    return made


def deliveries(graph: FakeGraph, post: int, made: list[Comment]) -> list[Delivery]:
    post_id = f"{PAGE_ID}_{post}"
    out = []
    for c in made:
        comment_id = f"{post}_{c.n}"
        author_id, author_name = str(20_000 + c.n), f"Fan {c.n}"
        graph.add_fb_comment(
            comment_id=comment_id, post_id=post_id, message=c.text, from_id=author_id, from_name=author_name
        )
        body = meta_webhooks.encode(
            meta_webhooks.fb_comment_change(
                page_id=PAGE_ID,
                comment_id=comment_id,
                post_id=post_id,
                message=c.text,
                from_id=author_id,
                from_name=author_name,
            )
        )
        out.append(Delivery(comment_id, body, meta_webhooks.signed_headers(body, APP_SECRET)))
    return out


def _wait(predicate: Callable[[], bool], *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _seconds(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f} s"


def run_mix(
    name: str,
    mix: dict[str, int],
    *,
    tmp: Path,
    load: Any,
    database_url: str,
    clients: int,
    threads: int,
    seed: int,
) -> list[str]:
    print(f"\n== busy day: {name} ({', '.join(f'{v} {k}' for k, v in mix.items())}), {clients} clients")
    with BusySlack() as slack, FakeX() as x_api, FakeGraph() as graph:
        for fake in (slack, graph, x_api):
            tune_fake(fake, nodelay=True)
        slack.enforce_post_rate(per_second=1, burst=10)
        settings = settings_for(
            database_url=database_url,
            slack=slack,
            x_api=x_api,
            graph=graph,
            slack_posts_per_second=1,
            slack_burst=10,
        )
        watch = Stopwatch()
        bot = BenchBot(settings, threads=threads, watch=watch)
        bot.start()
        try:
            floor, _ = load.burst(bot.url, verify_requests(sum(mix.values())), clients)
            floor_answers = Summary.of_seconds([s.latency for s in floor if s.status == 200])
            made = comments(mix, seed=seed)
            post = 7000 + seed
            sent, released = load.burst(bot.url, deliveries(graph, post, made), clients)
            answers = Summary.of_seconds([s.latency for s in sent if s.status == 200])
            # Stored before each 200; items (triage, tasks) right after: wait for all to be items.
            _wait(lambda: bot.runtime.inbox.pending() == 0, timeout=60)
            ingested = time.perf_counter() - released
            ids = bot.item_ids([f"{post}_{c.n}" for c in made])
            kinds = {ids[f"{post}_{c.n}"]: c.kind for c in made if f"{post}_{c.n}" in ids}
            wanted = {i for i, k in kinds.items() if k != "spam"}
            urgent = {i for i, k in kinds.items() if k in ("question", "complaint")}
            relay_started = time.perf_counter()
            done_before = watch.counter("relay.completed")
            _wait(lambda: wanted <= slack.visible.keys(), timeout=30)
            _wait(lambda: urgent <= slack.own.keys(), timeout=150)
            relay_seconds = time.perf_counter() - relay_started
            tasks = watch.counter("relay.completed") - done_before
            with bot.runtime.db.session() as session:
                stuck = session.exec(
                    select(SlackTask.kind, SlackTask.priority, func.count())
                    .where(col(SlackTask.done).is_(False))
                    .group_by(col(SlackTask.kind), col(SlackTask.priority))
                ).all()
            if stuck:
                print(f"  tasks still waiting: {stuck}")
        finally:
            bot.stop()
    all_visible = (
        max((slack.visible[i] for i in wanted), default=released) - released
        if wanted <= slack.visible.keys()
        else None
    )
    all_own = (
        max((slack.own[i] for i in urgent), default=released) - released
        if urgent <= slack.own.keys()
        else None
    )
    questions = sorted((slack.own[i], i) for i, k in kinds.items() if k == "question" and i in slack.own)
    complaints = sorted((slack.own[i], i) for i, k in kinds.items() if k == "complaint" and i in slack.own)
    questions_first = bool(questions) and (not complaints or questions[-1][0] <= complaints[-1][0])
    print(f"  stored: {len(kinds)}/{len(made)}; HTTP 200: {sum(s.status == 200 for s in sent)}/{len(sent)}")
    print(f"  every delivery an item (triaged)   {ingested:.1f} s")
    print(f"  every non-spam item visible        {_seconds(all_visible)}")
    print(f"  every question/complaint own msg   {_seconds(all_own)} (questions first: {questions_first})")
    print(f"  chat.postMessage calls             {slack.posts} ({slack.refused} answered 429)")
    print(f"  top-level posts in order           {_runs(slack.shown)}")
    print(
        f"  chat.update calls                  {len(slack.updates)} (most in one minute: {_most_per_minute(slack.updates)})"
    )
    print(f"  webhook answer                     {answers.line()}")
    print(f"  floor (GET, no database)           {floor_answers.line()}")
    print(
        f"  relay tasks                        {tasks} in {relay_seconds:.1f} s ({tasks / relay_seconds:.0f}/s at Slack's pace)"
    )
    ratio = answers.p99 / floor_answers.p99 if floor_answers.p99 else float("nan")
    targets = {
        "viral post": ("≤ 10 s", "≤ 5 s", "≤ 20"),
        "support storm": ("≤ 10 s", "≈ 100 s, questions first", "—"),
    }[name]
    return [
        f"| {name}: every non-spam item visible | {targets[0]} | {_seconds(all_visible)} |",
        f"| {name}: every question and complaint in its own message | {targets[1]} | {_seconds(all_own)}"
        f"{', questions first' if questions_first else ''} |",
        f"| {name}: chat.postMessage calls | {targets[2]} | {slack.posts} |",
        f"| {name}: 429s | 0 | {slack.refused} |",
        f"| {name}: webhook answer p50 / p99 (floor p50 / p99) | p99 ≤ 1.5x floor | "
        f"{fmt_ms(answers.p50)} / {fmt_ms(answers.p99)} ({fmt_ms(floor_answers.p50)} / {fmt_ms(floor_answers.p99)}; "
        f"{ratio:.2f}x) {verdict(answers.p99, 1.5 * floor_answers.p99)} |",
        f"| {name}: relay tasks per second (at Slack's pace) | — | {tasks / relay_seconds:.0f} |",
    ]


def relay_throughput(*, database_url: str, count: int, threads: int) -> list[str]:
    """Tasks per second through the relay with Slack not limiting: `count` items stored while the relay
    is stopped, then drained."""
    print(f"\n== relay throughput: {count} items' Slack messages, Slack not limiting")
    with FakeSlack() as slack, FakeX() as x_api, FakeGraph() as graph:
        for fake in (slack, graph, x_api):
            tune_fake(fake, nodelay=True)
        settings = settings_for(
            database_url=database_url, slack=slack, x_api=x_api, graph=graph, **SLACK_NOT_LIMITING
        )
        bot = BenchBot(settings, threads=threads, watch=Stopwatch())
        bot.start()
        try:
            relay = bot.runtime.relay
            relay.stop()
            bot.runtime.permalinks.stop()
            for n in range(count):
                bot.runtime.ingestor.ingest(
                    IncomingItem(
                        platform="facebook",
                        external_id=f"9_{n}",
                        account_external_id=PAGE_ID,
                        author=Author(id=str(n), name=f"Fan {n}", handle=f"Fan {n}", url=""),
                        text=f"Lovely work number {n}",
                        url="",
                        created_at=bot.runtime.clock.now(),
                    )
                )
            started = time.perf_counter()
            completed = 0
            while completed < count:
                done = relay.drain()
                if not done and time.perf_counter() - started > 120:
                    break
                completed += done
            elapsed = time.perf_counter() - started
            with bot.runtime.db.session() as session:
                left = session.exec(
                    select(func.count())
                    .select_from(SlackTask)
                    .where(col(SlackTask.done).is_(False), SlackTask.kind == TaskKind.POST_ITEM.value)
                ).one()
        finally:
            bot.stop()
    rate = completed / elapsed if elapsed else float("nan")
    print(f"  {completed} tasks in {elapsed:.2f} s: {rate:.0f} tasks/s ({left} left)")
    return [f"| relay tasks per second, Slack not limiting ({count} posts) | several hundred | {rate:.0f} |"]
