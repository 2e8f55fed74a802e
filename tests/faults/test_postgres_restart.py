"""PostgreSQL restarted under load: nothing the bot acknowledged is lost, nothing shown twice.

Runs a PRIVATE PostgreSQL (initdb and pg_ctl in a temporary directory, on a free port) so it
can be stopped without touching the shared one. Only when TEST_DATABASE_URL says the suite
runs on PostgreSQL, and only where the server binaries are installed.
"""

from __future__ import annotations

import glob
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlmodel import col, select

from bot.storage.models import Item, ItemGroup
from tests.fakes.graph_api import FakeGraph
from tests.fakes.meta_webhooks import signed_headers
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import APP_SECRET, Bot, facebook_comment, settings_for
from tests.process import free_port

BURST = 24
RESTART_AFTER = 8


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="pgfault-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(self.root, user="postgres")
        self._pg(f"{self.bin}/initdb -D {self.data} -A trust -U postgres")

    def _pg(self, command: str) -> None:
        # The server refuses to run as root: as the `postgres` user, like .ci/run does.
        argv = (
            ["su", "postgres", "-s", "/bin/bash", "-c", command]
            if os.geteuid() == 0
            else shlex.split(command)
        )
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def _options(self) -> str:
        return f"'-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off'"

    def start(self) -> None:
        self._pg(f"{self.bin}/pg_ctl -D {self.data} -l {self.root}/log -w -o {self._options()} start")

    def restart(self) -> None:
        """An immediate stop (no shutdown checkpoint, as after a crash), then a start."""
        self._pg(f"{self.bin}/pg_ctl -D {self.data} -m immediate -w stop")
        self.start()

    def stop(self) -> None:
        try:
            self._pg(f"{self.bin}/pg_ctl -D {self.data} -m immediate -w stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL fault test: set TEST_DATABASE_URL to run the suite on PostgreSQL")
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("PostgreSQL fault test: no initdb/pg_ctl under /usr/lib/postgresql/*/bin")
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        pytest.skip(
            "PostgreSQL fault test: needs root (to run the server as `postgres`) or the postgres user"
        )
    server = PrivatePostgres(bin_dir)
    for attempt in range(3):
        try:
            server.start()
            break
        except subprocess.CalledProcessError:
            # The free port we picked may have been taken by another test worker meanwhile.
            if attempt == 2:
                raise
            server.port = free_port()
            server.url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres"
    yield server
    server.stop()


@pytest.mark.timeout(300)
def test_postgres_restarted_mid_burst_loses_nothing_acknowledged(
    private_postgres: PrivatePostgres, slack: FakeSlack, x_api: FakeX, graph: FakeGraph
) -> None:
    settings = settings_for(
        database_url=private_postgres.url, slack=slack, x_api=x_api, graph=graph, http_timeout_seconds=3
    )
    bot = Bot(settings, slack=slack)
    bot.start()
    try:
        acknowledged: list[str] = []
        for n in range(1, BURST + 1):
            if n == RESTART_AFTER:
                private_postgres.restart()
            body = json.dumps(facebook_comment(graph, n=n, text=f"question {n}", author_name="Jane")).encode()
            try:
                answer = requests.post(
                    bot.url + "/webhooks/meta",
                    data=body,
                    timeout=10,
                    headers=signed_headers(body, APP_SECRET),
                )
            except requests.RequestException:
                continue
            if answer.status_code == 200:
                acknowledged.append(f"555_{n}")
        assert len(acknowledged) >= BURST - 3, acknowledged  # at most the requests that met the restart

        # Each acknowledged delivery was committed before its 200; it becomes an item right after.
        bot.ingested(timeout=120)
        with bot.runtime.db.session() as session:
            stored = {
                external_id: item_id
                for external_id, item_id in session.exec(select(Item.external_id, Item.id))
            }
        assert set(acknowledged) <= set(stored), sorted(set(acknowledged) - set(stored))

        def shown() -> list[str]:
            return [m["text"].split()[0] for m in bot.item_messages()]

        def grouped() -> set[str]:
            # A busy channel lists comments in a grouped message (one line each) instead of one message each.
            with bot.runtime.db.session() as session:
                rows = session.exec(
                    select(Item.id)
                    .join(ItemGroup, col(ItemGroup.id) == col(Item.group_id))
                    .where(col(ItemGroup.ts).is_not(None))
                ).all()
            return {f"#{item_id}" for item_id in rows}

        every = {f"#{item_id}" for item_id in stored.values()}
        slack.wait_for(
            lambda: every <= set(shown()) | grouped(), timeout=120, message="every stored item in Slack"
        )
        assert len(shown()) == len(set(shown())), shown()  # none twice
    finally:
        bot.stop()
