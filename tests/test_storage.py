from __future__ import annotations

import sqlite3
from pathlib import Path

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


def test_a_delivery_is_first_only_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    assert store.first_delivery("zalo", "m1") is True
    assert store.first_delivery("zalo", "m1") is False
    assert store.first_delivery("telegram", "m1") is True


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
