"""Engine, sessions and the schema: created at start, then migrated step by step."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, create_engine

from bot.storage import models

log = logging.getLogger(__name__)


def _create_all(connection: Connection) -> None:
    SQLModel.metadata.create_all(connection)


# Ordered schema steps. A later change appends a function (ALTER TABLE …) with the
# next number; a database records the last step it ran in `schemaversion`.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _create_all),
]


class Database:
    def __init__(self, *, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # Threads of one process share the engine; WAL lets readers run beside one writer.
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10, max_overflow=20
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        # SQLite takes one writer at a time and makes the others sleep and retry (1 ms up to
        # 100 ms a try). Sessions of one process take turns on a lock instead, so a waiting
        # writer goes next rather than after its next nap. Re-entrant: a session opened
        # inside another on the same thread must not wait on itself.
        self._turn: AbstractContextManager[object] = threading.RLock() if self.is_sqlite else nullcontext()

    def migrate(self) -> int:
        """Bring the schema up to date; safe to run from several processes at once."""
        with self.engine.begin() as connection:
            if not self.is_sqlite:
                # One migrator at a time across processes.
                connection.execute(text("SELECT pg_advisory_xact_lock(4242)"))
            SQLModel.metadata.create_all(connection, tables=[models.SchemaVersion.__table__])  # type: ignore[attr-defined]
            row = connection.execute(text("SELECT version FROM schemaversion WHERE id = 1")).first()
            current = row[0] if row else 0
            for version, step in MIGRATIONS:
                if version > current:
                    step(connection)
                    current = version
            if row:
                connection.execute(text("UPDATE schemaversion SET version = :v WHERE id = 1"), {"v": current})
            else:
                connection.execute(
                    text("INSERT INTO schemaversion (id, version) VALUES (1, :v)"), {"v": current}
                )
        log.info("db.migrated version=%s", current)
        return current

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

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            log.exception("db.ping_failed")
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
