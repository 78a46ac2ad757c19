"""The PostgreSQL back end: one database shared by every server of the bot.

Connections come from a psycopg_pool.ConnectionPool, in autocommit mode: a statement on its
own commits at once, as on SQLite, and runs at READ COMMITTED, where a conditional UPDATE
re-checks its condition on the row it waited for (so two servers claiming one delivery
cannot both succeed). Named locks are PostgreSQL advisory locks, held by a connection taken
from the pool for as long as the lock is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import StorageError
from .database import POSTGRESQL, Database, Result, Transaction

POOL_SIZE = 8
# Waiting longer than this for a free connection (or a first one) is an outage.
POOL_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5


def _sql(sql: str) -> str:
    """The store's SQL (`?` placeholders) in psycopg's style (`%s`, and `%%` for `%`)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _lock_id(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _refused(exc: Exception) -> StorageError:
    return StorageError(f"the database refused a write or read: {exc}")


def _result(cursor: psycopg.Cursor[Any]) -> Result:
    rows = cursor.fetchall() if cursor.description is not None else []
    return Result(list(rows), cursor.rowcount)


class _PostgresTransaction(Transaction):
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        try:
            return _result(self._connection.execute(_sql(sql), tuple(params)))
        except psycopg.OperationalError as exc:
            raise _refused(exc) from exc


class PostgresDatabase(Database):
    """A PostgreSQL database at a postgresql:// URL."""

    dialect = POSTGRESQL
    shared = True

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self._url = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=POOL_TIMEOUT_SECONDS,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
            open=False,
            name="cds-bot",
        )
        try:
            self._pool.open(wait=True, timeout=POOL_TIMEOUT_SECONDS)
        except PoolTimeout as exc:
            self._pool.close()
            raise StorageError(f"cannot connect to PostgreSQL at {self.describe()}") from exc

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as connection:
                yield connection
        except PoolTimeout as exc:
            raise _refused(exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        with self._connection() as connection:
            try:
                return _result(connection.execute(_sql(sql), tuple(params)))
            except psycopg.OperationalError as exc:
                raise _refused(exc) from exc

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[Transaction]:
        # Every PostgreSQL commit is durable (synchronous_commit is the server's business).
        with self._connection() as connection:
            try:
                with connection.transaction():
                    yield _PostgresTransaction(connection)
            except psycopg.OperationalError as exc:
                raise _refused(exc) from exc

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        key = _lock_id(name)
        with self._connection() as connection:
            try:
                connection.execute("SELECT pg_advisory_lock(%s)", (key,))
            except psycopg.OperationalError as exc:
                raise _refused(exc) from exc
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def compact(self) -> None:
        # Deleted and updated rows are gone from queries at once; VACUUM, which PostgreSQL
        # runs by itself, reclaims their space. Nothing to do from here.
        return None

    def describe(self) -> str:
        try:
            parts = conninfo_to_dict(self._url)
        except psycopg.ProgrammingError:
            return "PostgreSQL (unreadable URL)"
        host = parts.get("host") or "localhost"
        port = parts.get("port") or "5432"
        user = f"{parts['user']}@" if parts.get("user") else ""
        return f"PostgreSQL at {user}{host}:{port}/{parts.get('dbname') or ''}"

    def close(self) -> None:
        self._pool.close()
