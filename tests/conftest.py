"""Shared fixtures: no internet, a real database per test, the fakes, and a running bot."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.db import Database
from tests.fakes.bluesky_pds import FakeBlueskyPDS
from tests.fakes.graph_api import FakeGraph
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.fakes.youtube_api import FakeYouTube
from tests.harness import IG_ID, PAGE_ID, Bot, settings_for, temporary_schema

# -- a test that tries the internet fails --------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address: Any) -> None:
    if isinstance(address, tuple):
        host = str(address[0])
        if host == "localhost":
            return
        try:
            if ipaddress.ip_address(host.split("%")[0]).is_loopback:
                return
        except ValueError:
            pass
        raise ConnectionRefusedError(f"tests must not reach the network ({host})")


def _connect(self: socket.socket, address: Any) -> None:
    _check(address)
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _connect  # type: ignore[method-assign]
socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]


# -- database ----------------------------------------------------------------------------------


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite file by default; a fresh schema on PostgreSQL when TEST_DATABASE_URL is set."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'inbox.db'}"
        return
    with temporary_schema(base) as url:
        yield url


# -- fakes ---------------------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def x_api() -> Iterator[FakeX]:
    fake = FakeX()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    # The harness's Page and Instagram account exist, so the start-time health check passes and
    # the bot's own replies come "from" the account it is configured with.
    fake = FakeGraph(page_id=PAGE_ID, ig_user_id=IG_ID)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def pds() -> Iterator[FakeBlueskyPDS]:
    fake = FakeBlueskyPDS()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def make_bot(database_url: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph) -> Iterator[Any]:
    """Start bots (several, or one after another to model restarts) on one database."""
    bots: list[Bot] = []

    def start(*, clock: Any = None, **overrides: Any) -> Bot:
        settings = settings_for(database_url=database_url, slack=slack, x_api=x_api, graph=graph, **overrides)
        bot = Bot(settings, slack=slack, clock=clock)
        bots.append(bot)
        bot.start()
        return bot

    yield start
    for bot in bots:
        bot.stop()


@pytest.fixture
def bot(make_bot: Any) -> Bot:
    return make_bot()  # type: ignore[no-any-return]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The real schema on the test's database, without a bot around it."""
    database = Database(url=database_url)
    database.migrate()
    yield database
    database.dispose()
