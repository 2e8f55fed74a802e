"""``python -m bench brands``: does a bot with many brands answer webhooks and relay as fast as one with one?

The same burst of signed Facebook comment webhooks, against two bots on fresh databases:
1 brand from the environment (today's setup), then 20 brands with 3 accounts each from a
brands file (a Facebook Page, an Instagram account and an X account per brand), with the
webhooks spread over the 20 Pages. Printed side by side: the webhook's answer, webhook-200
to the item's ``chat.postMessage``, and the relay's time per task. Asserts nothing.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import yaml

from bench import clients
from bench.instruments import Stopwatch, TimedSlack, tune_fake
from bench.load import BenchBot, make_deliveries, wait_for_posts, wait_relay_idle
from bench.stats import Summary, fmt_ms
from tests.fakes.base import forbid_network
from tests.fakes.graph_api import FakeGraph
from tests.fakes.x_api import FakeX
from tests.harness import PAGE_ID, settings_for

BRANDS, ACCOUNTS = 20, 3


def brands_file(path: Path, *, count: int = BRANDS) -> list[str]:
    """Write `count` (20) brands x 3 accounts; returns their Page ids. Secrets are `${ENV_VAR}`s set here."""
    pages, brands = [], []
    for b in range(count):
        page = str(700_000 + b)
        pages.append(page)
        os.environ[f"BENCH_TOKEN_{b}"] = f"page-token-{b}"
        x = {k: f"${{BENCH_TOKEN_{b}}}" for k in ("bearer_token", "api_key", "api_secret")}
        x |= {k: f"${{BENCH_TOKEN_{b}}}" for k in ("access_token", "access_token_secret")}
        brands.append(
            {
                "key": f"brand-{b}",
                "name": f"Brand {b}",
                "channel": f"C0BRAND{b:02d}",
                "approvers": [f"U0BOSS{b:02d}"],
                "accounts": [
                    {"platform": "facebook", "page_id": page, "token": f"${{BENCH_TOKEN_{b}}}"},
                    {
                        "platform": "instagram",
                        "account_id": str(1_784_000 + b),
                        "token": f"${{BENCH_TOKEN_{b}}}",
                    },
                    {"platform": "x", "user_id": str(1_500 + b), **x},
                ],
            }
        )
    path.write_text(yaml.safe_dump({"brands": brands}), encoding="utf-8")
    return pages


def measure(label: str, *, tmp: Path, burst: int, n_clients: int, threads: int, many: bool) -> list[str]:
    watch = Stopwatch()
    with (
        TimedSlack() as slack,
        FakeX() as x_api,
        FakeGraph() as graph,
    ):
        for fake in (slack, graph, x_api):
            tune_fake(fake, nodelay=True)
        database_url = f"sqlite:///{tmp / (label.replace(' ', '-') + '.db')}"
        extra: dict[str, object] = {}
        pages = [PAGE_ID]
        if many:
            pages = brands_file(tmp / "brands.yml")
            extra["brands_file"] = tmp / "brands.yml"
        settings = settings_for(database_url=database_url, slack=slack, x_api=x_api, graph=graph, **extra)
        bot = BenchBot(settings, threads=threads, watch=watch)
        bot.start()
        try:
            warm = make_deliveries(graph, pages=pages, post=1, count=2 * len(pages))
            clients.paced(bot.url, warm, 0.0)
            wait_for_posts(slack, set(bot.item_ids([d.comment_id for d in warm]).values()), timeout=20)
            wait_relay_idle(watch, tasks=len(warm), timeout=10)
            watch.reset()
            sent, _ = clients.burst(
                bot.url, make_deliveries(graph, pages=pages, post=2, count=burst), n_clients
            )
            ids = bot.item_ids([s.comment_id for s in sent if s.status == 200])
            arrived = wait_for_posts(slack, set(ids.values()), timeout=60)
            wait_relay_idle(watch, tasks=len(arrived), timeout=10)
        finally:
            bot.stop()
    answers = Summary.of_seconds([s.latency for s in sent if s.status == 200])
    answered = {s.comment_id: s.answered for s in sent}
    to_slack = Summary.of_seconds([arrived[i] - answered[c] for c, i in ids.items() if i in arrived])
    completed = max(watch.counter("relay.completed"), 1)
    per_task = 1000 * sum(watch.samples("relay.drain_busy")) / completed
    ok = sum(s.status == 200 for s in sent)
    print(f"\n== {label}: {ok}/{len(sent)} answered 200, {len(arrived)} in Slack")
    print(f"  webhook answer        {answers.line()}")
    print(f"  200 -> Slack post     {to_slack.line()}")
    print(f"  relay per task        {per_task:.1f} ms")
    for key in ("relay.post_item", "slack.chat_postMessage", "ingest"):
        samples = watch.samples(key)
        cpu = watch.samples(key + ":cpu")
        if samples:
            print(
                f"    {key:<24} wall {1000 * sum(samples) / len(samples):.1f} ms, "
                f"cpu {1000 * sum(cpu) / max(len(cpu), 1):.1f} ms (n={len(samples)})"
            )
    # CPU per call is the steadier figure on a shared machine: wall time there includes waiting.
    ingest_cpu = watch.samples("ingest:cpu")
    relay_cpu = watch.samples("relay.drain_busy:cpu")
    return [
        label,
        f"{fmt_ms(answers.p50)} / {fmt_ms(answers.p99)}",
        f"{1000 * sum(ingest_cpu) / max(len(ingest_cpu), 1):.1f} ms",
        f"{fmt_ms(to_slack.p50)} / {fmt_ms(to_slack.p99)}",
        f"{per_task:.1f} ms / {1000 * sum(relay_cpu) / completed:.1f} ms",
    ]


def run(*, burst: int, n_clients: int, threads: int) -> list[str]:
    """Both bots, one after the other; returns the markdown table."""
    print(f"\n== brands: {burst} webhooks from {n_clients} clients (in this process), SQLite file")
    started = time.perf_counter()
    with forbid_network(), tempfile.TemporaryDirectory(prefix="brands-bench-") as tmp_name:
        tmp = Path(tmp_name)
        rows = [
            measure(
                "1 brand (environment)",
                tmp=tmp,
                burst=burst,
                n_clients=n_clients,
                threads=threads,
                many=False,
            ),
            measure(
                f"{BRANDS} brands x {ACCOUNTS} accounts (file)",
                tmp=tmp,
                burst=burst,
                n_clients=n_clients,
                threads=threads,
                many=True,
            ),
        ]
    print(f"(brands part took {time.perf_counter() - started:.1f} s)")
    return [
        "| setup | webhook answer p50 / p99 | ingest CPU per webhook | 200 → Slack p50 / p99 "
        "| relay per task wall / CPU |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
