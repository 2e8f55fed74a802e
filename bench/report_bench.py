"""``python -m bench.report_bench``: the report with 100,000 items in the database.

Seeds a fresh database (SQLite in a temporary file, or ``--database-url``) with ``--items``
items spread over ``--days`` days, three brands, about 70% answered, some owner questions;
then times, in a process that did not seed it, for a 7-day and a 30-day report, each step the command would run: loading the rows
(one query), computing the report, building the blocks, rendering the chart. Prints the
median and worst of ``--runs`` runs next to the 200 ms target; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bot.message_builder.report import report_message
from bot.services.charts import render_chart
from bot.services.reports import build_report
from bot.storage.db import Database
from bot.storage.models import Account, Draft, DraftStatus, Item, ItemState, OwnerQuestion
from bot.storage.reports import load_report_rows

TARGET_MS = 200.0
NOW = datetime(2026, 11, 23, tzinfo=UTC)
PLATFORMS = ("facebook", "instagram", "x")
# The command in a brand's channel, and the weekly job, report one brand: brand-0 of three.
BRAND_0_ACCOUNTS = [(platform, f"0-{platform}") for platform in PLATFORMS]


def seed(db: Database, *, items: int, days: int) -> None:
    rng = random.Random(7)
    with db.session() as session:
        accounts = []
        for brand in range(3):
            for platform in PLATFORMS:
                account = Account(
                    platform=platform, external_id=f"{brand}-{platform}", slack_channel=f"C{brand}"
                )
                session.add(account)
                accounts.append(account)
        session.flush()
        item_rows: list[dict[str, Any]] = []
        draft_rows: list[dict[str, Any]] = []
        question_rows: list[dict[str, Any]] = []
        span = days * 86400
        for n in range(1, items + 1):
            account = rng.choice(accounts)
            received = NOW - timedelta(seconds=rng.randrange(span))
            answered = rng.random() < 0.7
            item_rows.append(
                {
                    "id": n,
                    "platform": account.platform,
                    "external_id": f"c{n}",
                    "account_id": account.id,
                    "received_at": received,
                    "created_at": received,
                    "state": ItemState.REPLIED
                    if answered
                    else rng.choice([ItemState.NEW, ItemState.IGNORED]),
                    "removed": False,
                    "owner_hint": False,
                }
            )
            if answered:
                published = received + timedelta(seconds=rng.lognormvariate(7.5, 1.0))
                draft_rows.append(
                    {
                        "item_id": n,
                        "text": "Thanks!",
                        "author": "U1",
                        "status": DraftStatus.PUBLISHED,
                        "created_at": received,
                        "published_at": published,
                        "attempts": 1,
                    }
                )
            if rng.random() < 0.05:
                asked = received + timedelta(minutes=5)
                done = rng.random() < 0.8
                question_rows.append(
                    {
                        "item_id": n,
                        "question": "price?",
                        "asked_by": "U1",
                        "asked_at": asked,
                        "answered_at": asked + timedelta(minutes=rng.randrange(1, 600)) if done else None,
                        "reminders_sent": 0,
                    }
                )
        for model, rows in ((Item, item_rows), (Draft, draft_rows), (OwnerQuestion, question_rows)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(model), rows[start : start + 5000])
    if not db.is_sqlite:
        # PostgreSQL's autovacuum gathers statistics on a live database; a bulk load has none yet.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def _seed_in_child(url: str, items: int, days: int) -> None:
    db = Database(url=url)
    seed(db, items=items, days=days)
    db.dispose()


def timed(step: Callable[[], Any], runs: int) -> tuple[Any, list[float]]:
    result, samples = None, []
    for _ in range(runs):
        started = time.perf_counter()
        result = step()
        samples.append((time.perf_counter() - started) * 1000)
    return result, samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'report.db'}"
        db = Database(url=url)
        db.migrate()
        started = time.perf_counter()
        # Seeded by another process, so the measuring one holds no more than a bot would.
        child = multiprocessing.get_context("spawn").Process(
            target=_seed_in_child, args=(url, args.items, args.days)
        )
        child.start()
        child.join()
        print(
            f"seeded {args.items:,} items over {args.days} days in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )

        def brand_of(_platform: str, ident: str) -> str:
            return f"brand-{ident.split('-')[0]}"

        for days in (7, 30):
            since = NOW - timedelta(days=days)

            def load(since: datetime = since) -> Any:
                with db.session() as session:
                    return load_report_rows(
                        session, since=since, until=NOW, brand_of=brand_of, accounts=BRAND_0_ACCOUNTS
                    )

            rows, load_ms = timed(load, args.runs)
            report, compute_ms = timed(
                lambda rows=rows, since=since: build_report(
                    rows=rows, period_start=since, period_end=NOW, target=timedelta(hours=1)
                ),
                args.runs,
            )
            _, blocks_ms = timed(lambda report=report: report_message(report), args.runs)
            _, chart_ms = timed(
                lambda report=report: render_chart(report.brands[0], title="brand-0"), args.runs
            )
            total = [sum(parts) for parts in zip(load_ms, compute_ms, blocks_ms, chart_ms, strict=True)]
            print(f"\n{days}-day report of brand-0 (one of three brands): {len(rows):,} items in the period")
            for name, samples in (
                ("load rows (1 query)", load_ms),
                ("compute", compute_ms),
                ("blocks", blocks_ms),
                ("chart PNG", chart_ms),
                ("total", total),
            ):
                print(
                    f"  {name:<22} median {statistics.median(samples):7.1f} ms   worst {max(samples):7.1f} ms"
                )
            verdict = "within" if statistics.median(total) < TARGET_MS else "OVER"
            print(f"  target {TARGET_MS:.0f} ms: {verdict}")
        db.dispose()


if __name__ == "__main__":
    main()
