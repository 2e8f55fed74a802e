"""Engine, sessions and the schema, which Alembic upgrades at start (bot/storage/migrations/)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Where a database made by the home-made migrator (its `schemaversion` says 1) stands in Alembic.
LEGACY_REVISION = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings built in code, so the bot runs from any directory without alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class StoreGone(Exception):
    """The database file was deleted or replaced under the running bot: nothing can be kept."""


class Database:
    def __init__(self, *, url: str, connect_timeout: float = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # The file a SQLite URL names, and its identity once open: a file deleted or replaced
        # under a running bot keeps answering through the old handle while nothing is kept.
        database = make_url(url).database if self.is_sqlite else None
        self._sqlite_path = database if database and database != ":memory:" else None
        self._sqlite_inode: int | None = None
        if self.is_sqlite:
            # Threads of one process share the engine; WAL lets readers run beside one writer.
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10, max_overflow=20
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            # libpq's connect_timeout: a server that accepts TCP but never answers must not hang us.
            self.engine = create_engine(
                url,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                connect_args={"connect_timeout": max(2, int(connect_timeout))},
            )
        # SQLite takes one writer at a time and makes the others sleep and retry (1 ms up to
        # 100 ms a try). Sessions of one process take turns on a lock instead, so a waiting
        # writer goes next rather than after its next nap. Re-entrant: a session opened
        # inside another on the same thread must not wait on itself.
        self._turn: AbstractContextManager[object] = threading.RLock() if self.is_sqlite else nullcontext()

    def migrate(self) -> str:
        """Upgrade the schema to Alembic's head; safe to run from several processes at once."""
        with self.engine.begin() as connection:
            # One migrator at a time across processes; the others wait, then find nothing to do.
            if self.is_sqlite:
                # pysqlite opens no transaction for DDL by itself; take SQLite's write lock now.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.execute(text("SELECT pg_advisory_xact_lock(4242)"))
            config = alembic_config(connection)
            _stamp_legacy(connection, config)
            command.upgrade(config, "head")
            revision = MigrationContext.configure(connection).get_current_revision()
        log.info("db.migrated revision=%s", revision)
        return revision or ""

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._turn, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except Exception:
                session.rollback()
                raise

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in a transaction, committed on success: for hot paths that run a
        prebuilt statement or two and load no objects (an ORM session costs more than they do)."""
        with self._turn, self.engine.begin() as connection:
            yield connection

    def ping(self) -> bool:
        if not self.file_is_ours():
            log.error("db.ping_failed reason=sqlite_file_gone path=%s", self._sqlite_path)
            return False
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            log.exception("db.ping_failed")
            return False

    def file_is_ours(self) -> bool:
        """False when the SQLite file this process opened was deleted or replaced under it.

        Writes then still succeed, into a file nobody will open again: a caller that promises
        "stored" checks this first (a stat, no query). Always True on PostgreSQL.
        """
        return self._sqlite_path is None or self._sqlite_file_is_ours()

    def _sqlite_file_is_ours(self) -> bool:
        try:
            inode = os.stat(self._sqlite_path or "").st_ino
        except OSError:
            return False
        if self._sqlite_inode is None:
            self._sqlite_inode = inode
        return inode == self._sqlite_inode

    def dispose(self) -> None:
        self.engine.dispose()


def _stamp_legacy(connection: Connection, config: Config) -> None:
    """A database from before Alembic: record that it already has revision 0001's tables."""
    tables = set(inspect(connection).get_table_names())
    if "schemaversion" not in tables or "alembic_version" in tables:
        return
    version = connection.execute(text("SELECT version FROM schemaversion WHERE id = 1")).scalar()
    if version != 1:
        raise RuntimeError(f"unknown schemaversion {version!r}; expected 1 from before Alembic")
    command.stamp(config, LEGACY_REVISION)
    log.info("db.stamped_legacy revision=%s", LEGACY_REVISION)


_WAL_ATTEMPTS = 600  # 30 s, as long as the busy timeout


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL is a property of the file and stays once set. Setting it needs the file to itself, and
    # SQLite answers "locked" at once, without the busy timeout, when another connection holds
    # a write (a second process starting while the first migrates a new file): try again then.
    for attempt in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
