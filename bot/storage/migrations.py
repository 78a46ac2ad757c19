"""The schema's numbered migrations, one list for both back ends, recorded in `_migrations`.

Each migration is a script run in one transaction. Column types that differ between SQLite
and PostgreSQL are written as placeholders ({id}, {real}, {blob}) that the back end's
`Dialect` fills in; the rest is SQL both run as it is. A database is upgraded in place with
its data, one migration at a time, and every server of a shared database upgrades under one
lock, so two starting at once do not both run a migration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .database import Database, Dialect, Transaction, statements


class Migration:
    """What a migration function is given: its transaction and the back end's dialect."""

    def __init__(self, transaction: Transaction, dialect: Dialect) -> None:
        self.dialect = dialect
        self._transaction = transaction

    def run(self, script: str) -> None:
        # Statement by statement, inside the migration's transaction.
        for statement in statements(script.format_map(self.dialect.types())):
            self._transaction.execute(statement)


def _m001_initial(db: Migration) -> None:
    db.run(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE conversations (
            id {id},
            created_at {real} NOT NULL,
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            question TEXT NOT NULL,
            answered INTEGER NOT NULL,
            kind TEXT NOT NULL,
            score {real} NOT NULL,
            source_id TEXT
        );
        CREATE INDEX conversations_created ON conversations(created_at);
        CREATE TABLE feedback (
            id {id},
            created_at {real} NOT NULL,
            conversation_id INTEGER REFERENCES conversations(id),
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            helpful INTEGER NOT NULL
        );
        CREATE TABLE handovers (
            id {id},
            created_at {real} NOT NULL,
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            question TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        );
        CREATE TABLE deliveries (
            channel TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            created_at {real} NOT NULL,
            PRIMARY KEY (channel, delivery_id)
        );
        CREATE TABLE tokens (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at {real} NOT NULL
        );
        """
    )


def _m002_privacy(db: Migration) -> None:
    # Feedback counts once per conversation and only from its asker: older rows left by
    # anyone else go, then all but the latest vote per conversation.
    db.run(
        """
        DELETE FROM feedback WHERE conversation_id IS NOT NULL AND user_hash <> (
            SELECT c.user_hash FROM conversations c WHERE c.id = feedback.conversation_id
        );
        DELETE FROM feedback WHERE conversation_id IS NOT NULL AND id NOT IN (
            SELECT MAX(id) FROM feedback WHERE conversation_id IS NOT NULL
            GROUP BY conversation_id
        );
        CREATE UNIQUE INDEX feedback_conversation ON feedback(conversation_id);
        ALTER TABLE deliveries ADD COLUMN user_hash TEXT;
        CREATE INDEX conversations_user ON conversations(channel, user_hash);
        CREATE INDEX feedback_user ON feedback(channel, user_hash);
        CREATE INDEX handovers_user ON handovers(channel, user_hash);
        CREATE INDEX handovers_created ON handovers(created_at);
        CREATE INDEX deliveries_user ON deliveries(channel, user_hash)
        """
    )


def _m003_inbox(db: Migration) -> None:
    # A delivery is claimed by a conditional UPDATE on its lease, so that exactly one worker
    # (of any process) answers it; `lease_until` < now means free to take.
    db.run(
        """
        CREATE TABLE inbox (
            channel TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            address TEXT,
            text TEXT,
            received_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_by TEXT,
            lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
            done_at DOUBLE PRECISION,
            outcome TEXT,
            PRIMARY KEY (channel, delivery_id)
        );
        CREATE INDEX inbox_unfinished ON inbox (channel, lease_until) WHERE done_at IS NULL;
        CREATE INDEX inbox_done ON inbox (done_at);
        CREATE INDEX inbox_user ON inbox (channel, user_hash);
        INSERT INTO inbox (channel, delivery_id, user_hash, received_at, done_at, outcome)
            SELECT channel, delivery_id, COALESCE(user_hash, ''), created_at, created_at,
                'sent' FROM deliveries;
        DROP TABLE deliveries;
        """
    )


def _m004_one_open_handover(db: Migration) -> None:
    # Repeated requests join the open one; older duplicates are folded into the first.
    # Requests purged of their user (user_hash '') are nobody's: the rule leaves them out.
    db.run(
        """
        UPDATE handovers SET status = 'joined'
            WHERE status = 'open' AND user_hash <> '' AND id > (
                SELECT MIN(h.id) FROM handovers h
                WHERE h.channel = handovers.channel AND h.user_hash = handovers.user_hash
                    AND h.status = 'open'
            );
        CREATE UNIQUE INDEX handovers_one_open ON handovers (channel, user_hash)
            WHERE status = 'open' AND user_hash <> ''
        """
    )


def _m005_tickets(db: Migration) -> None:
    # A ticket is the reply side of a hand-over request (same id; its status stays in
    # handovers). `address` is the platform address, Fernet-encrypted, NULL once the ticket
    # is closed or `address_until` (the platform's reply window) has passed. Team replies
    # for the web chat wait in web_replies until the browser has fetched them.
    db.run(
        """
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY REFERENCES handovers(id),
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            address TEXT,
            address_until DOUBLE PRECISION,
            turns TEXT NOT NULL DEFAULT '[]',
            last_message_at DOUBLE PRECISION NOT NULL,
            alert_ref TEXT,
            first_reply_at DOUBLE PRECISION,
            reminded_at DOUBLE PRECISION,
            closed_at DOUBLE PRECISION
        );
        CREATE INDEX tickets_user ON tickets (channel, user_hash) WHERE closed_at IS NULL;
        CREATE INDEX tickets_address_until ON tickets (address_until) WHERE address IS NOT NULL;
        CREATE UNIQUE INDEX tickets_alert ON tickets (alert_ref) WHERE alert_ref IS NOT NULL;
        CREATE TABLE ticket_events (
            id {id},
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            at DOUBLE PRECISION NOT NULL,
            kind TEXT NOT NULL,
            actor_hash TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);
        CREATE INDEX ticket_events_at ON ticket_events (at);
        CREATE TABLE web_replies (
            id {id},
            user_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX web_replies_user ON web_replies (user_hash, id);
        CREATE INDEX web_replies_created ON web_replies (created_at)
        """
    )


def _m006_shared_state(db: Migration) -> None:
    # What servers sharing a PostgreSQL database must see alike: each user's rate-limit
    # bucket (keyed by a hash, never an address or a platform id) and each conversation's
    # last turn (masked text only). A single SQLite server keeps both in memory; the tables
    # are made there too, so that both back ends have one schema.
    db.run(
        """
        CREATE TABLE rate_buckets (
            key TEXT PRIMARY KEY,
            tokens {real} NOT NULL,
            updated_at {real} NOT NULL,
            refused_at {real},
            verdict INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at);
        CREATE TABLE conversation_turns (
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            question TEXT NOT NULL,
            source_ids TEXT NOT NULL,
            at {real} NOT NULL,
            PRIMARY KEY (channel, user_hash)
        );
        CREATE INDEX conversation_turns_at ON conversation_turns (at)
        """
    )


def _m007_console_users(db: Migration) -> None:
    # Editors and team members of the web console; a name is one account.
    db.run(
        """
        CREATE TABLE console_users (
            id {id},
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('team', 'editor', 'admin')),
            password_hash TEXT NOT NULL,
            failed_sign_ins INTEGER NOT NULL DEFAULT 0,
            locked_until {real} NOT NULL DEFAULT 0,
            created_at {real} NOT NULL
        )
        """
    )


MIGRATIONS: list[Callable[[Migration], None]] = [
    _m001_initial,
    _m002_privacy,
    _m003_inbox,
    _m004_one_open_handover,
    _m005_tickets,
    _m006_shared_state,
    _m007_console_users,
]


@dataclass(frozen=True)
class Applied:
    name: str
    applied_at: float | None  # None: not applied yet


def _table(db: Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations"
        f" (name TEXT PRIMARY KEY, applied_at {db.dialect.real})"
    )


def upgrade(db: Database, until: str | None = None) -> list[str]:
    """Apply the migrations not applied yet, in order (up to and including `until`);
    the names of those applied now."""
    applied: list[str] = []
    with db.exclusive("cds-bot.migrations"):
        _table(db)
        for migration in MIGRATIONS:
            name = migration.__name__
            with db.transaction() as transaction:
                done = transaction.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,))
                if not done.rows:
                    migration(Migration(transaction, db.dialect))
                    transaction.execute(
                        "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                        (name, time.time()),
                    )
                    applied.append(name)
            if name == until:
                break
    return applied


def status(db: Database) -> list[Applied]:
    """Every migration, with when it was applied (None: pending)."""
    _table(db)
    rows = db.execute("SELECT name, applied_at FROM _migrations").rows
    done = {str(name): float(at or 0) for name, at in rows}
    return [Applied(m.__name__, done.get(m.__name__)) for m in MIGRATIONS]
