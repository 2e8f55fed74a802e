"""Alembic upgrades an empty database and one made before Alembic, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, insert, inspect, select, text
from sqlmodel import SQLModel

from bot.storage import models  # noqa: F401  (the tables the database must match)
from bot.storage.db import Database, alembic_config, head_revision
from tests.storage import legacy_schema

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(url=database_url)
    yield database
    database.dispose()


def _diffs(engine: Engine, metadata: MetaData) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# One row in every table of the schema from before Alembic, with every column set.
LEGACY_ROWS: dict[str, list[dict[str, Any]]] = {
    "account": [{"id": 1, "platform": "x", "external_id": "42", "name": "Shop", "slack_channel": "C1"}],
    "pollcursor": [{"key": "x:mentions", "since_id": "1700", "updated_at": AT}],
    "userprofile": [{"user_id": "U1", "tz": "Europe/Paris", "fetched_at": AT}],
    "item": [
        {
            "id": 1,
            "platform": "x",
            "external_id": "1800",
            "account_id": 1,
            "author_id": "9",
            "author_name": "Jane <!channel> & co",
            "author_handle": "jane",
            "author_url": "https://x.com/jane",
            "text": "where is my order? \u202e😀",
            "url": "https://x.com/jane/status/1800",
            "parent_external_id": None,
            "conversation_id": "1800",
            "root_item_id": None,
            "created_at": AT,
            "received_at": AT,
            "edited_at": None,
            "removed": False,
            "state": "draft",
            "claimed_by": "U1",
            "owner_hint": False,
        },
        {
            "id": 2,
            "platform": "x",
            "external_id": "1801",
            "account_id": 1,
            "author_id": "9",
            "author_name": "Jane",
            "author_handle": "jane",
            "author_url": "",
            "text": "also",
            "url": "",
            "parent_external_id": "1800",
            "conversation_id": "1800",
            "root_item_id": 1,
            "created_at": AT,
            "received_at": AT,
            "edited_at": AT,
            "removed": True,
            "state": "new",
            "claimed_by": None,
            "owner_hint": True,
        },
    ],
    "auditevent": [{"id": 1, "item_id": 1, "actor": "U1", "action": "claim", "detail": "", "at": AT}],
    "draft": [
        {
            "id": 1,
            "item_id": 1,
            "text": "It ships today.",
            "author": "U1",
            "status": "approved",
            "created_at": AT,
            "decided_by": "U2",
            "decided_at": AT,
            "reason": None,
            "send_at": AT,
            "scheduled_by": "U2",
            "slack_ts": "1700000000.000100",
            "attempts": 1,
            "next_attempt_at": AT,
            "claimed_until": None,
            "published_id": None,
            "published_url": None,
            "published_at": None,
            "last_error": "timeout",
        }
    ],
    "itemmessage": [{"item_id": 1, "channel": "C1", "ts": "1.1", "thread_ts": "1.1", "posted_at": AT}],
    "ownerquestion": [
        {
            "id": 1,
            "item_id": 1,
            "question": "Refund?",
            "asked_by": "U1",
            "asked_at": AT,
            "dm_channel": "D1",
            "dm_ts": "2.2",
            "answer": None,
            "answered_at": None,
            "reminders_sent": 2,
            "next_reminder_at": AT,
        }
    ],
    "slacktask": [
        {
            "id": 1,
            "kind": "update_item",
            "item_id": 1,
            "ref_id": 1,
            "text": "",
            "blocks_json": "[]",
            "done": False,
            "attempts": 3,
            "not_before": AT,
            "claimed_until": AT,
            "last_error": "ratelimited",
            "created_at": AT,
        }
    ],
    "schemaversion": [{"id": 1, "version": 1}],
}


def _make_legacy_database(engine: Engine, *, version: int = 1) -> None:
    """What a process of the code before Alembic left behind."""
    rows = {**LEGACY_ROWS, "schemaversion": [{"id": 1, "version": version}]}
    with engine.begin() as connection:
        legacy_schema.metadata.create_all(connection)
        for table in legacy_schema.metadata.sorted_tables:
            connection.execute(insert(table), rows[table.name])


def _utc(value: Any) -> Any:
    # SQLite hands back the naive UTC time it stored; PostgreSQL an aware one.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _rows(engine: Engine, table_name: str) -> list[dict[str, Any]]:
    table = legacy_schema.metadata.tables[table_name]
    with engine.connect() as connection:
        result = connection.execute(select(table).order_by(*table.primary_key.columns))
        return [{key: _utc(value) for key, value in row._mapping.items()} for row in result]


def test_an_empty_database_is_upgraded_to_head_and_matches_the_models(db: Database) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"revisions must form one line, found heads {heads}"
    assert db.migrate() == head_revision()

    # A model change without a revision shows up here as a difference.
    assert _diffs(db.engine, SQLModel.metadata) == []
    assert "schemaversion" not in inspect(db.engine).get_table_names()
    if not db.is_sqlite:
        with db.engine.connect() as connection:
            # The URL's search_path names the schema; Alembic's bookkeeping must land there, not in
            # public (other tests' schemas on the same database have their own copies).
            where = connection.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables WHERE table_name = 'alembic_version'"
                    " AND table_schema IN (current_schema(), 'public')"
                )
            ).scalars()
            assert list(where) == [connection.execute(text("SELECT current_schema()")).scalar()]


def test_revision_0001_is_the_schema_from_before_alembic(db: Database) -> None:
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")

    assert _diffs(db.engine, legacy_schema.metadata) == []


def test_a_database_from_before_alembic_is_stamped_and_upgraded_keeping_every_row(db: Database) -> None:
    _make_legacy_database(db.engine)

    assert db.migrate() == head_revision()

    assert _revision(db.engine) == head_revision()
    for table in legacy_schema.metadata.sorted_tables:
        if table.name != "schemaversion":
            assert _rows(db.engine, table.name) == LEGACY_ROWS[table.name], table.name
    # Brands (revision 0005_brands): a single-brand database's items all belong to `default`.
    with db.engine.connect() as connection:
        brands = connection.execute(text("SELECT id, brand_key FROM item ORDER BY id")).all()
    assert [tuple(row) for row in brands] == [(row["id"], "default") for row in LEGACY_ROWS["item"]]
    # Its job passed to alembic_version (revision 0002 drops it).
    assert "schemaversion" not in inspect(db.engine).get_table_names()
    assert _diffs(db.engine, SQLModel.metadata) == []


def test_a_schemaversion_it_does_not_know_stops_the_start_and_changes_nothing(db: Database) -> None:
    _make_legacy_database(db.engine, version=7)

    with pytest.raises(RuntimeError, match="unknown schemaversion 7"):
        db.migrate()

    tables = set(inspect(db.engine).get_table_names())
    assert "alembic_version" not in tables
    assert "schemaversion" in tables
    assert _rows(db.engine, "item") == LEGACY_ROWS["item"]


def test_migrating_twice_changes_nothing(db: Database) -> None:
    db.migrate()
    with db.engine.begin() as connection:
        connection.execute(insert(legacy_schema.metadata.tables["account"]), LEGACY_ROWS["account"])

    assert db.migrate() == head_revision()

    assert _rows(db.engine, "account") == LEGACY_ROWS["account"]
    assert _diffs(db.engine, SQLModel.metadata) == []


@pytest.mark.parametrize("legacy", [False, True], ids=["empty", "before-alembic"])
def test_two_processes_migrating_at_once_both_succeed(database_url: str, legacy: bool) -> None:
    if legacy:
        before = Database(url=database_url)  # the same engine settings (WAL on SQLite) as back then
        _make_legacy_database(before.engine)
        before.dispose()
    # Each migrator has its own engine, as two processes would; they start together.
    databases = [Database(url=database_url) for _ in range(2)]
    start = threading.Barrier(len(databases))
    results: list[str] = []
    errors: list[BaseException] = []

    def run(database: Database) -> None:
        start.wait()
        try:
            results.append(database.migrate())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results == [head_revision()] * 2
    assert _diffs(databases[0].engine, SQLModel.metadata) == []
    if legacy:
        assert _rows(databases[0].engine, "item") == LEGACY_ROWS["item"]
    for database in databases:
        database.dispose()
