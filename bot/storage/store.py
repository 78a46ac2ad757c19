"""The store: what the bot keeps (conversations, feedback, hand-overs, the inbox of platform
deliveries, channel tokens), asked for in the bot's own terms ("log this answer", "claim this
delivery"), on SQLite or PostgreSQL (bot/storage/database.py).

Personal data is kept to the minimum: users are stored only as a keyed hash of their
platform id, never the id itself; the keys live outside the database (see `bot.keys`).
Channel tokens are encrypted with a second key from the same place. The schema is changed
only by the numbered migrations of bot/storage/migrations.py, run when the store opens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ..keys import KeyFileError, Keys, given_keys, key_file_for, load_keys
from ..settings import Settings
from .database import Database
from .exclusive import Exclusive
from .migrations import upgrade
from .sqlite import SQLiteDatabase

log = logging.getLogger(__name__)


# Finished deliveries are remembered this long, past any platform's retries.
DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600
ENCRYPTED = "fernet:"  # prefix of an encrypted token value; older databases hold plain text


@dataclass(frozen=True)
class Delivery:
    """A platform delivery in the inbox, as a worker claimed it."""

    channel: str
    delivery_id: str
    user_hash: str
    address: str | None  # what the channel needs to reply; erased once answered
    text: str | None  # None: not a text message
    attempts: int  # claims so far, this one included


@dataclass(frozen=True)
class TicketRow:
    """A ticket as stored: its hand-over request and what replying to it needs."""

    id: int
    created_at: float
    channel: str
    user_hash: str
    question: str
    status: str  # the hand-over's: 'open', 'closed'
    turns: str  # JSON list of the citizen's previous (masked) questions
    last_message_at: float
    has_address: bool
    address_until: float | None
    first_reply_at: float | None
    reminded_at: float | None
    closed_at: float | None


@dataclass(frozen=True)
class TicketEvent:
    """Something done about a ticket: a team reply, a close, a reminder."""

    at: float
    kind: str
    actor_hash: str
    text: str
    outcome: str


_TICKET_COLUMNS = (
    "t.id, h.created_at, t.channel, t.user_hash, h.question, h.status, t.turns,"
    " t.last_message_at, t.address IS NOT NULL, t.address_until, t.first_reply_at,"
    " t.reminded_at, t.closed_at"
)


def _ticket(row: Sequence) -> TicketRow:
    return TicketRow(
        int(row[0]),
        float(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        str(row[6]),
        float(row[7]),
        bool(row[8]),
        None if row[9] is None else float(row[9]),
        None if row[10] is None else float(row[10]),
        None if row[11] is None else float(row[11]),
        None if row[12] is None else float(row[12]),
    )


@dataclass(frozen=True)
class Purged:
    questions: int
    handovers: int


@dataclass(frozen=True)
class Forgotten:
    conversations: int
    feedback: int
    handovers: int
    deliveries: int


@dataclass(frozen=True)
class ConsoleUser:
    """An account of the editors' console."""

    id: int
    name: str
    role: str  # team, editor or admin
    password_hash: str
    failed_sign_ins: int
    locked_until: float
    created_at: float


_CONSOLE_USER = (
    "SELECT id, name, role, password_hash, failed_sign_ins, locked_until, created_at"
    " FROM console_users"
)


@dataclass(frozen=True)
class Stats:
    questions: int
    answered: int
    helpful: int
    unhelpful: int
    open_handovers: int


class Store:
    """The bot's database, on SQLite or PostgreSQL; safe to share between threads."""

    def __init__(
        self,
        path: Path | str | Database,
        user_hash_secret: str | None = None,
        token_key: str | None = None,
        key_file: Path | None = None,
    ) -> None:
        """Open (or create) the database: a SQLite file at `path`, or the `Database` given,
        and upgrade it. Keys not given come from `key_file`, by default beside the SQLite
        file (an in-memory database gets throwaway keys)."""
        self._db = path if isinstance(path, Database) else SQLiteDatabase(path)
        upgrade(self._db)
        memory = str(path) == ":memory:"
        if memory and key_file is None:
            keys = Keys(
                (user_hash_secret or secrets.token_hex(32)).encode(),
                Fernet(token_key.encode() if token_key else Fernet.generate_key()),
            )
        elif key_file is None and isinstance(path, Database):
            if user_hash_secret is None or token_key is None:
                raise KeyFileError(
                    "Every server sharing a database needs the same keys: set "
                    "CDS_USER_HASH_SECRET and CDS_TOKEN_KEY, or CDS_KEY_FILE to a copy of one "
                    "key file on each server."
                )
            keys = given_keys(user_hash_secret, token_key)
        else:
            where = key_file or key_file_for(str(path))
            keys = self._load_keys(where, user_hash_secret, token_key)
        self._secret = keys.user_hash
        self._fernet = keys.token
        self._encrypt_plain_tokens()

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """The store at CDS_DATABASE_URL (PostgreSQL) or else CDS_DB_PATH (SQLite), with its
        keys from the environment or CDS_KEY_FILE."""
        secret, token_key = settings.user_hash_secret, settings.token_key
        return cls(
            _open(settings),
            secret.get_secret_value() if secret else None,
            token_key.get_secret_value() if token_key else None,
            settings.key_file
            or (None if settings.database_url else key_file_for(settings.db_path)),
        )

    @property
    def database(self) -> Database:
        return self._db

    @property
    def shared(self) -> bool:
        """Whether other servers share this database (and so its state)."""
        return self._db.shared

    def describe(self) -> str:
        return self._db.describe()

    def exclusive(self, name: str) -> Exclusive:
        """Held by one holder at a time across every server sharing the database (on SQLite:
        across this process); usable with `with` and, from the event loop, `async with`."""
        return Exclusive(self._db.exclusive(name))

    def _load_keys(
        self, key_file: Path, user_hash_secret: str | None, token_key: str | None
    ) -> Keys:
        # Older versions kept the user-hash key in the meta table: it moves to the key file
        # (so existing hashes still match) and leaves the database.
        row = self._db.execute("SELECT value FROM meta WHERE key = 'user_hash_secret'").fetchone()
        keys = load_keys(key_file, user_hash_secret, token_key, str(row[0]) if row else None)
        if row:
            self._db.execute("DELETE FROM meta WHERE key = 'user_hash_secret'")
            self._db.compact()
            log.info("moved the user-hash key out of the database into %s", key_file)
        return keys

    def _encrypt_plain_tokens(self) -> None:
        rows = self._db.execute(
            "SELECT name, value FROM tokens WHERE value NOT LIKE ?", (ENCRYPTED + "%",)
        ).fetchall()
        if rows:
            self.set_tokens({str(name): str(value) for name, value in rows})
            self._db.compact()
            log.info("encrypted %d channel token(s) stored in plain text", len(rows))

    def user_hash(self, channel: str, user_id: str) -> str:
        """A stable pseudonym for a user; the platform id itself is never stored or logged."""
        digest = hmac.new(self._secret, f"{channel}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

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
        cursor = self._db.execute(
            "INSERT INTO conversations (created_at, channel, user_hash, question, answered, kind,"
            " score, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (time.time(), channel, user_hash, question, int(answered), kind, score, source_id),
        )
        return int(cursor.rows[0][0])

    def add_feedback(
        self, channel: str, user_hash: str, conversation_id: int, helpful: bool
    ) -> bool:
        """Record the asker's vote on their conversation; a second vote replaces the first.
        False (nothing recorded) when the conversation is not this user's."""
        cursor = self._db.execute(
            "INSERT INTO feedback (created_at, conversation_id, channel, user_hash, helpful)"
            " SELECT ?, id, channel, user_hash, ? FROM conversations"
            " WHERE id = ? AND channel = ? AND user_hash = ? AND user_hash <> ''"
            " ON CONFLICT(conversation_id) DO UPDATE"
            " SET helpful = excluded.helpful, created_at = excluded.created_at",
            (time.time(), int(helpful), conversation_id, channel, user_hash),
        )
        return cursor.rowcount == 1

    def conversation_question(
        self, channel: str, user_hash: str, conversation_id: int
    ) -> str | None:
        """The question of one of this user's conversations; None when it is not theirs."""
        row = self._db.execute(
            "SELECT question FROM conversations"
            " WHERE id = ? AND channel = ? AND user_hash = ? AND user_hash <> ''",
            (conversation_id, channel, user_hash),
        ).fetchone()
        return str(row[0]) if row else None

    def add_handover(self, channel: str, user_hash: str, question: str) -> int:
        """Record a request for a person; the id of the user's open request if they have one."""
        return self.request_handover(channel, user_hash, question)[0]

    def request_handover(
        self, channel: str, user_hash: str, question: str, cooldown: float = 0.0
    ) -> tuple[int, bool]:
        """Record a request for a person: (its id, True), or (the id of the user's open request
        or of one made within `cooldown` seconds, False) which it joins."""
        now = time.time()
        recent = self._db.execute(
            "SELECT id FROM handovers WHERE channel = ? AND user_hash = ?"
            " AND (status = 'open' OR created_at >= ?) ORDER BY id DESC LIMIT 1",
            (channel, user_hash, now - cooldown),
        ).fetchone()
        if recent:
            return int(recent[0]), False
        # The unique index on open requests decides between two racing writers.
        row = self._db.execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (channel, user_hash)"
            " WHERE status = 'open' AND user_hash <> '' DO NOTHING RETURNING id",
            (now, channel, user_hash, question),
        ).fetchone()
        if row:
            return int(row[0]), True
        (existing,) = self._db.execute(
            "SELECT id FROM handovers WHERE channel = ? AND user_hash = ? AND status = 'open'",
            (channel, user_hash),
        ).rows[0]
        return int(existing), False

    def open_handovers(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT id, created_at, channel, user_hash, question FROM handovers"
            " WHERE status = 'open' ORDER BY id"
        ).fetchall()
        keys = ("id", "created_at", "channel", "user_hash", "question")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def last_question(self, channel: str, user_hash: str) -> str | None:
        row = self._db.execute(
            "SELECT question FROM conversations WHERE channel = ? AND user_hash = ?"
            " ORDER BY id DESC LIMIT 1",
            (channel, user_hash),
        ).fetchone()
        return str(row[0]) if row else None

    def recent_questions(
        self, channel: str, user_hash: str, since: float, limit: int
    ) -> list[tuple[str, bool]]:
        """A user's last `limit` questions asked since `since`, oldest first, as
        (question, answered) pairs of their stored (masked) text."""
        rows = self._db.execute(
            "SELECT question, answered FROM conversations WHERE channel = ? AND user_hash = ?"
            " AND user_hash <> '' AND created_at >= ? AND question <> ''"
            " ORDER BY id DESC LIMIT ?",
            (channel, user_hash, since, limit),
        ).fetchall()
        return [(str(q), bool(a)) for q, a in reversed(rows)]

    # Tickets: the reply side of hand-over requests. The platform address is encrypted with
    # the token key and erased when the ticket closes or its reply window ends.

    def _seal(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode()

    def open_ticket(
        self,
        ticket_id: int,
        channel: str,
        user_hash: str,
        address: str,
        address_until: float,
        turns: str,
        now: float,
    ) -> None:
        """Open the ticket of hand-over `ticket_id`, or, if open already, bring its address
        and the citizen's last message time up to date."""
        self._db.execute(
            "INSERT INTO tickets (id, channel, user_hash, address, address_until, turns,"
            " last_message_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET address = excluded.address,"
            " address_until = excluded.address_until, last_message_at = excluded.last_message_at"
            " WHERE tickets.closed_at IS NULL",
            (ticket_id, channel, user_hash, self._seal(address), address_until, turns, now),
        )

    def citizen_wrote(
        self, channel: str, user_hash: str, address: str, address_until: float, now: float
    ) -> int | None:
        """Note a new message of a citizen with an open ticket (the reply window starts
        again); the ticket's id, or None when they have none."""
        row = self._db.execute(
            "SELECT id FROM tickets WHERE channel = ? AND user_hash = ? AND closed_at IS NULL"
            " AND user_hash <> ''",
            (channel, user_hash),
        ).fetchone()
        if row is None:
            return None
        self._db.execute(
            "UPDATE tickets SET address = ?, address_until = ?, last_message_at = ?"
            " WHERE id = ? AND closed_at IS NULL",
            (self._seal(address), address_until, now, row[0]),
        )
        return int(row[0])

    def ticket(self, ticket_id: int) -> TicketRow | None:
        row = self._db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets t JOIN handovers h ON h.id = t.id"
            " WHERE t.id = ?",
            (ticket_id,),
        ).fetchone()
        return _ticket(row) if row else None

    def open_tickets(self) -> list[TicketRow]:
        """Every open ticket, oldest first."""
        rows = self._db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets t JOIN handovers h ON h.id = t.id"
            " WHERE t.closed_at IS NULL AND h.status = 'open' ORDER BY t.id"
        ).fetchall()
        return [_ticket(row) for row in rows]

    def ticket_address(self, ticket_id: int) -> str | None:
        """The platform address of an open ticket, decrypted; None when erased."""
        row = self._db.execute(
            "SELECT address FROM tickets WHERE id = ? AND closed_at IS NULL", (ticket_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            return self._fernet.decrypt(str(row[0]).encode()).decode()
        except InvalidToken:
            log.error(
                "the address of ticket %d cannot be decrypted with the current key", ticket_id
            )
            return None

    def note_ticket_alert(self, ticket_id: int, alert_ref: str) -> None:
        """Remember which team-chat message announced a ticket, so replies to it find it."""
        self._db.execute("UPDATE tickets SET alert_ref = ? WHERE id = ?", (alert_ref, ticket_id))

    def ticket_by_alert(self, alert_ref: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM tickets WHERE alert_ref = ?", (alert_ref,)
        ).fetchone()
        return int(row[0]) if row else None

    def log_ticket_event(
        self,
        ticket_id: int,
        kind: str,
        actor_hash: str,
        text: str,
        outcome: str,
        now: float,
    ) -> None:
        """Record what was done about a ticket; a delivered reply is its first reply once."""
        with self._db.transaction() as transaction:
            transaction.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, actor_hash, text,"
                " outcome) VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, now, kind, actor_hash, text, outcome),
            )
            if kind == "reply" and outcome == "sent":
                transaction.execute(
                    "UPDATE tickets SET first_reply_at = COALESCE(first_reply_at, ?) WHERE id = ?",
                    (now, ticket_id),
                )

    def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        """What was done about a ticket, oldest first."""
        rows = self._db.execute(
            "SELECT at, kind, actor_hash, text, outcome FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        ).fetchall()
        return [TicketEvent(float(a), str(k), str(w), str(t), str(o)) for a, k, w, t, o in rows]

    def close_ticket(self, ticket_id: int, now: float) -> bool:
        """Close a hand-over request and its ticket, erasing the address; False when there
        is no such open request."""
        with self._db.transaction() as transaction:
            closed = transaction.execute(
                "UPDATE handovers SET status = 'closed' WHERE id = ? AND status = 'open'",
                (ticket_id,),
            ).rowcount
            transaction.execute(
                "UPDATE tickets SET closed_at = ?, address = NULL, address_until = NULL"
                " WHERE id = ? AND closed_at IS NULL",
                (now, ticket_id),
            )
        return closed == 1

    def erase_expired_addresses(self, now: float) -> list[int]:
        """Erase the addresses whose reply window has ended; the ids of those tickets."""
        rows = self._db.execute(
            "UPDATE tickets SET address = NULL WHERE address IS NOT NULL"
            " AND address_until < ? RETURNING id",
            (now,),
        ).fetchall()
        return sorted(int(row[0]) for row in rows)

    def tickets_to_remind(self, opened_before: float) -> list[TicketRow]:
        """Open tickets opened before `opened_before` that no one has answered, and whose
        citizen has not been reminded yet and can still be reached."""
        rows = self._db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets t JOIN handovers h ON h.id = t.id"
            " WHERE t.closed_at IS NULL AND h.status = 'open' AND t.first_reply_at IS NULL"
            " AND t.reminded_at IS NULL AND t.address IS NOT NULL AND h.created_at < ?"
            " ORDER BY t.id",
            (opened_before,),
        ).fetchall()
        return [_ticket(row) for row in rows]

    def mark_ticket_reminded(self, ticket_id: int, now: float) -> None:
        self._db.execute("UPDATE tickets SET reminded_at = ? WHERE id = ?", (now, ticket_id))

    def add_web_reply(self, user_hash: str, text: str, now: float) -> int:
        """Keep a team reply for a web chat visitor until their browser fetches it."""
        cursor = self._db.execute(
            "INSERT INTO web_replies (user_hash, text, created_at) VALUES (?, ?, ?) RETURNING id",
            (user_hash, text, now),
        )
        return int(cursor.one()[0])

    def web_replies(self, user_hash: str, after: int) -> list[tuple[int, str, float]]:
        """The replies waiting for a web chat visitor past `after`, the last id they have
        seen; the ones up to it are erased (the browser has them)."""
        self._db.execute(
            "DELETE FROM web_replies WHERE user_hash = ? AND id <= ?", (user_hash, after)
        )
        rows = self._db.execute(
            "SELECT id, text, created_at FROM web_replies WHERE user_hash = ? AND id > ?"
            " ORDER BY id",
            (user_hash, after),
        ).fetchall()
        return [(int(i), str(t), float(c)) for i, t, c in rows]

    def has_open_ticket(self, channel: str, user_hash: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM tickets WHERE channel = ? AND user_hash = ? AND closed_at IS NULL"
            " AND user_hash <> ''",
            (channel, user_hash),
        ).fetchone()
        return row is not None

    # The inbox. Every statement is one atomic conditional write: the database, not process
    # memory, decides who answers a delivery.

    def inbox_add(
        self,
        channel: str,
        delivery_id: str,
        user_hash: str,
        address: str | None,
        text: str | None,
        owner: str | None,
        lease_until: float,
    ) -> bool:
        """Record a new delivery (claimed by `owner` when given); False if it is known."""
        cursor = self._db.execute(
            "INSERT INTO inbox (channel, delivery_id, user_hash, address, text, received_at,"
            " attempts, claimed_by, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, delivery_id) DO NOTHING",
            (
                channel,
                delivery_id,
                user_hash,
                address,
                text,
                time.time(),
                1 if owner else 0,
                owner,
                lease_until,
            ),
        )
        return cursor.rowcount == 1

    def inbox_claim(
        self, channel: str, delivery_id: str, owner: str, lease_until: float
    ) -> Delivery | None:
        """Take an unfinished delivery whose lease has run out; None if done or held."""
        row = self._db.execute(
            "UPDATE inbox SET claimed_by = ?, lease_until = ?, attempts = attempts + 1"
            " WHERE channel = ? AND delivery_id = ? AND done_at IS NULL AND lease_until < ?"
            " RETURNING channel, delivery_id, user_hash, address, text, attempts",
            (owner, lease_until, channel, delivery_id, time.time()),
        ).fetchone()
        return Delivery(*row) if row else None

    def inbox_claimable(self, channel: str, limit: int) -> list[str]:
        """Unfinished deliveries of a channel nobody holds, oldest first."""
        rows = self._db.execute(
            "SELECT delivery_id FROM inbox WHERE channel = ? AND done_at IS NULL"
            " AND lease_until < ? ORDER BY received_at LIMIT ?",
            (channel, time.time(), limit),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def inbox_renew(self, owner: str, lease_until: float) -> int:
        """Extend the leases of every delivery `owner` is working on."""
        cursor = self._db.execute(
            "UPDATE inbox SET lease_until = ? WHERE claimed_by = ? AND done_at IS NULL",
            (lease_until, owner),
        )
        return cursor.rowcount

    def inbox_release(self, channel: str, delivery_id: str, retry_at: float) -> None:
        """Give a delivery back, to be taken again from `retry_at` on."""
        self._db.execute(
            "UPDATE inbox SET claimed_by = NULL, lease_until = ?"
            " WHERE channel = ? AND delivery_id = ? AND done_at IS NULL",
            (retry_at, channel, delivery_id),
        )

    def inbox_finish(self, channel: str, delivery_id: str, outcome: str) -> None:
        """Mark a delivery answered (or given up) and erase what it held about the user."""
        self._db.execute(
            "UPDATE inbox SET done_at = ?, outcome = ?, address = NULL, text = NULL,"
            " claimed_by = NULL WHERE channel = ? AND delivery_id = ? AND done_at IS NULL",
            (time.time(), outcome, channel, delivery_id),
        )

    def inbox_unfinished(self, channel: str | None = None) -> int:
        """How many deliveries wait for their reply (of one channel, or all)."""
        if channel is None:
            row = self._db.execute("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL").one()
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM inbox WHERE channel = ? AND done_at IS NULL", (channel,)
            ).one()
        return int(row[0])

    def inbox_forget(self, before: float) -> int:
        """Drop finished deliveries older than `before`: past any platform's retries."""
        return self._db.execute("DELETE FROM inbox WHERE done_at < ?", (before,)).rowcount

    def get_token(self, name: str) -> str | None:
        """A channel token, decrypted; None when unset or no longer readable."""
        row = self._db.execute("SELECT value FROM tokens WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        value = str(row[0])
        if not value.startswith(ENCRYPTED):
            return value
        try:
            return self._fernet.decrypt(value.removeprefix(ENCRYPTED).encode()).decode()
        except InvalidToken:
            # The key file was lost or replaced: the token must be set up again.
            log.error("the stored token %s cannot be decrypted with the current key", name)
            return None

    def set_tokens(self, values: dict[str, str]) -> None:
        """Save several tokens in one durable transaction (all or nothing)."""
        now = time.time()
        with self._db.transaction(durable=True) as transaction:  # must survive a power cut
            for name, value in values.items():
                encrypted = ENCRYPTED + self._fernet.encrypt(value.encode()).decode()
                transaction.execute(
                    "INSERT INTO tokens (name, value, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT(name) DO UPDATE"
                    " SET value = excluded.value, updated_at = excluded.updated_at",
                    (name, encrypted, now),
                )

    # State that servers sharing the database must see alike (on SQLite, the bot keeps these
    # in process memory instead: bot/limits.py and bot/conversation.py).

    def take_token(
        self, key: str, rate: float, burst: float, quiet: float, now: float
    ) -> tuple[bool, float, bool]:
        """Take a token from `key`'s bucket, refilled at `rate` a second up to `burst`, in one
        statement: (allowed, tokens left, first refusal of a flood quiet for `quiet` s)."""
        refill = (
            "CASE WHEN b.tokens + (excluded.updated_at - b.updated_at) * ? >= ? THEN ?"
            " ELSE b.tokens + (excluded.updated_at - b.updated_at) * ? END"
        )
        given = (rate, burst, burst, rate)
        row = self._db.execute(
            "INSERT INTO rate_buckets AS b (key, tokens, updated_at, refused_at, verdict)"
            " VALUES (?, ?, ?, NULL, 0) ON CONFLICT (key) DO UPDATE SET"
            f" tokens = CASE WHEN {refill} >= 1 THEN {refill} - 1 ELSE {refill} END,"
            " updated_at = excluded.updated_at,"
            f" refused_at = CASE WHEN {refill} >= 1 THEN b.refused_at"
            " ELSE excluded.updated_at END,"
            f" verdict = CASE WHEN {refill} >= 1 THEN 0"
            " WHEN b.refused_at IS NULL OR excluded.updated_at - b.refused_at >= ? THEN 2"
            " ELSE 1 END"
            " RETURNING tokens, verdict",
            (key, burst - 1, now, *given * 3, *given, *given, quiet),
        ).one()
        tokens, verdict = float(row[0]), int(row[1])
        return verdict == 0, tokens, verdict == 2

    def forget_buckets(self, prefix: str, before: float) -> int:
        """Drop the buckets of `prefix` untouched since `before` (full again by then)."""
        return self._db.execute(
            "DELETE FROM rate_buckets WHERE key LIKE ? AND updated_at < ?",
            (prefix + "%", before),
        ).rowcount

    def save_turn(
        self, channel: str, user_hash: str, question: str, source_ids: Sequence[str], at: float
    ) -> None:
        """Keep a conversation's last turn (its masked question and the entries it used)."""
        self._db.execute(
            "INSERT INTO conversation_turns (channel, user_hash, question, source_ids, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, user_hash) DO UPDATE SET"
            " question = excluded.question, source_ids = excluded.source_ids, at = excluded.at",
            (channel, user_hash, question, json.dumps(list(source_ids)), at),
        )

    def last_turn(
        self, channel: str, user_hash: str, since: float
    ) -> tuple[str, tuple[str, ...]] | None:
        """A conversation's last turn, if it was taken at `since` or later."""
        row = self._db.execute(
            "SELECT question, source_ids FROM conversation_turns"
            " WHERE channel = ? AND user_hash = ? AND at >= ?",
            (channel, user_hash, since),
        ).fetchone()
        return (str(row[0]), tuple(json.loads(row[1]))) if row else None

    def forget_turns(self, channel: str | None, user_hash: str | None, before: float) -> int:
        """Drop one conversation's last turn (channel and user given), or every turn taken
        before `before`."""
        if channel is not None and user_hash is not None:
            return self._db.execute(
                "DELETE FROM conversation_turns WHERE channel = ? AND user_hash = ?",
                (channel, user_hash),
            ).rowcount
        return self._db.execute("DELETE FROM conversation_turns WHERE at < ?", (before,)).rowcount

    def stats(self, since: float = 0.0) -> Stats:
        questions, answered = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM conversations WHERE created_at >= ?",
            (since,),
        ).one()
        helpful, unhelpful = self._db.execute(
            "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM feedback"
            " WHERE created_at >= ?",
            (since,),
        ).one()
        (open_handovers,) = self._db.execute(
            "SELECT COUNT(*) FROM handovers WHERE status = 'open'"
        ).one()
        return Stats(
            int(questions), int(answered), int(helpful), int(unhelpful), int(open_handovers)
        )

    def by_channel(self, since: float = 0.0) -> list[tuple[str, int, int]]:
        """(channel, questions, answered) since a time, busiest channel first."""
        rows = self._db.execute(
            "SELECT channel, COUNT(*), SUM(answered) FROM conversations WHERE created_at >= ?"
            " GROUP BY channel ORDER BY COUNT(*) DESC",
            (since,),
        ).fetchall()
        return [(str(c), int(n), int(a or 0)) for c, n, a in rows]

    def top_unanswered(self, since: float = 0.0, limit: int = 10) -> list[tuple[str, int]]:
        """The questions the bot declined most often: what the knowledge base lacks."""
        rows = self._db.execute(
            "SELECT question FROM conversations"
            " WHERE answered = 0 AND created_at >= ? AND question <> ''",
            (since,),
        ).fetchall()
        counts = Counter(" ".join(str(q).lower().split()) for (q,) in rows)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def close_handover(self, handover_id: int) -> bool:
        """Mark a hand-over request handled (its ticket's address erased); False when there
        is no such open request."""
        return self.close_ticket(handover_id, time.time())

    def purge(self, before: float) -> Purged:
        """Blank the text and the user's pseudonym of questions and hand-over requests made
        before `before` (epoch seconds); the rows stay, so the counts of reports stay."""
        now = time.time()
        with self._db.transaction() as transaction:
            questions = transaction.execute(
                "UPDATE conversations SET question = '', user_hash = ''"
                " WHERE created_at < ? AND (question <> '' OR user_hash <> '')",
                (before,),
            ).rowcount
            handovers = transaction.execute(
                "UPDATE handovers SET question = '', user_hash = ''"
                " WHERE created_at < ? AND (question <> '' OR user_hash <> '')",
                (before,),
            ).rowcount
            transaction.execute(
                "UPDATE feedback SET user_hash = '' WHERE created_at < ? AND user_hash <> ''",
                (before,),
            )
            transaction.execute(
                "UPDATE tickets SET turns = '[]', user_hash = '' WHERE id IN"
                " (SELECT id FROM handovers WHERE created_at < ?)"
                " AND (turns <> '[]' OR user_hash <> '')",
                (before,),
            )
            transaction.execute(
                "UPDATE ticket_events SET text = '', actor_hash = ''"
                " WHERE at < ? AND (text <> '' OR actor_hash <> '')",
                (before,),
            )
            transaction.execute("DELETE FROM web_replies WHERE created_at < ?", (before,))
            transaction.execute(
                "DELETE FROM inbox WHERE done_at < ?", (now - DELIVERY_MEMORY_SECONDS,)
            )
        self._db.compact()
        return Purged(questions, handovers)

    def forget(self, channel: str, user_hash: str) -> Forgotten:
        """Erase everything stored about one user of a channel."""
        who = (channel, user_hash)
        with self._db.transaction() as transaction:
            feedback = transaction.execute(
                "DELETE FROM feedback WHERE (channel = ? AND user_hash = ?)"
                " OR conversation_id IN"
                " (SELECT id FROM conversations WHERE channel = ? AND user_hash = ?)",
                who + who,
            ).rowcount
            transaction.execute(
                "DELETE FROM ticket_events WHERE ticket_id IN"
                " (SELECT id FROM tickets WHERE channel = ? AND user_hash = ?)",
                who,
            )
            transaction.execute(
                "DELETE FROM tickets WHERE channel = ? AND user_hash = ?"
                " OR id IN (SELECT id FROM handovers WHERE channel = ? AND user_hash = ?)",
                who + who,
            )
            if channel == "api":
                transaction.execute("DELETE FROM web_replies WHERE user_hash = ?", (user_hash,))
            counts = [
                transaction.execute(
                    f"DELETE FROM {table} WHERE channel = ? AND user_hash = ?", who
                ).rowcount
                for table in ("conversations", "handovers", "inbox", "conversation_turns")
            ]
        self._db.compact()
        return Forgotten(counts[0], feedback, counts[1], counts[2])

    def close(self) -> None:
        self._db.close()

    def unanswered_questions(self, since: float, until: float | None = None) -> list[dict]:
        """Questions asked in [since, until) that the bot declined or that got a 👎, oldest
        first: id, created_at, channel, question and why ("declined" or "unhelpful")."""
        period = "c.created_at >= ?" + (" AND c.created_at < ?" if until is not None else "")
        rows = self._db.execute(
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

    # Reports: read-only figures for [start, end) in epoch seconds. Plain SQL that a
    # PostgreSQL back end can run as it is, so both back ends count the same rows.

    def questions_per_span(self, spans: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
        """(questions, answered) asked in each [start, end) span, in the order given."""
        if not spans:
            return []
        # A table of spans joined to the rows: exact at every boundary, and empty days count
        # zero (grouping by an expression of created_at would need FLOOR, which SQLite lacks).
        values = ", ".join("(?, ?, ?)" for _ in spans)
        params = tuple(x for i, (start, end) in enumerate(spans) for x in (i, start, end))
        rows = self._db.execute(
            f"WITH spans(n, span_start, span_end) AS (VALUES {values})"
            " SELECT spans.n, COUNT(c.id), COALESCE(SUM(c.answered), 0) FROM spans"
            " LEFT JOIN conversations c"
            " ON c.created_at >= spans.span_start AND c.created_at < spans.span_end"
            " GROUP BY spans.n ORDER BY spans.n",
            params,
        ).fetchall()
        return [(int(questions), int(answered)) for _, questions, answered in rows]

    def questions_per_channel(self, start: float, end: float) -> list[tuple[str, int, int]]:
        """(channel, questions, answered) asked in [start, end), busiest channel first."""
        rows = self._db.execute(
            "SELECT channel, COUNT(*), COALESCE(SUM(answered), 0) FROM conversations"
            " WHERE created_at >= ? AND created_at < ? GROUP BY channel"
            " ORDER BY COUNT(*) DESC, channel",
            (start, end),
        ).fetchall()
        return [(str(c), int(n), int(a)) for c, n, a in rows]

    def answers_per_source(self, start: float, end: float) -> list[tuple[str | None, int]]:
        """(source id or None, answers) for the questions answered in [start, end)."""
        rows = self._db.execute(
            "SELECT source_id, COUNT(*) FROM conversations"
            " WHERE answered = 1 AND created_at >= ? AND created_at < ? GROUP BY source_id",
            (start, end),
        ).fetchall()
        return [(None if s is None else str(s), int(n)) for s, n in rows]

    def declined_questions(self, start: float, end: float) -> list[str]:
        """The questions the bot declined in [start, end) whose text is kept, oldest first."""
        rows = self._db.execute(
            "SELECT question FROM conversations WHERE answered = 0 AND question <> ''"
            " AND created_at >= ? AND created_at < ? ORDER BY created_at, id",
            (start, end),
        ).fetchall()
        return [str(q) for (q,) in rows]

    def feedback_counts(self, start: float, end: float) -> tuple[int, int]:
        """(helpful, not helpful) feedback given in [start, end)."""
        helpful, unhelpful = self._db.execute(
            "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM feedback"
            " WHERE created_at >= ? AND created_at < ?",
            (start, end),
        ).one()
        return int(helpful), int(unhelpful)

    def handovers_between(
        self, start: float, end: float
    ) -> list[tuple[int, float, str, str, float | None, float | None]]:
        """(id, created_at, channel, status now, first reply, closed) of the hand-overs
        requested in [start, end); the times are None where no ticket recorded them."""
        rows = self._db.execute(
            "SELECT h.id, h.created_at, h.channel, h.status, t.first_reply_at, t.closed_at"
            " FROM handovers h LEFT JOIN tickets t ON t.id = h.id"
            " WHERE h.created_at >= ? AND h.created_at < ? ORDER BY h.created_at, h.id",
            (start, end),
        ).fetchall()
        return [
            (
                int(i),
                float(t),
                str(c),
                str(s),
                None if r is None else float(r),
                None if d is None else float(d),
            )
            for i, t, c, s, r, d in rows
        ]

    def feedback_per_channel(self, start: float, end: float) -> list[tuple[str, int, int]]:
        """(channel, helpful, not helpful) feedback given in [start, end), by channel."""
        rows = self._db.execute(
            "SELECT channel, COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0)"
            " FROM feedback WHERE created_at >= ? AND created_at < ? GROUP BY channel"
            " ORDER BY channel",
            (start, end),
        ).fetchall()
        return [(str(c), int(h), int(u)) for c, h, u in rows]

    # Accounts of the editors' console.

    def add_console_user(self, name: str, role: str, password_hash: str) -> int | None:
        """Create an account; None when the name is taken."""
        row = self._db.execute(
            "INSERT INTO console_users (name, role, password_hash, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
            (name, role, password_hash, time.time()),
        ).fetchone()
        return int(row[0]) if row else None

    def set_console_password(self, name: str, role: str, password_hash: str) -> bool:
        """Give an account a new password and role, and unlock it; False if there is none."""
        result = self._db.execute(
            "UPDATE console_users SET role = ?, password_hash = ?, failed_sign_ins = 0,"
            " locked_until = 0 WHERE name = ?",
            (role, password_hash, name),
        )
        return result.rowcount == 1

    def console_user(self, name: str) -> ConsoleUser | None:
        row = self._db.execute(_CONSOLE_USER + " WHERE name = ?", (name,)).fetchone()
        return _console_user(row) if row else None

    def console_user_by_id(self, user_id: int) -> ConsoleUser | None:
        row = self._db.execute(_CONSOLE_USER + " WHERE id = ?", (user_id,)).fetchone()
        return _console_user(row) if row else None

    def console_users(self) -> list[ConsoleUser]:
        rows = self._db.execute(_CONSOLE_USER + " ORDER BY name").fetchall()
        return [_console_user(row) for row in rows]

    def remove_console_user(self, name: str) -> bool:
        result = self._db.execute("DELETE FROM console_users WHERE name = ?", (name,))
        return result.rowcount == 1

    def console_sign_in_failed(self, user_id: int, max_failed: int, lock_seconds: float) -> bool:
        """Count a wrong password; the `max_failed`-th in a row locks the account for
        `lock_seconds` (and starts the count again). True when this one locked it. One
        statement: two servers counting at once cannot lose a failure."""
        now = time.time()
        row = self._db.execute(
            "UPDATE console_users SET"
            " locked_until = CASE WHEN failed_sign_ins + 1 >= ? THEN ? ELSE locked_until END,"
            " failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= ? THEN 0"
            " ELSE failed_sign_ins + 1 END"
            " WHERE id = ? RETURNING locked_until",
            (max_failed, now + lock_seconds, max_failed, user_id),
        ).fetchone()
        return row is not None and float(row[0]) > now

    def console_sign_in_succeeded(self, user_id: int) -> None:
        self._db.execute(
            "UPDATE console_users SET failed_sign_ins = 0, locked_until = 0 WHERE id = ?",
            (user_id,),
        )


def _console_user(row: tuple) -> ConsoleUser:
    i, name, role, password_hash, failed, locked_until, created_at = row
    return ConsoleUser(
        int(i),
        str(name),
        str(role),
        str(password_hash),
        int(failed),
        float(locked_until),
        float(created_at),
    )


def _open(settings: Settings) -> Database:
    from . import open_database

    return open_database(settings)
