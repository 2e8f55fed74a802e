"""``python -m bench inbox-scale``: `/social inbox` with 1,000,000 items, 100,000 of them open (issue 10).

Seeds a fresh database (SQLite in a temp dir, or a fresh schema on ``--database-url``) with
``--items`` items over a year, ``--open`` of them open and scattered among the closed ones, across
three brands (a Facebook Page, an Instagram account and an X account each, from a brands file);
a share of the open ones claimed by the person asking, some waiting for the owner, some filtered
as likely spam. Rows go in 20,000 at a time in one transaction: Core executemany on SQLite, COPY on
PostgreSQL.

Then, on the bot's own runtime (built, not started: no jobs compete), times what the command does
before it answers: the service call and the Block Kit build (`bot.handlers.commands` `_inbox`),
for no filter, ``mine``, ``waiting``, a platform, a brand's channel and page 50; and the whole
signed slash command through the real Bolt app, to the answer arriving at the fake Slack's
response_url. Prints median and worst of ``--runs`` runs next to the 50 ms target, and the query
plans; asserts nothing.
"""

from __future__ import annotations

import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt.request import BoltRequest
from sqlalchemy import Connection, insert, text

from bench.answer_quickly import _database
from bench.brands_bench import brands_file
from bot.handlers.commands import HANDLERS, Command
from bot.runtime import Runtime, build_runtime
from bot.services.items import InboxFilter, Items
from bot.storage.db import Database
from bot.storage.models import Account, Item, ItemKind, ItemState, OwnerQuestion
from tests.fakes.base import forbid_network
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import command_body, settings_for, slack_headers

TARGET_MS = 50.0
BRANDS = 3
PLATFORMS = ("facebook", "instagram", "x")
USER = "U0BENCH"  # the person typing the command; claims some open items
OTHERS = ("U0ALICE", "U0BOB", "U0CAROL")
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
CHUNK = 20_000
_CALLS = itertools.count()  # response_url names
OPEN_STATES = (
    [ItemState.NEW] * 12 + [ItemState.CLAIMED] * 4 + [ItemState.DRAFT, ItemState.SCHEDULED, ItemState.FAILED]
)
CLOSED_STATES = [ItemState.REPLIED] * 6 + [ItemState.IGNORED] * 3 + [ItemState.SPAM]
# (label, command text, channel): the channel decides the brand scope, as in Slack.
CASES = (
    ("no filter (DM: every brand, grouped)", "inbox", "D0BENCH"),
    ("mine", "inbox mine", "D0BENCH"),
    ("waiting for owner", "inbox waiting", "D0BENCH"),
    ("platform (x)", "inbox x", "D0BENCH"),
    ("a brand's channel", "inbox", "C0BRAND00"),
    ("page 50", "inbox page 50", "D0BENCH"),
)


def seed(db: Database, *, items: int, open_items: int) -> dict[str, int]:
    """Bulk-insert the items; returns how many of each interesting kind there are."""
    rng = random.Random(10)
    with db.session() as session:
        accounts = []
        for brand in range(BRANDS):
            for platform in PLATFORMS:
                account = Account(platform=platform, external_id=f"{brand}-{platform}", slack_channel="C")
                session.add(account)
                accounts.append((account, f"brand-{brand}"))
        session.flush()
        account_rows = [(a.id, a.platform, key) for a, key in accounts]
    opened = set(rng.sample(range(1, items + 1), min(open_items, items)))
    counts = {"mine": 0, "waiting": 0, "spam": 0}
    start = NOW - timedelta(days=365)
    step = 365 * 86400 / max(items, 1)
    with db.engine.begin() as connection:
        for first in range(1, items + 1, CHUNK):
            rows: list[dict[str, Any]] = []
            questions: list[dict[str, Any]] = []
            for n in range(first, min(first + CHUNK, items + 1)):
                account_id, platform, brand_key = account_rows[n % len(account_rows)]
                received = start + timedelta(seconds=n * step)
                is_open = n in opened
                state = rng.choice(OPEN_STATES) if is_open else rng.choice(CLOSED_STATES)
                claimed = None
                if state != ItemState.NEW:
                    claimed = USER if rng.random() < 0.1 else rng.choice(OTHERS)
                spam = is_open and state == ItemState.NEW and rng.random() < 0.03
                rows.append(
                    {
                        "id": n,
                        "platform": platform,
                        "external_id": f"c{n:08d}",
                        "account_id": account_id,
                        "brand_key": brand_key,
                        "author_id": str(n % 5000),
                        "author_name": f"Customer {n % 5000}",
                        "author_handle": f"customer{n % 5000}",
                        "author_url": "",
                        "text": "Do you ship to Lisbon? Love the new bikes & <!channel> pings stay text.",
                        "url": f"https://example.com/{n}",
                        "created_at": received,
                        "received_at": received,
                        "removed": False,
                        "state": state.value,
                        "claimed_by": claimed,
                        "owner_hint": False,
                        "kind": ItemKind.QUESTION.value,
                        "sentiment": 0.0,
                        "kind_reasons": "question mark",
                        "spam": spam,
                        "spam_reasons": "link only" if spam else "",
                    }
                )
                if is_open and not spam:
                    counts["mine"] += claimed == USER
                # Owner questions: unanswered on 1% of the open items, answered on 2% of the rest.
                if (is_open and rng.random() < 0.01) or (not is_open and rng.random() < 0.02):
                    waiting = is_open and not spam
                    counts["waiting"] += waiting
                    questions.append(
                        {
                            "item_id": n,
                            "question": "Do we ship to Lisbon?",
                            "asked_by": OTHERS[0],
                            "asked_at": received,
                            "answered_at": None if is_open else received + timedelta(hours=1),
                            "answer": None if is_open else "Yes",
                            "reminders_sent": 0,
                        }
                    )
                counts["spam"] += spam
            _insert(connection, Item, rows, postgres=not db.is_sqlite)
            if questions:
                _insert(connection, OwnerQuestion, questions, postgres=not db.is_sqlite)
    if not db.is_sqlite:
        # A bulk load has no statistics or visibility map yet; autovacuum would make them later.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return counts


def _insert(connection: Connection, model: Any, rows: list[dict[str, Any]], *, postgres: bool) -> None:
    """Core executemany on SQLite (one prepared statement); COPY on PostgreSQL, ~5x its executemany."""
    if not postgres:
        connection.execute(insert(model), rows)
        return
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _timed(step: Callable[[], Any], runs: int) -> list[float]:
    step()  # the first run pays SQL compilation and the page cache, as a bot's first command did
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _cell(samples: list[float]) -> str:
    median = statistics.median(samples)
    verdict = "" if median <= TARGET_MS else " — OVER"
    return f"**{median:.1f} ms** (worst {max(samples):.1f}){verdict}"


def _explain(db: Database, items: Items, where: InboxFilter) -> None:
    """The plans of the count and the page, as the database chose them."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = sqlite.dialect() if db.is_sqlite else postgresql.dialect()  # type: ignore[no-untyped-call]
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    for name, statement in items.inbox_statements(where=where, page_size=40).items():
        compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            plan = connection.execute(text(prefix + str(compiled))).all()
        print(f"    {name}:")
        for row in plan:
            print(f"      {row[-1]}")


def run(
    *, items: int = 1_000_000, open_items: int = 100_000, runs: int = 9, database_url: str | None = None
) -> list[str]:
    print(f"\n== inbox at scale (issue 10): /social inbox with {items:,} items, {open_items:,} open")
    with (
        forbid_network(),
        tempfile.TemporaryDirectory(prefix="inbox-scale-") as tmp_name,
        FakeSlack() as slack,
        FakeX() as x_api,
        FakeGraph() as graph,
        _database(database_url, tmp_name) as url,
    ):
        tmp = Path(tmp_name)
        brands_file(tmp / "brands.yml", count=BRANDS)
        settings = settings_for(
            database_url=url, slack=slack, x_api=x_api, graph=graph, brands_file=tmp / "brands.yml"
        )
        runtime = build_runtime(settings)  # migrates; never started: no jobs, no relay
        try:
            started = time.perf_counter()
            counts = seed(runtime.db, items=items, open_items=open_items)
            label = "SQLite file" if runtime.db.is_sqlite else "PostgreSQL"
            print(
                f"  seeded {items:,} items ({open_items:,} open; {counts['mine']:,} claimed by the asker, "
                f"{counts['waiting']:,} waiting for the owner, {counts['spam']:,} likely spam) "
                f"in {time.perf_counter() - started:.1f} s ({label})"
            )
            rows = _measure(runtime, slack, runs=runs)
        finally:
            runtime.db.dispose()
    return [
        f"`/social inbox` with {items:,} items ({open_items:,} open), {label}, median of {runs} runs",
        "",
        "| case | target | service + blocks | signed command through Bolt, to the answer |",
        "|---|---|---|---|",
        *rows,
    ]


def _measure(runtime: Runtime, slack: FakeSlack, *, runs: int) -> list[str]:
    services = runtime.services
    rows = []
    for n, (label, words, channel) in enumerate(CASES):
        command = Command(words)
        body = {"channel_id": channel, "user_id": USER}

        def direct(command: Command = command, body: dict[str, Any] = body) -> Any:
            return HANDLERS["inbox"](services, command, USER, body)

        blocks = direct()
        direct_ms = _timed(direct, runs)

        def through_bolt(words: str = words, channel: str = channel, n: int = n) -> None:
            name = f"scale{n}-{next(_CALLS)}"
            raw = command_body(slack, words, user=USER, name=name, channel=channel)
            headers = slack_headers(raw, content_type="application/x-www-form-urlencoded")
            response = runtime.bolt.dispatch(
                BoltRequest(body=raw.decode(), headers={k.lower(): [v] for k, v in headers.items()})
            )
            assert response.status == 200, response.body
            slack.wait_for(lambda: slack.responses(name), timeout=30)

        bolt_ms = _timed(through_bolt, runs)
        header = blocks[0]["text"]["text"] if blocks else ""
        print(f"  {label:<40} service+blocks {_cell(direct_ms)}; via Bolt {_cell(bolt_ms)}")
        print(f"    first block: {header[:110]}")
        rows.append(
            f"| `/social {words}` — {label} | ≤ {TARGET_MS:.0f} ms | {_cell(direct_ms)} | {_cell(bolt_ms)} |"
        )
    print("  query plans (count, page) for no filter, mine, waiting, platform:")
    for where in (
        InboxFilter(),
        InboxFilter(claimed_by=USER),
        InboxFilter(waiting_owner=True),
        InboxFilter(platform="x"),
    ):
        print(f"  {where}")
        _explain(runtime.db, services.items, where)
    return rows
