"""Connection adapters: one small interface over SQLite and PostgreSQL.

The journal writes its SQL once, with ``?`` placeholders. :class:`SqliteBackend`
passes it to :mod:`sqlite3` unchanged; :class:`PostgresBackend` rewrites the
placeholders to ``%s`` for psycopg 3. Both run in autocommit mode and open
transactions explicitly through :meth:`Backend.locked`, which first takes the
journal's single writer lock:

* SQLite: ``BEGIN IMMEDIATE`` (the database's reserved lock) on a WAL-mode file
  with a 30 s busy timeout, and the whole transaction retried while SQLite
  still reports ``database is locked``;
* PostgreSQL: ``SELECT pg_advisory_xact_lock(ADVISORY_LOCK_KEY)``, released by
  the commit or rollback.

Errors are left as the driver raised them; :mod:`workbench.journal.store`
turns them into ``JournalError`` where that helps the user.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "ADVISORY_LOCK_KEY",
    "BUSY_TIMEOUT_SECONDS",
    "Backend",
    "PostgresBackend",
    "SqliteBackend",
    "connect",
    "is_postgres_url",
]

T = TypeVar("T")

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a writer waits for the lock before giving up."""

ADVISORY_LOCK_KEY = 0x6A6F75726E616C
"""PostgreSQL advisory lock key of the journal writer lock (the bytes of ``journal``)."""

_POSTGRES_PREFIXES = ("postgresql://", "postgres://")

Params = Sequence[Any]


def is_postgres_url(target: object) -> bool:
    """Whether ``target`` is a PostgreSQL connection URL rather than a file path."""
    return isinstance(target, str) and target.startswith(_POSTGRES_PREFIXES)


class Backend:
    """What the journal needs from a database connection (see the two subclasses)."""

    dialect: str = ""
    url: str = ""

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement (``?`` placeholders) and discard any result."""
        raise NotImplementedError

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders) and return all rows as tuples."""
        raise NotImplementedError

    def locked(self, work: Callable[[Backend], T]) -> T:
        """Run ``work(self)`` in one transaction holding the writer lock; commit; return its result.

        Any exception rolls the transaction back and propagates.
        """
        raise NotImplementedError

    def transaction(self) -> Any:
        """Context manager: one transaction holding the writer lock, committed at the end of the block.

        Used for batches (many appends, all or nothing); an exception rolls everything back.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection (idempotent)."""
        raise NotImplementedError


class SqliteBackend(Backend):
    """A SQLite file in WAL mode (created with its parent folders if missing)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.url = str(path)
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
        )
        self.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        self._retry(lambda: self.query("PRAGMA journal_mode = WAL"))
        self.execute("PRAGMA foreign_keys = ON")

    @property
    def conn(self) -> sqlite3.Connection:
        """The open sqlite3 connection (raises once closed)."""
        if self._conn is None:
            raise sqlite3.ProgrammingError("the journal is closed")
        return self._conn

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement and discard any result."""
        self.conn.execute(sql, tuple(params))

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return all rows."""
        return list(self.conn.execute(sql, tuple(params)).fetchall())

    def locked(self, work: Callable[[Backend], T]) -> T:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, retried while the file is locked."""

        def attempt() -> T:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(self)
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt)

    @contextmanager
    def transaction(self) -> Iterator[Backend]:
        """``BEGIN IMMEDIATE`` (waiting while the file is locked) … ``COMMIT`` around the block."""
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _retry(action: Callable[[], T]) -> T:
        """Run ``action`` again (with a short random back-off) while SQLite says the file is locked."""
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                transient = "locked" in str(exc) or "busy" in str(exc)
                if not transient or time.monotonic() >= deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))

    def close(self) -> None:
        """Close the file."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresBackend(Backend):
    """A PostgreSQL database reached through psycopg 3."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg  # imported here so SQLite users never load it

        self.url = url
        self._conn: Any = psycopg.connect(url, autocommit=True)

    @property
    def conn(self) -> Any:
        """The open psycopg connection (raises once closed)."""
        if self._conn is None:
            raise RuntimeError("the journal is closed")
        return self._conn

    @staticmethod
    def adapt(sql: str) -> str:
        """Rewrite ``?`` placeholders to psycopg's ``%s`` (a literal ``%`` becomes ``%%``)."""
        return sql.replace("%", "%%").replace("?", "%s")

    def _run(self, sql: str, params: Params) -> Any:
        if params:
            return self.conn.execute(self.adapt(sql), tuple(params))
        return self.conn.execute(sql)

    def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement and discard any result."""
        self._run(sql, params)

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return all rows."""
        return list(self._run(sql, params).fetchall())

    def locked(self, work: Callable[[Backend], T]) -> T:
        """One transaction that first takes ``pg_advisory_xact_lock(ADVISORY_LOCK_KEY)``."""
        with self.transaction():
            return work(self)

    @contextmanager
    def transaction(self) -> Iterator[Backend]:
        """A transaction holding the advisory writer lock around the block."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            yield self

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def connect(target: str | Path) -> Backend:
    """A backend for a file path (SQLite) or a ``postgresql://`` / ``postgres://`` URL."""
    if is_postgres_url(target):
        return PostgresBackend(str(target))
    return SqliteBackend(Path(target).expanduser())
