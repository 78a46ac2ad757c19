from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from bot import storage
from bot.errors import StorageError
from bot.storage import MIGRATIONS, Store


def test_migrations_are_recorded_and_run_once(tmp_path: Path) -> None:
    Store(tmp_path / "db.sqlite").close()
    store = Store(tmp_path / "db.sqlite")
    store.close()
    rows = (
        sqlite3.connect(tmp_path / "db.sqlite").execute("SELECT name FROM _migrations").fetchall()
    )
    assert [r[0] for r in rows] == [m.__name__ for m in MIGRATIONS]


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
    store: Store, tmp_path: Path
) -> None:
    store.inbox_add("zalo", "m1", "u", '{"user_id": "84912345678"}', "số CCCD", "w", 0.0)
    store.inbox_finish("zalo", "m1", "sent")
    assert store.inbox_claim("zalo", "m1", "w2", time.time() + 30) is None
    assert store.inbox_add("zalo", "m1", "u", "{}", "again", None, 0.0) is False
    assert store.inbox_unfinished() == 0
    row = (
        sqlite3.connect(tmp_path / "db.sqlite")
        .execute("SELECT address, text, outcome FROM inbox")
        .fetchone()
    )
    assert row == (None, None, "sent")


def test_deliveries_seen_before_the_inbox_existed_are_still_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MIGRATIONS", MIGRATIONS[:1])
    Store(tmp_path / "db.sqlite").close()
    old = sqlite3.connect(tmp_path / "db.sqlite")
    old.execute("INSERT INTO deliveries VALUES ('zalo', 'm-old', ?)", (time.time(),))
    old.commit()
    old.close()
    monkeypatch.undo()
    store = Store(tmp_path / "db.sqlite")
    assert store.inbox_add("zalo", "m-old", "u", "{}", "retry", None, 0.0) is False
    assert store.inbox_unfinished() == 0
    store.close()


def test_a_locked_database_fails_fast_with_a_storage_error(store: Store, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    with pytest.raises(StorageError, match="locked"):
        store.log_conversation("web", "u", "hỏi", True, "faq", 0.9, None)
    assert time.monotonic() - started < 5  # not sqlite3's default five-second wait
    other.execute("ROLLBACK")


def test_tokens_are_saved_together(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.set_tokens({"access": "a1", "refresh": "r1"})
    store.close()
    reopened = Store(tmp_path / "db.sqlite")
    assert (reopened.get_token("access"), reopened.get_token("refresh")) == ("a1", "r1")


def test_stats_count_questions_feedback_and_handovers(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    user = store.user_hash("web", "u")
    cid = store.log_conversation("web", user, "VNeID là gì", True, "faq", 0.9, "vneid-la-gi")
    store.log_conversation("web", user, "giá vàng", False, "none", 0.2, None)
    store.add_feedback("web", user, cid, True)
    store.add_feedback("web", user, 999, False)  # an unknown conversation is kept, unlinked
    store.add_handover("web", user, "giá vàng")
    stats = store.stats()
    assert (stats.questions, stats.answered, stats.helpful, stats.unhelpful) == (2, 1, 1, 1)
    assert stats.open_handovers == 1


def test_unanswered_questions_are_counted_whatever_their_case(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    user = store.user_hash("zalo", "u")
    for question in ["ĐĂNG KÝ SIM chính chủ", "đăng ký sim  chính chủ", "giá vàng"]:
        store.log_conversation("zalo", user, question, False, "none", 0.1, None)
    store.log_conversation("zalo", user, "VNeID là gì", True, "faq", 0.9, "vneid-la-gi")
    assert store.top_unanswered() == [("đăng ký sim chính chủ", 2), ("giá vàng", 1)]
    assert store.by_channel() == [("zalo", 4, 1)]


def test_a_handover_is_closed_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
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


def test_the_database_itself_refuses_a_second_open_handover(store: Store, tmp_path: Path) -> None:
    store.add_handover("zalo", "u1", "giá vàng")
    raw = sqlite3.connect(tmp_path / "db.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question)"
            " VALUES (0, 'zalo', 'u1', 'lần hai')"
        )


def test_duplicate_open_handovers_of_older_versions_are_folded_into_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MIGRATIONS", MIGRATIONS[:2])
    Store(tmp_path / "db.sqlite").close()
    old = sqlite3.connect(tmp_path / "db.sqlite")
    for question in ("một", "hai", "ba"):
        old.execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question)"
            " VALUES (0, 'web', 'u1', ?)",
            (question,),
        )
    old.commit()
    old.close()
    monkeypatch.undo()
    store = Store(tmp_path / "db.sqlite")
    assert [h["question"] for h in store.open_handovers()] == ["một"]
    store.close()
