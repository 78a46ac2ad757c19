"""SQLite storage: conversations, feedback, hand-overs, seen deliveries and channel tokens.

Personal data is kept to the minimum: users are stored only as a keyed hash of their
platform id, never the id itself, and no names or phone numbers are stored. The schema is
changed only by the numbered migrations below, recorded in `_migrations`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would commit mid-migration; run statement by statement instead.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            question TEXT NOT NULL,
            answered INTEGER NOT NULL,
            kind TEXT NOT NULL,
            score REAL NOT NULL,
            source_id TEXT
        );
        CREATE INDEX conversations_created ON conversations(created_at);
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            conversation_id INTEGER REFERENCES conversations(id),
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            helpful INTEGER NOT NULL
        );
        CREATE TABLE handovers (
            id INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            question TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        );
        CREATE TABLE deliveries (
            channel TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (channel, delivery_id)
        );
        CREATE TABLE tokens (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m001_initial]
DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Stats:
    questions: int
    answered: int
    helpful: int
    unhelpful: int
    open_handovers: int


class Store:
    """One SQLite database; safe to share between threads."""

    def __init__(self, path: Path | str, user_hash_secret: str | None = None) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # tokens must survive a crash
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._secret = (user_hash_secret or self._stored_secret()).encode()

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """The store at CDS_DB_PATH, hashing user ids with CDS_USER_HASH_SECRET if set."""
        secret = settings.user_hash_secret
        return cls(settings.db_path, secret.get_secret_value() if secret else None)

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            done = {row[0] for row in self._db.execute("SELECT name FROM _migrations")}
            for migration in MIGRATIONS:
                if migration.__name__ in done:
                    continue
                self._db.execute("BEGIN")
                migration(self._db)
                self._db.execute(
                    "INSERT INTO _migrations VALUES (?, ?)", (migration.__name__, time.time())
                )
                self._db.execute("COMMIT")

    def _stored_secret(self) -> str:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = 'user_hash_secret'"
            ).fetchone()
            if row:
                return str(row[0])
            secret = secrets.token_hex(32)
            self._db.execute("INSERT INTO meta VALUES ('user_hash_secret', ?)", (secret,))
            return secret

    def user_hash(self, channel: str, user_id: str) -> str:
        """A stable pseudonym for a user; the platform id itself is never stored or logged."""
        digest = hmac.new(self._secret, f"{channel}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def _execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def log_conversation(
        self,
        channel: str,
        user_hash: str,
        question: str,
        answered: bool,
        kind: str,
        score: float,
        source_id: str | None,
    ) -> int:
        cursor = self._execute(
            "INSERT INTO conversations (created_at, channel, user_hash, question, answered, kind,"
            " score, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), channel, user_hash, question, int(answered), kind, score, source_id),
        )
        return int(cursor.lastrowid or 0)

    def add_feedback(
        self, channel: str, user_hash: str, conversation_id: int | None, helpful: bool
    ) -> None:
        exists = (
            conversation_id is not None
            and self._execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        )
        self._execute(
            "INSERT INTO feedback (created_at, conversation_id, channel, user_hash, helpful)"
            " VALUES (?, ?, ?, ?, ?)",
            (time.time(), conversation_id if exists else None, channel, user_hash, int(helpful)),
        )

    def add_handover(self, channel: str, user_hash: str, question: str) -> int:
        cursor = self._execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question) VALUES (?, ?, ?, ?)",
            (time.time(), channel, user_hash, question),
        )
        return int(cursor.lastrowid or 0)

    def open_handovers(self) -> list[dict]:
        rows = self._execute(
            "SELECT id, created_at, channel, user_hash, question FROM handovers"
            " WHERE status = 'open' ORDER BY id"
        ).fetchall()
        keys = ("id", "created_at", "channel", "user_hash", "question")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def last_question(self, channel: str, user_hash: str) -> str | None:
        row = self._execute(
            "SELECT question FROM conversations WHERE channel = ? AND user_hash = ?"
            " ORDER BY id DESC LIMIT 1",
            (channel, user_hash),
        ).fetchone()
        return str(row[0]) if row else None

    def first_delivery(self, channel: str, delivery_id: str) -> bool:
        """Record a platform delivery; False when it was seen before (a retry)."""
        now = time.time()
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?)", (channel, delivery_id, now)
            )
            if cursor.rowcount and int(now) % 100 == 0:
                self._db.execute(
                    "DELETE FROM deliveries WHERE created_at < ?", (now - DELIVERY_MEMORY_SECONDS,)
                )
            return cursor.rowcount == 1

    def get_token(self, name: str) -> str | None:
        row = self._execute("SELECT value FROM tokens WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_tokens(self, values: dict[str, str]) -> None:
        """Save several tokens in one durable transaction (all or nothing)."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for name, value in values.items():
                    self._db.execute(
                        "INSERT INTO tokens VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE"
                        " SET value = excluded.value, updated_at = excluded.updated_at",
                        (name, value, now),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def stats(self, since: float = 0.0) -> Stats:
        questions, answered = self._execute(
            "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM conversations WHERE created_at >= ?",
            (since,),
        ).fetchone()
        helpful, unhelpful = self._execute(
            "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM feedback"
            " WHERE created_at >= ?",
            (since,),
        ).fetchone()
        (open_handovers,) = self._execute(
            "SELECT COUNT(*) FROM handovers WHERE status = 'open'"
        ).fetchone()
        return Stats(questions, answered, helpful, unhelpful, open_handovers)

    def by_channel(self, since: float = 0.0) -> list[tuple[str, int, int]]:
        """(channel, questions, answered) since a time, busiest channel first."""
        rows = self._execute(
            "SELECT channel, COUNT(*), SUM(answered) FROM conversations WHERE created_at >= ?"
            " GROUP BY channel ORDER BY COUNT(*) DESC",
            (since,),
        ).fetchall()
        return [(str(c), int(n), int(a or 0)) for c, n, a in rows]

    def top_unanswered(self, since: float = 0.0, limit: int = 10) -> list[tuple[str, int]]:
        """The questions the bot declined most often: what the knowledge base lacks."""
        rows = self._execute(
            "SELECT question FROM conversations WHERE answered = 0 AND created_at >= ?", (since,)
        ).fetchall()
        counts = Counter(" ".join(str(q).lower().split()) for (q,) in rows)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def close_handover(self, handover_id: int) -> bool:
        """Mark a hand-over request handled; False when there is no such open request."""
        cursor = self._execute(
            "UPDATE handovers SET status = 'closed' WHERE id = ? AND status = 'open'",
            (handover_id,),
        )
        return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def unanswered_questions(self, since: float, until: float | None = None) -> list[dict]:
        """Questions asked in [since, until) that the bot declined or that got a 👎, oldest
        first: id, created_at, channel, question and why ("declined" or "unhelpful")."""
        period = "c.created_at >= ?" + (" AND c.created_at < ?" if until is not None else "")
        rows = self._execute(
            "SELECT c.id, c.created_at, c.channel, c.question,"
            " CASE WHEN c.answered = 0 THEN 'declined' ELSE 'unhelpful' END"
            " FROM conversations c"
            f" WHERE {period} AND (c.answered = 0 OR EXISTS (SELECT 1 FROM feedback f"
            " WHERE f.conversation_id = c.id AND f.helpful = 0))"
            " ORDER BY c.created_at, c.id",
            (since,) if until is None else (since, until),
        ).fetchall()
        keys = ("id", "created_at", "channel", "question", "why")
        return [dict(zip(keys, row, strict=True)) for row in rows]
