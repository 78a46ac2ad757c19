"""The SQLite back end: one file, nothing to set up.

The file and its -wal and -shm companions are readable by their owner only, and deleted rows
are overwritten (secure_delete). The database runs in WAL mode with synchronous=NORMAL: a
commit survives the process being killed (it is in the operating system's cache), which is
what the inbox needs, and costs no fsync, which matters because the store is called from the
event loop (FULL cost 4 ms a commit here). Durable transactions (channel tokens, which must
survive a power cut too) are written with synchronous=FULL.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StorageError
from .database import SQLITE, Database, Result, Transaction

# The store is called from the event loop: a lock held by another process (the CLI) must
# fail fast, not stall every request for sqlite3's default five seconds.
BUSY_TIMEOUT_SECONDS = 0.5

# Named locks of this process, shared by every connection to the same file.
_exclusive: dict[tuple[str, str], threading.Lock] = {}
_exclusive_guard = threading.Lock()


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only, and make an existing one so.
    SQLite gives the -wal and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if stat.S_IMODE(companion.stat().st_mode) & 0o077:
                os.chmod(companion, 0o600)
        except FileNotFoundError:
            pass


def _refused(exc: sqlite3.Error) -> StorageError:
    return StorageError(f"the database refused a write or read: {exc}")


class _SQLiteTransaction(Transaction):
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        try:
            cursor = self._db.execute(sql, tuple(params))
            return Result(cursor.fetchall(), cursor.rowcount)
        except sqlite3.OperationalError as exc:  # locked, disk full, read-only…
            raise _refused(exc) from exc


class SQLiteDatabase(Database):
    """One SQLite file (or ":memory:"), one connection shared under a lock."""

    dialect = SQLITE
    shared = False

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            _private_file(Path(path))
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        # Forgotten and purged text is overwritten on disk, not only unlinked.
        self._db.execute("PRAGMA secure_delete=ON")

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection itself, for tests that must reach below the store."""
        return self._db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        with self._lock:
            try:
                # Rows are all read here: the statement (and its implicit transaction) ends.
                cursor = self._db.execute(sql, tuple(params))
                return Result(cursor.fetchall(), cursor.rowcount)
            except sqlite3.OperationalError as exc:  # locked, disk full, read-only…
                raise _refused(exc) from exc

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[Transaction]:
        with self._lock:
            if durable:
                self._db.execute("PRAGMA synchronous=FULL")
            try:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    raise _refused(exc) from exc
                try:
                    yield _SQLiteTransaction(self._db)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            finally:
                if durable:
                    self._db.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        with _exclusive_guard:
            lock = _exclusive.setdefault((os.path.abspath(self.path), name), threading.Lock())
        with lock:
            yield

    def compact(self) -> None:
        # The old text leaves the WAL too.
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def describe(self) -> str:
        return f"SQLite at {self.path}"

    def close(self) -> None:
        with self._lock:
            self._db.close()
