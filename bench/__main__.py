"""``python -m bench``: webhook answer latency and item-to-Slack latency against a real bot on loopback.

``python -m bench [all|inbox|replies|schedule|answer|brands|busy|inbox-scale]``: ``inbox`` is the part
described below; ``replies`` (issue 3) and ``schedule`` (issue 4) are in ``bench/parts.py``; ``answer``
(issue 12: the Home view and the report with 100,000 items) is ``bench/answer_quickly.py``;
``inbox-scale`` (issue 10: `/social inbox` with 1,000,000 items) is ``bench/inbox_scale.py``. The
default runs them all.

Prints figures next to the targets; asserts nothing. Phases, on one bot and one fresh database:

1. warm-up: a few webhooks, so the first-use costs (SQL compilation, the account row) are paid;
2. floor: the burst's shape against Meta's subscription check (GET, no database), for reference;
3. burst: ``--burst`` distinct signed Facebook comment webhooks from ``--clients`` threads released
   together; answer latency per webhook, then webhook-200 -> ``chat.postMessage`` per item;
4. quiet: ``--quiet`` webhooks one every ``--interval`` seconds; webhook-200 -> ``chat.postMessage``.

The clients run in a separate process (``--in-process-clients`` to change that); the fakes of Slack,
the Graph API and X run in the bot's process. Stopwatches on the bot show where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import logging
import math
import multiprocessing
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from bench import answer_quickly, brands_bench, busy, clients, inbox_scale, parts
from bench.clients import Delivery, Sent
from bench.instruments import Stopwatch, TimedSlack, tune_fake
from bench.load import (
    SLACK_NOT_LIMITING,
    BenchBot,
    make_deliveries,
    verify_requests,
    wait_for_posts,
    wait_relay_idle,
)
from bench.stats import Summary, fmt_ms, verdict
from bot import logs
from tests.fakes.base import forbid_network
from tests.fakes.graph_api import FakeGraph
from tests.fakes.x_api import FakeX
from tests.harness import settings_for, temporary_schema

ANSWER_TARGET_MS = 50.0  # p99 of the webhook's answer
SLACK_TARGET_MS = 2000.0  # webhook-200 -> the item's message in Slack, when Slack is not rate limiting
PARTS = ("all", "inbox", "replies", "schedule", "answer", "brands", "busy", "inbox-scale")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "part",
        nargs="?",
        default="all",
        choices=PARTS,
        help="which part to run: inbox (webhooks, issue 2), replies (issue 3), schedule (issue 4), "
        "brands (1 brand against 20 brands x 3 accounts, issue 11), busy (busy days, issue 10), "
        "inbox-scale (/social inbox with 1,000,000 items, issue 10); default all",
    )
    parser.add_argument(
        "--replies", type=int, default=100, help="draft commands and Approve clicks (replies part)"
    )
    parser.add_argument(
        "--reply-clients", type=int, default=4, help="concurrent Slack clients (replies part)"
    )
    parser.add_argument(
        "--publish", type=int, default=50, help="approvals timed to publication (replies part)"
    )
    parser.add_argument(
        "--relay-tasks", type=int, default=1000, help="posts drained with Slack not limiting (busy part)"
    )
    parser.add_argument(
        "--items", type=int, default=1_000_000, help="items in the database (inbox-scale part)"
    )
    parser.add_argument(
        "--open", type=int, default=100_000, help="of which open, scattered (inbox-scale part)"
    )
    parser.add_argument("--runs", type=int, default=9, help="timed runs per case (inbox-scale part)")
    parser.add_argument("--scheduled", type=int, default=1000, help="drafts due at once (schedule part)")
    parser.add_argument(
        "--lead", type=float, default=15.0, help="seconds from setup's end to send_at (schedule part)"
    )
    parser.add_argument(
        "--database-url",
        help="e.g. postgresql+psycopg://user:pw@127.0.0.1/db (a fresh schema is made and dropped); "
        "default: SQLite in a temp dir",
    )
    parser.add_argument("--burst", type=int, default=300, help="webhooks in the burst (default 300)")
    parser.add_argument(
        "--clients", type=int, default=48, help="concurrent clients in the burst (default 48)"
    )
    parser.add_argument("--quiet", type=int, default=20, help="webhooks in the quiet phase (default 20)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between quiet webhooks")
    parser.add_argument("--threads", type=int, default=16, help="waitress threads (bot.main uses 16)")
    parser.add_argument("--timeout", type=float, default=40.0, help="max seconds to wait for Slack posts")
    parser.add_argument(
        "--graph-latency-ms", type=float, default=0, help="extra latency of every Graph API answer"
    )
    parser.add_argument(
        "--slack-latency-ms", type=float, default=0, help="extra latency of every Slack API answer"
    )
    parser.add_argument(
        "--fakes-nagle",
        action="store_true",
        help="leave Nagle's algorithm on in the fakes (adds ~40 ms per keep-alive Graph call)",
    )
    parser.add_argument(
        "--in-process-clients",
        action="store_true",
        help="run the client threads in the bot's process (they then compete for its GIL); "
        "default: a separate process",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.open <= args.items:
        parser.error("--open must be between 0 and --items")
    for name in (
        "burst",
        "clients",
        "quiet",
        "threads",
        "replies",
        "reply_clients",
        "publish",
        "scheduled",
        "items",
        "runs",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


# -- environment ----------------------------------------------------------------------------------


def machine_lines() -> list[str]:
    cpus = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    versions = []
    for package in ("waitress", "flask", "slack_bolt", "sqlalchemy", "sqlmodel", "psycopg"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    return [
        f"machine: nproc={usable} (cpu_count={cpus}), {platform.machine()}, {platform.platform()}",
        f"python:  {platform.python_implementation()} {platform.python_version()}, "
        f"sqlite {sqlite3.sqlite_version}",
        f"libs:    {', '.join(versions)}",
    ]


@contextlib.contextmanager
def database(url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """(url for the bot, label): a SQLite file in ``tmp``, or a fresh schema on the given PostgreSQL."""
    if not url:
        yield f"sqlite:///{tmp / 'bench.db'}", "SQLite file (WAL), fresh"
        return
    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("postgresql"):
        yield url, parsed.render_as_string(hide_password=True)
        return
    with temporary_schema(url, prefix="bench") as schema_url:
        label = f"PostgreSQL {parsed.render_as_string(hide_password=True)}, fresh schema"
        yield schema_url, label


@contextlib.contextmanager
def production_logging(path: Path) -> Iterator[Path]:
    """Log as ``bot.main`` does (INFO, redaction filter), but into ``path`` instead of stderr."""
    logs.configure(level="INFO", secrets=[])
    root = logging.getLogger()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = path.open("w", encoding="utf-8")
    handler.setStream(stream)
    try:
        yield path
    finally:
        root.handlers[:] = []
        stream.close()


class Load(contextlib.AbstractContextManager["Load"]):
    """Runs the client side in a spawned process (default) or in this one."""

    def __init__(self, *, in_process: bool) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if not in_process:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self._pool.submit(time.perf_counter).result(timeout=60)  # pay the spawn and imports now

    def burst(self, url: str, deliveries: list[Delivery], n_clients: int) -> tuple[list[Sent], float]:
        if self._pool is None:
            return clients.burst(url, deliveries, n_clients)
        return self._pool.submit(clients.burst, url, deliveries, n_clients).result(timeout=180)

    def paced(self, url: str, deliveries: list[Delivery], interval: float) -> list[Sent]:
        if self._pool is None:
            return clients.paced(url, deliveries, interval)
        return self._pool.submit(clients.paced, url, deliveries, interval).result(timeout=180)

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


# -- phases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    name: str
    sent: list[Sent]
    posted: dict[str, float]  # comment id -> perf_counter of its chat.postMessage
    wall: float  # seconds from the first request to the last Slack post (or last answer)
    cpu_seconds: float  # CPU used by this process (the bot and the fakes) in that time

    @property
    def ok(self) -> int:
        return sum(1 for s in self.sent if s.status == 200)

    def answers(self) -> Summary:
        return Summary.of_seconds([s.latency for s in self.sent if s.status == 200])

    def to_slack(self) -> Summary:
        """From the webhook's 200 (as the client saw it) to Slack receiving the item's message."""
        return Summary.of_seconds(
            [self.posted[s.comment_id] - s.answered for s in self.sent if s.comment_id in self.posted]
        )

    def sent_to_slack(self) -> Summary:
        return Summary.of_seconds(
            [self.posted[s.comment_id] - s.started for s in self.sent if s.comment_id in self.posted]
        )


def run_phase(
    name: str,
    bot: BenchBot,
    slack: TimedSlack,
    watch: Stopwatch,
    sent: list[Sent],
    *,
    started: float,
    cpu_started: float,
    timeout: float,
) -> Phase:
    ids = bot.item_ids([s.comment_id for s in sent if s.status == 200])
    arrived = wait_for_posts(slack, set(ids.values()), timeout=timeout)
    posted = {comment: arrived[item] for comment, item in ids.items() if item in arrived}
    end = max([*posted.values(), *(s.answered for s in sent)], default=started)
    # Let the last drain() return so its tasks are counted in the breakdown.
    cpu = time.process_time() - cpu_started  # a little past ``end``: measured after the wait
    wait_relay_idle(watch, tasks=len(posted), timeout=5)
    return Phase(name, sent, posted, end - started, cpu)


def print_phase(phase: Phase, *, throughput: bool) -> None:
    print(f"\n== {phase.name}")
    print(f"  HTTP 200: {phase.ok}/{len(phase.sent)}   Slack posts seen: {len(phase.posted)}/{phase.ok}")
    print(f"  wall (first request -> last post): {phase.wall:.2f} s")
    if throughput and len(phase.sent) > 1:
        first = min(s.started for s in phase.sent)
        answered = max(s.answered for s in phase.sent) - first
        line = f"  all answered after {answered:.2f} s = {len(phase.sent) / answered:.0f} webhooks/s"
        if phase.posted:
            line += f"; first Slack post after {min(phase.posted.values()) - first:.2f} s"
        print(line)
    print(f"  webhook answer        {phase.answers().line()}")
    print(f"  200 -> Slack post     {phase.to_slack().line()}")
    print(f"  request -> Slack post {phase.sent_to_slack().line()}")


def _mean_ms(values: list[float]) -> float:
    return 1000 * sum(values) / len(values) if values else math.nan


def print_breakdown(watch: Stopwatch, phase: Phase) -> None:
    """Where the time went in a phase, from the stopwatches (wall time, and CPU time of the thread)."""
    print("  -- where the time went (wall = elapsed; cpu = the thread's own CPU; the gap is waiting)")
    if phase.cpu_seconds and phase.wall:
        print(
            f"  bot process (bot + fakes): {phase.cpu_seconds:.2f} s CPU in {phase.wall:.2f} s "
            f"= {phase.cpu_seconds / phase.wall:.2f} cores busy of {os.cpu_count()}"
        )
    for label, key in (("in-app /webhooks/meta", "web.meta_webhook"), ("  of which ingest()", "ingest")):
        wall = Summary.of_seconds(watch.samples(key))
        print(
            f"  {label:<22} wall p50 {fmt_ms(wall.p50)}, p99 {fmt_ms(wall.p99)}, mean {fmt_ms(wall.mean)}; "
            f"cpu mean {fmt_ms(_mean_ms(watch.samples(key + ':cpu')))}"
        )
    client = phase.answers()
    print(
        f"  client-seen answer p50 {fmt_ms(client.p50)}, p99 {fmt_ms(client.p99)} "
        "(adds waitress queueing, HTTP)"
    )
    completed = watch.counter("relay.completed")
    if not completed:
        return
    busy = sum(watch.samples("relay.drain_busy"))
    rows = {
        "drain(), all of it": "relay.drain_busy",
        "  post_item runner": "relay.post_item",
        "    Slack chat.postMessage": "slack.chat_postMessage",
    }
    per = {
        name: (sum(watch.samples(k)) / completed, sum(watch.samples(k + ":cpu")) / completed)
        for name, k in rows.items()
    }
    calls = ("    Slack chat.postMessage",)
    runner = per["  post_item runner"]
    # The Graph permalink look-up runs on the `permalinks` worker, off this path.
    per["    rest: gets, item view, ItemMessage"] = (
        runner[0] - sum(per[c][0] for c in calls),
        runner[1] - sum(per[c][1] for c in calls),
    )
    total = per["drain(), all of it"]
    per["  bookkeeping: select, claim, has_earlier, done"] = (total[0] - runner[0], total[1] - runner[1])
    print(
        f"  relay: {completed} tasks, {busy:.2f} s inside drain() = {completed / busy:.0f} tasks/s "
        "(one thread, one task at a time)"
    )
    print(f"    {'per task':<48} {'wall':>8} {'cpu':>8}")
    for name, (wall_s, cpu_s) in per.items():
        print(f"    {name:<48} {1000 * wall_s:5.1f} ms {1000 * cpu_s:5.1f} ms")


def table(
    burst_phase: Phase, quiet_phase: Phase, floor: Summary, n_clients: int, db_label: str, where: str
) -> list[str]:
    answers = burst_phase.answers()
    burst_slack = burst_phase.to_slack()
    quiet_slack = quiet_phase.to_slack()
    n, q = len(burst_phase.sent), len(quiet_phase.sent)

    def measured(s: Summary, key: float, expected: int | None = None) -> str:
        missing = (
            f", only {s.count}/{expected} arrived" if expected is not None and s.count < expected else ""
        )
        return f"**{fmt_ms(key)}** (p50 {fmt_ms(s.p50)}, max {fmt_ms(s.max)}{missing})"

    return [
        f"{machine_lines()[0].removeprefix('machine: ')}; Python {platform.python_version()}; {db_label}; "
        f"clients {where}",
        "",
        "| metric | target | measured |",
        "|---|---|---|",
        f"| Meta webhook answer, burst of {n} ({n_clients} clients), p99 | < 50 ms | "
        f"{measured(answers, answers.p99)} {verdict(answers.p99, ANSWER_TARGET_MS)} |",
        f"| Webhooks answered 200 in the burst | {n}/{n} | {burst_phase.ok}/{n} |",
        f"| Floor: same burst of GET subscription checks (no DB), p99 | (reference) | "
        f"{measured(floor, floor.p99)} |",
        f"| Item → Slack, quiet ({q}, 1 per {fmt_ms(1000 * quiet_phase_interval(quiet_phase))}), p99 "
        "| < 2 s | "
        f"{measured(quiet_slack, quiet_slack.p99, q)} {verdict(quiet_slack.p99, SLACK_TARGET_MS)} |",
        f"| Item → Slack, burst of {n}, p99 | < 2 s | "
        f"{measured(burst_slack, burst_slack.p99, n)} {verdict(burst_slack.p99, SLACK_TARGET_MS)} |",
        f"| Items in Slack after the burst | {n} | {len(burst_phase.posted)} |",
    ]


def quiet_phase_interval(phase: Phase) -> float:
    starts = sorted(s.started for s in phase.sent)
    if len(starts) < 2:
        return math.nan
    return (starts[-1] - starts[0]) / (len(starts) - 1)


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    print(f"Social Inbox benchmark, part: {args.part}")
    for line in machine_lines():
        print(line)
    tables: list[list[str]] = []
    if args.part in ("all", "inbox"):
        tables.append(inbox(args))
    if args.part in ("all", "replies", "schedule"):
        with (
            forbid_network(),
            tempfile.TemporaryDirectory(prefix="inbox-bench-") as tmp_name,
            production_logging(Path(tmp_name) / "bot.log") as log_path,
        ):
            rows = []
            if args.part in ("all", "replies"):
                rows += parts.replies(
                    Path(tmp_name),
                    count=args.replies,
                    clients=args.reply_clients,
                    threads=args.threads,
                    publish_count=args.publish,
                )
            if args.part in ("all", "schedule"):
                rows += parts.schedule(
                    Path(tmp_name), count=args.scheduled, lead=args.lead, threads=args.threads
                )
            print_log_summary(log_path)
        tables.append(
            [
                f"{machine_lines()[0].removeprefix('machine: ')}; Python {platform.python_version()}; "
                "SQLite file (WAL), fresh; Slack clients in the bot's process",
                "",
                "| metric | target | measured |",
                "|---|---|---|",
                *rows,
            ]
        )
    if args.part in ("all", "busy"):
        tables.append(busy_day(args))
    if args.part in ("all", "answer"):
        tables.append(
            [
                f"Answer quickly (issue 12), {'PostgreSQL' if args.database_url else 'SQLite file'}",
                "",
                "| metric | target | measured |",
                "|---|---|---|",
                *answer_quickly.run(database_url=args.database_url),
            ]
        )
    if args.part in ("all", "brands"):
        tables.append(brands_bench.run(burst=args.burst, n_clients=args.clients, threads=args.threads))
    if args.part in ("all", "inbox-scale"):
        tables.append(
            inbox_scale.run(
                items=args.items, open_items=args.open, runs=args.runs, database_url=args.database_url
            )
        )
    print(f"\n(run took {time.perf_counter() - began:.1f} s)")
    for lines in tables:
        print()
        print("\n".join(lines))
    return 0


def busy_day(args: argparse.Namespace) -> list[str]:
    """Issue 10: the viral post and the support storm against an enforcing Slack, then relay throughput."""
    rows: list[str] = []
    with (
        Load(in_process=args.in_process_clients) as load,
        forbid_network(),
        tempfile.TemporaryDirectory(prefix="inbox-bench-") as tmp_name,
        production_logging(Path(tmp_name) / "bot.log") as log_path,
    ):
        for seed, (name, mix) in enumerate(busy.MIXES.items(), start=1):
            (Path(tmp_name) / name.replace(" ", "-")).mkdir()
            with database(args.database_url, Path(tmp_name) / name.replace(" ", "-")) as (url, db_label):
                rows += busy.run_mix(
                    name,
                    mix,
                    tmp=Path(tmp_name),
                    load=load,
                    database_url=url,
                    clients=args.clients,
                    threads=args.threads,
                    seed=seed,
                )
        (Path(tmp_name) / "throughput").mkdir()
        with database(args.database_url, Path(tmp_name) / "throughput") as (url, db_label):
            rows += busy.relay_throughput(database_url=url, count=args.relay_tasks, threads=args.threads)
        print_log_summary(log_path)
    return [
        f"{machine_lines()[0].removeprefix('machine: ')}; Python {platform.python_version()}; {db_label}; "
        f"fake Slack at 1 post/s/channel, burst 10, 429 beyond; {args.clients} clients in a separate process",
        "",
        "| busy day | target | measured |",
        "|---|---|---|",
        *rows,
    ]


def print_log_summary(log_path: Path) -> None:
    lines = log_path.read_text("utf-8").splitlines()
    queue = [line for line in lines if "waitress.queue" in line]
    problems = [line for line in lines if (" WARNING " in line or " ERROR " in line) and line not in queue]
    print(f"bot log: {len(queue)} 'waitress.queue Task queue depth' warnings, {len(problems)} other warnings")
    for line in problems[:5]:
        print(f"  {line[:200]}")


def inbox(args: argparse.Namespace) -> list[str]:
    """The webhook part (issue 2 targets); prints its phases and returns its markdown table."""
    print("\n== inbox (issue 2 targets)")
    where = "in the bot's process" if args.in_process_clients else "in a separate process"
    print(
        f"setup:   waitress threads={args.threads}; burst={args.burst} webhooks from {args.clients} client "
        f"threads {where}; quiet={args.quiet} every {args.interval:g} s; Slack/Graph/X fakes in the bot's "
        "process on 127.0.0.1"
    )

    watch = Stopwatch()
    with (
        Load(in_process=args.in_process_clients) as load,
        forbid_network(),
        tempfile.TemporaryDirectory(prefix="inbox-bench-") as tmp_name,
        production_logging(Path(tmp_name) / "bot.log") as log_path,
        TimedSlack() as slack,
        FakeX() as x_api,
        FakeGraph() as graph,
        database(args.database_url, Path(tmp_name)) as (database_url, db_label),
    ):
        print(f"db:      {db_label}")
        for fake, latency in ((slack, args.slack_latency_ms), (graph, args.graph_latency_ms), (x_api, 0.0)):
            tune_fake(fake, nodelay=not args.fakes_nagle, latency_ms=latency)
        print(
            f"fakes:   TCP_NODELAY {'off' if args.fakes_nagle else 'on'}, added latency Slack "
            f"{args.slack_latency_ms:g} ms, Graph {args.graph_latency_ms:g} ms"
        )
        settings = settings_for(
            database_url=database_url, slack=slack, x_api=x_api, graph=graph, **SLACK_NOT_LIMITING
        )
        bot = BenchBot(settings, threads=args.threads, watch=watch)
        bot.start()
        try:
            warm = make_deliveries(graph, post=1001, count=5)
            cpu = time.process_time()
            sent = load.paced(bot.url, warm, 0.0)
            run_phase(
                "warm-up", bot, slack, watch, sent, started=sent[0].started, cpu_started=cpu, timeout=10
            )

            # The floor: the same burst against an answer that needs no database.
            floor, _ = load.burst(bot.url, verify_requests(args.burst), args.clients)
            floor_answers = Summary.of_seconds([s.latency for s in floor if s.status == 200])
            print(
                f"\n== floor: {args.burst} GET /webhooks/meta (subscription check, no database), same clients"
            )
            print(f"  HTTP 200: {sum(s.status == 200 for s in floor)}/{len(floor)}")
            print(f"  answer                {floor_answers.line()}")

            watch.reset()
            deliveries = make_deliveries(graph, post=1002, count=args.burst)
            cpu = time.process_time()
            sent, released = load.burst(bot.url, deliveries, args.clients)
            burst_phase = run_phase(
                f"burst: {args.burst} webhooks, {args.clients} clients released together",
                bot, slack, watch, sent, started=released, cpu_started=cpu, timeout=args.timeout,
            )  # fmt: skip
            print_phase(burst_phase, throughput=True)
            print_breakdown(watch, burst_phase)

            watch.reset()
            quiet = make_deliveries(graph, post=1003, count=args.quiet)
            cpu = time.process_time()
            sent = load.paced(bot.url, quiet, args.interval)
            quiet_phase = run_phase(
                f"quiet: {args.quiet} webhooks, one every {args.interval:g} s",
                bot, slack, watch, sent, started=sent[0].started, cpu_started=cpu, timeout=args.timeout,
            )  # fmt: skip
            print_phase(quiet_phase, throughput=False)
            print_breakdown(watch, quiet_phase)
            print(
                f"\nSlack: {len(slack.calls_to('chat.postMessage'))} chat.postMessage, "
                f"{slack.rate_limited} answered 429; Graph: {len(graph.calls)} requests"
            )
        finally:
            bot.stop()
        print_log_summary(log_path)

    return table(burst_phase, quiet_phase, floor_answers, args.clients, db_label, where)


if __name__ == "__main__":
    sys.exit(main())
