"""The store, on both back ends: SQLite (a temporary file) and PostgreSQL (a fresh database in
the tests' throw-away cluster). Tests about SQLite's files run on SQLite only."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet

from bot.errors import StorageError
from bot.keys import KeyFileError
from bot.settings import Settings
from bot.storage import MIGRATIONS, Database, Forgotten, Purged, Store
from bot.storage.migrations import upgrade
from bot.storage.sqlite import SQLiteDatabase

SECRET = "test-user-hash-secret"
TOKEN_KEY = Fernet.generate_key().decode()


class Backend:
    """One database of a back end, opened as often as a test likes."""

    def __init__(self, name: str, tmp_path: Path, url: str | None) -> None:
        self.name = name
        self.path = tmp_path / "db.sqlite"
        self.url = url
        self._opened: list[Store | Database] = []

    def database(self) -> Database:
        """The bare database, not upgraded."""
        if self.url is None:
            database: Database = SQLiteDatabase(self.path)
        else:
            from bot.storage.postgres import PostgresDatabase

            database = PostgresDatabase(self.url, pool_size=2)
        self._opened.append(database)
        return database

    def store(self) -> Store:
        shared = self.url is not None
        store = Store(self.database(), SECRET, TOKEN_KEY) if shared else Store(self.path)
        self._opened.append(store)
        return store

    def old(self, until: str) -> Database:
        """The database as a version that stopped at migration `until` left it."""
        database = self.database()
        upgrade(database, until=until)
        return database

    def close(self) -> None:
        for opened in self._opened:
            opened.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    opened = Backend(request.param, tmp_path, url)
    yield opened
    opened.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    """The bot's database, on each back end in turn."""
    return backend.store()


def rows(store: Store, sql: str, params: tuple = ()) -> list[tuple]:
    return [tuple(row) for row in store.database.execute(sql, params).rows]


def test_migrations_are_recorded_and_run_once(backend: Backend) -> None:
    backend.store().close()
    store = backend.store()
    names = rows(store, "SELECT name FROM _migrations ORDER BY name")
    assert [r[0] for r in names] == [m.__name__ for m in MIGRATIONS]


def test_user_hash_is_stable_per_database_and_hides_the_id(tmp_path: Path) -> None:
    first = Store(tmp_path / "a.sqlite")
    again = Store(tmp_path / "a.sqlite")
    other = Store(tmp_path / "b.sqlite")
    assert first.user_hash("zalo", "84912345678") == again.user_hash("zalo", "84912345678")
    assert first.user_hash("zalo", "84912345678") != other.user_hash("zalo", "84912345678")
    assert first.user_hash("zalo", "1") != first.user_hash("telegram", "1")
    assert "84912345678" not in first.user_hash("zalo", "84912345678")


def test_a_configured_secret_makes_hashes_portable(tmp_path: Path) -> None:
    a = Store(tmp_path / "a.sqlite", user_hash_secret="s3cret")
    b = Store(tmp_path / "b.sqlite", user_hash_secret="s3cret")
    assert a.user_hash("web", "x") == b.user_hash("web", "x")


def test_a_delivery_is_recorded_once_per_channel(store: Store) -> None:
    assert store.inbox_add("zalo", "m1", "u", '{"user_id": "1"}', "hỏi", None, 0.0) is True
    assert store.inbox_add("zalo", "m1", "u", '{"user_id": "1"}', "hỏi", None, 0.0) is False
    assert store.inbox_add("telegram", "m1", "u", "{}", "hỏi", None, 0.0) is True
    assert store.inbox_unfinished() == 2


def test_one_worker_holds_a_delivery_until_its_lease_runs_out(store: Store) -> None:
    store.inbox_add("zalo", "m1", "u", "{}", "hỏi", None, 0.0)
    first = store.inbox_claim("zalo", "m1", "worker-a", time.time() + 30)
    assert first is not None and (first.text, first.attempts) == ("hỏi", 1)
    assert store.inbox_claim("zalo", "m1", "worker-b", time.time() + 30) is None
    assert store.inbox_claimable("zalo", 10) == []
    # worker-a dies: nobody renews its lease, which then runs out
    store.inbox_renew("worker-a", time.time() - 1)
    assert store.inbox_claimable("zalo", 10) == ["m1"]
    second = store.inbox_claim("zalo", "m1", "worker-b", time.time() + 30)
    assert second is not None and second.attempts == 2


def test_an_answered_delivery_keeps_no_address_or_text_and_is_never_taken_again(
    store: Store,
) -> None:
    store.inbox_add("zalo", "m1", "u", '{"user_id": "84912345678"}', "số CCCD", "w", 0.0)
    store.inbox_finish("zalo", "m1", "sent")
    assert store.inbox_claim("zalo", "m1", "w2", time.time() + 30) is None
    assert store.inbox_add("zalo", "m1", "u", "{}", "again", None, 0.0) is False
    assert store.inbox_unfinished() == 0
    assert rows(store, "SELECT address, text, outcome FROM inbox") == [(None, None, "sent")]


def test_deliveries_seen_before_the_inbox_existed_are_still_recognised(backend: Backend) -> None:
    old = backend.old(until="_m002_privacy")
    old.execute(
        "INSERT INTO deliveries (channel, delivery_id, created_at, user_hash)"
        " VALUES ('zalo', 'm-old', ?, 'u')",
        (time.time(),),
    )
    old.close()
    store = backend.store()
    assert store.inbox_add("zalo", "m-old", "u", "{}", "retry", None, 0.0) is False
    assert store.inbox_unfinished() == 0


def test_a_database_locked_by_another_process_is_a_storage_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # e.g. someone's sqlite3 shell in the middle of an edit
    with pytest.raises(StorageError, match="database is locked"):
        store.log_conversation("web", "u", "hỏi", True, "faq", 0.9, None)
    other.execute("ROLLBACK")
    store.log_conversation("web", "u", "hỏi", True, "faq", 0.9, None)
    assert store.stats().questions == 1


def test_tokens_are_saved_together(backend: Backend) -> None:
    store = backend.store()
    store.set_tokens({"access": "a1", "refresh": "r1"})
    store.close()
    reopened = backend.store()
    assert (reopened.get_token("access"), reopened.get_token("refresh")) == ("a1", "r1")


def test_stats_count_questions_feedback_and_handovers(store: Store, backend: Backend) -> None:
    user = store.user_hash("web", "u")
    cid = store.log_conversation("web", user, "VNeID là gì", True, "faq", 0.9, "vneid-la-gi")
    store.log_conversation("web", user, "giá vàng", False, "none", 0.2, None)
    assert store.add_feedback("web", user, cid, True) is True
    assert store.add_feedback("web", user, 999, False) is False  # no such conversation
    assert store.add_feedback("web", store.user_hash("web", "other"), cid, False) is False
    assert store.add_feedback("telegram", user, cid, False) is False
    store.add_handover("web", user, "giá vàng")
    stats = store.stats()
    assert (stats.questions, stats.answered, stats.helpful, stats.unhelpful) == (2, 1, 1, 0)
    assert stats.open_handovers == 1


def test_unanswered_questions_are_counted_whatever_their_case(
    store: Store, backend: Backend
) -> None:
    user = store.user_hash("zalo", "u")
    for question in ["ĐĂNG KÝ SIM chính chủ", "đăng ký sim  chính chủ", "giá vàng"]:
        store.log_conversation("zalo", user, question, False, "none", 0.1, None)
    store.log_conversation("zalo", user, "VNeID là gì", True, "faq", 0.9, "vneid-la-gi")
    assert store.top_unanswered() == [("đăng ký sim chính chủ", 2), ("giá vàng", 1)]
    assert store.by_channel() == [("zalo", 4, 1)]


def test_a_handover_is_closed_once(store: Store, backend: Backend) -> None:
    handover = store.add_handover("web", store.user_hash("web", "u"), "thủ tục ly hôn")
    assert store.close_handover(handover) is True
    assert store.close_handover(handover) is False
    assert store.open_handovers() == []


def test_a_repeated_handover_joins_the_citizens_open_one(store: Store) -> None:
    first = store.request_handover("zalo", "u1", "giá vàng")
    again = store.request_handover("zalo", "u1", "giá vàng hôm nay")
    other = store.request_handover("zalo", "u2", "thủ tục ly hôn")
    assert first == (first[0], True)
    assert again == (first[0], False)
    assert other[1] is True
    assert [h["question"] for h in store.open_handovers()] == ["giá vàng", "thủ tục ly hôn"]


def test_after_closing_a_new_handover_waits_for_the_cooldown(store: Store) -> None:
    first, _ = store.request_handover("zalo", "u1", "giá vàng", cooldown=600)
    store.close_handover(first)
    assert store.request_handover("zalo", "u1", "lại hỏi", cooldown=600) == (first, False)
    second, new = store.request_handover("zalo", "u1", "lại hỏi", cooldown=0)
    assert new is True and second != first


def test_the_database_itself_refuses_a_second_open_handover(store: Store) -> None:
    store.add_handover("zalo", "u1", "giá vàng")
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.database.execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question)"
            " VALUES (0, 'zalo', 'u1', 'lần hai')"
        )


def test_duplicate_open_handovers_of_older_versions_are_folded_into_the_first(
    backend: Backend,
) -> None:
    old = backend.old(until="_m003_inbox")
    for question in ("một", "hai", "ba"):
        old.execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question)"
            " VALUES (0, 'web', 'u1', ?)",
            (question,),
        )
    old.close()
    store = backend.store()
    assert [h["question"] for h in store.open_handovers()] == ["một"]


def raw_bytes(db_path: Path) -> bytes:
    """Everything SQLite wrote for a database: the file, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        store = Store(tmp_path / "data" / "db.sqlite")
        store.log_conversation("web", store.user_hash("web", "u"), "hỏi", True, "faq", 1.0, None)
        files = sorted((tmp_path / "data").glob("db.sqlite*"))
        assert [f.name for f in files] == ["db.sqlite", "db.sqlite-shm", "db.sqlite-wal"]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(tmp_path / "data" / "db.key") == 0o600
        store.close()
    finally:
        os.umask(old_umask)


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    Store(tmp_path / "db.sqlite").close()
    os.chmod(tmp_path / "db.sqlite", 0o644)
    Store(tmp_path / "db.sqlite").close()
    assert mode(tmp_path / "db.sqlite") == 0o600


def test_the_user_hash_key_lives_in_a_private_key_file_not_in_the_database(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "db.sqlite")
    hashed = store.user_hash("telegram", "123456789")
    store.close()
    key = json.loads((tmp_path / "db.key").read_text())["user_hash_secret"]
    assert key.encode() not in raw_bytes(tmp_path / "db.sqlite")
    meta = sqlite3.connect(tmp_path / "db.sqlite").execute("SELECT key FROM meta").fetchall()
    assert meta == []
    expected = hmac.new(key.encode(), b"telegram:123456789", hashlib.sha256).hexdigest()[:16]
    assert hashed == expected
    assert Store(tmp_path / "db.sqlite").user_hash("telegram", "123456789") == hashed


def test_a_key_kept_in_an_old_database_moves_to_the_key_file_and_hashes_still_match(
    tmp_path: Path,
) -> None:
    # A database as the previous version left it: the key in the meta table.
    old = SQLiteDatabase(tmp_path / "db.sqlite")
    upgrade(old, until="_m001_initial")
    old.execute("INSERT INTO meta VALUES ('user_hash_secret', 'legacy-key-0123456789abcdef')")
    before = hmac.new(b"legacy-key-0123456789abcdef", b"zalo:8490", hashlib.sha256)
    old.execute(
        "INSERT INTO conversations VALUES (1, 0, 'zalo', ?, 'q', 1, 'faq', 1.0, NULL)",
        (before.hexdigest()[:16],),
    )
    old.close()

    store = Store(tmp_path / "db.sqlite")

    assert store.user_hash("zalo", "8490") == before.hexdigest()[:16]
    assert store.last_question("zalo", store.user_hash("zalo", "8490")) == "q"
    store.close()
    assert b"legacy-key-0123456789abcdef" not in raw_bytes(tmp_path / "db.sqlite")
    saved = json.loads((tmp_path / "db.key").read_text())
    assert saved["user_hash_secret"] == "legacy-key-0123456789abcdef"


def test_tokens_are_encrypted_at_rest(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.set_tokens({"zalo_oa.access_token": "access-SECRET-4f9a"})
    assert b"access-SECRET-4f9a" not in raw_bytes(tmp_path / "db.sqlite")
    store.close()
    assert Store(tmp_path / "db.sqlite").get_token("zalo_oa.access_token") == "access-SECRET-4f9a"


def test_tokens_an_older_version_stored_in_plain_text_are_encrypted_on_opening(
    backend: Backend,
) -> None:
    backend.store().close()
    plain = backend.database()
    plain.execute("INSERT INTO tokens VALUES ('zalo_oa.refresh_token', 'refresh-PLAIN-77', 0)")
    plain.close()

    store = backend.store()

    assert store.get_token("zalo_oa.refresh_token") == "refresh-PLAIN-77"
    assert "refresh-PLAIN-77" not in str(rows(store, "SELECT value FROM tokens"))
    if backend.name == "sqlite":
        assert b"refresh-PLAIN-77" not in raw_bytes(backend.path)


def test_with_another_key_a_token_reads_as_unset_and_the_log_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.set_tokens({"zalo_oa.access_token": "a1"})
    store.close()
    (tmp_path / "db.key").unlink()

    assert Store(tmp_path / "db.sqlite").get_token("zalo_oa.access_token") is None
    assert "zalo_oa.access_token cannot be decrypted" in caplog.text


def test_keys_from_the_environment_need_no_key_file(tmp_path: Path) -> None:
    token_key = Fernet.generate_key().decode()
    settings = Settings(
        CDS_DB_PATH=tmp_path / "db.sqlite",
        CDS_USER_HASH_SECRET="from-the-environment",
        CDS_TOKEN_KEY=token_key,
    )
    store = Store.from_settings(settings)
    store.set_tokens({"t": "v"})
    assert not (tmp_path / "db.key").exists()
    expected = hmac.new(b"from-the-environment", b"web:x", hashlib.sha256).hexdigest()[:16]
    assert store.user_hash("web", "x") == expected
    store.close()
    other = Store(tmp_path / "db.sqlite", "from-the-environment", token_key)
    assert other.get_token("t") == "v"


def test_a_configured_key_file_is_used_instead_of_the_default(tmp_path: Path) -> None:
    settings = Settings(CDS_DB_PATH=tmp_path / "db.sqlite", CDS_KEY_FILE=tmp_path / "k" / "keys")
    Store.from_settings(settings).close()
    assert mode(tmp_path / "k" / "keys") == 0o600
    assert not (tmp_path / "db.key").exists()


def test_a_token_key_that_is_not_a_fernet_key_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="CDS_TOKEN_KEY is not a Fernet key"):
        Store(tmp_path / "db.sqlite", token_key="password123")


def test_a_key_file_readable_by_others_is_made_private(tmp_path: Path) -> None:
    Store(tmp_path / "db.sqlite").close()
    os.chmod(tmp_path / "db.key", 0o644)
    Store(tmp_path / "db.sqlite").close()
    assert mode(tmp_path / "db.key") == 0o600


def test_the_migration_keeps_one_vote_per_conversation_from_its_asker_only(
    backend: Backend,
) -> None:
    old = backend.old(until="_m001_initial")
    old.execute("INSERT INTO conversations VALUES (1, 0, 'web', 'asker', 'q', 1, 'faq', 1.0, NULL)")
    votes = [(1, "asker", 1), (1, "asker", 0), (1, "stranger", 1), (1, "stranger", 1)]
    votes += [(None, "someone", 1)]  # unlinked feedback of the old kind stays counted
    for n, (conversation, user, helpful) in enumerate(votes):
        old.execute(
            "INSERT INTO feedback VALUES (?, ?, ?, 'web', ?, ?)",
            (n + 1, n, conversation, user, helpful),
        )
    old.close()

    stats = backend.store().stats()

    assert (stats.helpful, stats.unhelpful) == (1, 1)  # the asker's last vote, and the unlinked


def age(store: Store, table: str, row_id: int, days: float) -> None:
    """Make a row `days` old."""
    store.database.execute(
        f"UPDATE {table} SET created_at = created_at - ? WHERE id = ?", (days * 86400, row_id)
    )


def test_purging_blanks_old_text_and_keeps_the_counts(store: Store, backend: Backend) -> None:
    user = store.user_hash("zalo", "u")
    old = store.log_conversation("zalo", user, "giá vàng Lai Châu", False, "none", 0.1, None)
    store.add_feedback("zalo", user, old, False)
    new = store.log_conversation("zalo", user, "giá xăng", False, "none", 0.1, None)
    old_handover = store.add_handover("zalo", user, "giá vàng Lai Châu")
    for table, row in (("conversations", old), ("feedback", 1), ("handovers", old_handover)):
        age(store, table, row, 91)

    purged = store.purge(time.time() - 90 * 86400)

    assert (purged.questions, purged.handovers) == (1, 1)
    assert store.top_unanswered() == [("giá xăng", 1)]
    assert store.by_channel() == [("zalo", 2, 0)]
    assert store.stats().unhelpful == 1
    assert [h["question"] for h in store.open_handovers()] == [""]
    assert store.conversation_question("zalo", user, new) == "giá xăng"
    assert store.conversation_question("zalo", user, old) is None  # no longer anyone's
    if backend.name == "sqlite":
        assert "giá vàng Lai Châu".encode() not in raw_bytes(backend.path)
    assert store.purge(time.time() - 90 * 86400) == Purged(0, 0)


def test_forgetting_a_person_erases_their_rows_and_nobody_elses(
    store: Store, backend: Backend
) -> None:
    them, other = store.user_hash("telegram", "111"), store.user_hash("telegram", "222")
    for user, question in ((them, "hỏi về nhà tôi ở bản Nậm Loỏng"), (other, "VNeID là gì")):
        cid = store.log_conversation("telegram", user, question, True, "faq", 0.9, None)
        store.add_feedback("telegram", user, cid, True)
        store.add_handover("telegram", user, question)
        store.inbox_add("telegram", f"update-{user}", user, "{}", question, None, 0.0)
    store.log_conversation("telegram", them, "câu thứ hai", True, "faq", 0.9, None)
    same_id_elsewhere = store.user_hash("zalo", "111")
    store.log_conversation("zalo", same_id_elsewhere, "trên Zalo", True, "faq", 0.9, None)

    erased = store.forget("telegram", them)

    assert erased == Forgotten(conversations=2, feedback=1, handovers=1, deliveries=1)
    assert store.last_question("telegram", them) is None
    assert store.last_question("telegram", other) == "VNeID là gì"
    assert store.last_question("zalo", same_id_elsewhere) == "trên Zalo"
    assert store.stats().questions == 2
    if backend.name == "sqlite":
        assert "Nậm Loỏng".encode() not in raw_bytes(backend.path)
    assert store.forget("telegram", them) == Forgotten(0, 0, 0, 0)


def test_a_ticket_round_trip_is_stored_alike_on_both_back_ends(store: Store) -> None:
    handover, _ = store.request_handover("zalo", "u1", "cần người giúp")
    store.open_ticket(handover, "zalo", "u1", '{"user_id": "8490"}', time.time() + 3600, "[]", 1.0)
    assert store.citizen_wrote("zalo", "u1", '{"user_id": "8490"}', time.time() + 7200, 2.0) == (
        handover
    )
    assert store.ticket_address(handover) == '{"user_id": "8490"}'
    assert "8490" not in str(rows(store, "SELECT address FROM tickets"))  # encrypted
    store.log_ticket_event(handover, "reply", "team", "Chào bạn", "sent", 3.0)
    store.log_ticket_event(handover, "reply", "team", "Thêm", "sent", 4.0)
    assert [e.text for e in store.ticket_events(handover)] == ["Chào bạn", "Thêm"]
    first = store.add_web_reply("w1", "một", 5.0)
    second = store.add_web_reply("w1", "hai", 6.0)
    assert [text for _, text, _ in store.web_replies("w1", first)] == ["hai"]
    assert second > first
    assert store.close_ticket(handover, 7.0) is True
    assert store.ticket_address(handover) is None
    ticket = store.ticket(handover)
    assert ticket is not None and (ticket.first_reply_at, ticket.closed_at) == (3.0, 7.0)


def test_console_accounts_are_unique_by_name_and_lock_after_the_set_failures(
    store: Store,
) -> None:
    first = store.add_console_user("lan", "editor", "hash-1")
    assert first is not None
    assert store.add_console_user("lan", "admin", "hash-2") is None
    assert [(u.name, u.role) for u in store.console_users()] == [("lan", "editor")]
    assert not store.console_sign_in_failed(first, max_failed=3, lock_seconds=60)
    assert not store.console_sign_in_failed(first, max_failed=3, lock_seconds=60)
    assert store.console_sign_in_failed(first, max_failed=3, lock_seconds=60)
    locked = store.console_user("lan")
    assert locked is not None and locked.locked_until > time.time() + 50
    assert locked.failed_sign_ins == 0
    assert store.set_console_password("lan", "admin", "hash-3")
    unlocked = store.console_user_by_id(first)
    assert unlocked is not None
    assert (unlocked.role, unlocked.password_hash, unlocked.locked_until) == ("admin", "hash-3", 0)
    assert store.remove_console_user("lan") and not store.remove_console_user("lan")
