"""``python -m bench answer``: the App Home view and the report with 100,000 items in the database.

Seeds a fresh SQLite file (in another process, as `bench.report_bench` does) with ``items`` items
over 180 days, every open item on a first-response clock and a share of them claimed, then times
in this process what a click costs before Slack is called:

- Home: `Home.page` (its capped queries and counts) and `home_view` (the blocks), for one person;
- report: `Reporting.build` (one query, the business-hours clock of a mon-fri brand in Berlin),
  the blocks and the chart PNG, for 7 and 30 days, one brand of three.

Prints median and worst of ``runs`` runs next to the 200 ms target; asserts nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import text

from bench.report_bench import NOW, _seed_in_child
from bot.brands import Brand, Brands, FacebookAccount, InstagramAccount, XAccount
from bot.message_builder.home import home_view
from bot.message_builder.report import report_message
from bot.services.charts import render_chart
from bot.services.first_response import FirstResponse, clocks_by_brand
from bot.services.home import Home
from bot.services.reporting import Reporting
from bot.storage.db import Database
from bot.storage.reports import load_report_rows
from tests.harness import temporary_schema

TARGET_MS = 200.0
USER = "U0BENCH"


class _Frozen:
    def now(self) -> Any:
        return NOW


def _timed(step: Callable[[], Any], runs: int) -> tuple[Any, list[float]]:
    result, samples = None, []
    for _ in range(runs):
        started = time.perf_counter()
        result = step()
        samples.append((time.perf_counter() - started) * 1000)
    return result, samples


def _row(name: str, samples: list[float]) -> str:
    median = statistics.median(samples)
    verdict = "within" if median < TARGET_MS else "OVER"
    return (
        f"| {name} | < {TARGET_MS:.0f} ms | median {median:.1f} ms, worst {max(samples):.1f} ms ({verdict}) |"
    )


@contextlib.contextmanager
def _database(url: str | None, tmp: str) -> Iterator[str]:
    if not url:
        yield f"sqlite:///{Path(tmp) / 'answer.db'}"
        return
    with temporary_schema(url, prefix="answer") as schema_url:
        yield schema_url


def run(*, items: int = 100_000, runs: int = 7, database_url: str | None = None) -> list[str]:
    """`database_url`: a PostgreSQL server to seed a fresh schema on (dropped after); SQLite by default."""
    print(f"\n== answer quickly (issue 12): Home view and report with {items:,} items")
    rows: list[str] = []
    summary = ["Home view {home:.0f} ms"]
    with tempfile.TemporaryDirectory(prefix="answer-bench-") as tmp, _database(database_url, tmp) as url:
        db = Database(url=url)
        db.migrate()
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=_seed_in_child, args=(url, items, 180))
        child.start()
        child.join()
        with db.engine.begin() as connection:
            # Every open item on a clock (due an hour after arrival), one in five claimed by the reader.
            connection.execute(
                text(
                    "UPDATE item SET due_at = received_at, nudge_at = received_at, "
                    "claimed_by = CASE WHEN id % 5 = 0 THEN :user END WHERE state = 'new'"
                ),
                {"user": USER},
            )
        if not db.is_sqlite:
            # That UPDATE left a dead copy of every open item; autovacuum tidies a live database.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE item, draft, ownerquestion, account")
                )
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        brand = Brand(
            key="default",  # the seeded items belong to `default` (their brand_key)
            owner=USER,
            name="Brand 0",
            channel="C0",
            timezone=ZoneInfo("Europe/Berlin"),
            hours="mon-fri 09:00-18:00",
            accounts=(
                FacebookAccount(page_id="0-facebook", token="t"),
                InstagramAccount(account_id="0-instagram", token="t"),
                XAccount(
                    user_id="0-x",
                    bearer_token="t",
                    api_key="t",
                    api_secret="t",
                    access_token="t",
                    access_token_secret="t",
                ),
            ),
        )
        others = [Brand(key=f"brand-{n}", name=f"Brand {n}", channel=f"C{n}") for n in (1, 2)]
        brands = Brands(all=(brand, *others))
        clock = _Frozen()
        first_response = FirstResponse(db=db, clock=clock, policy_for=clocks_by_brand(brands))
        home = Home(db=db, clock=clock, clock_label=first_response.label, brands=brands)
        view, home_ms = _timed(lambda: home_view(home.page(user=USER)), runs)
        print(f"Home view: {len(view.blocks)} blocks")
        rows.append(_row(f"Home tab for one person, {items:,} items (queries + blocks)", home_ms))

        # Slack is never called here (nothing is posted): only what the command computes first.
        client = WebClient(token="unused", base_url="http://127.0.0.1:9/api/")
        reporting = Reporting(db=db, client=client, clock=clock, brands=brands)
        for days in (7, 30):
            scope = reporting._scope((brand,))

            def build(days: int = days, scope: Any = scope) -> Any:
                return reporting.build(scope=scope, start=NOW - timedelta(days=days), end=NOW)

            def load(days: int = days, scope: Any = scope) -> Any:
                with db.session() as session:
                    return load_report_rows(
                        session,
                        since=NOW - timedelta(days=days),
                        until=NOW,
                        brand_of=reporting._brand_of,
                        accounts=scope.accounts,
                    )

            _, load_ms = _timed(load, runs)
            built, build_ms = _timed(build, runs)
            _, blocks_ms = _timed(
                lambda built=built: report_message(built, names={"default": "Brand 0"}), runs
            )
            _, chart_ms = _timed(lambda built=built: render_chart(built.brands[0], title="Brand 0"), runs)
            report_ms = [sum(parts) for parts in zip(build_ms, blocks_ms, chart_ms, strict=True)]
            print(f"{days}-day report: {built.brands[0].volume:,} items of Brand 0 in the period")
            for name, samples in (
                ("rows + compute", build_ms),
                ("blocks", blocks_ms),
                ("chart PNG", chart_ms),
            ):
                print(
                    f"  {name:<16} median {statistics.median(samples):7.1f} ms   worst {max(samples):7.1f} ms"
                )
            # build = rows + compute; compute is what the build costs beyond loading the rows.
            rows_median = statistics.median(load_ms)
            summary.append(
                f"report {days}d {statistics.median(report_ms):.0f} ms (rows {rows_median:.0f}, "
                f"compute {statistics.median(build_ms) - rows_median:.0f}, "
                f"chart {statistics.median(chart_ms):.0f}, blocks {statistics.median(blocks_ms):.0f})"
            )
            rows.append(
                _row(f"/social report {days}d (rows, business-hours clock, blocks, chart)", report_ms)
            )
        db.dispose()
    for line in rows:
        print(line)
    print(
        ", ".join(summary).format(home=statistics.median(home_ms))
        + f"; medians of {runs} runs, {'PostgreSQL' if database_url else 'SQLite file'},"
        + f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    return rows
