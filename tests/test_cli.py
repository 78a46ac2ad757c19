from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bot.index import resolve

from .conftest import FIXTURES, ROOT

CONTRACT_KEYS = {"question", "answered", "answer", "kind", "score", "sources", "suggestions"}


def run_bot(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_ask_json_prints_the_contract(fixture_index: Path, tmp_path: Path) -> None:
    result = run_bot(
        "ask", "--json", "--index", str(fixture_index), "cách quét mã QR trả tiền", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= CONTRACT_KEYS
    assert data["question"] == "cách quét mã QR trả tiền"
    assert data["answered"] is True
    assert data["kind"] == "faq"
    assert "kiểm tra đúng tên người nhận" in data["answer"]
    assert data["sources"][0] == {
        "id": "ttso-quet-qr",
        "title": "Thanh toán bằng mã QR như thế nào?",
        "section": "",
        "url": None,
    }
    assert 1 <= len(data["sources"]) <= 3
    assert isinstance(data["score"], float)


def test_ask_batch_answers_each_line_in_order(fixture_index: Path, tmp_path: Path) -> None:
    questions = ["kich hoat vneid ntn", "báo cáo hằng tháng gửi trước ngày nào", "giá vàng hôm nay"]
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(questions) + "\n", "utf-8")
    result = run_bot(
        "ask", "--batch", str(batch), "--index", str(fixture_index), "--top", "2", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert lines[0]["sources"][0]["id"] == "vneid-kich-hoat"
    assert lines[1]["sources"][0]["id"] == "ke-hoach-mau"
    assert lines[1]["sources"][0]["section"] == "II. TỔ CHỨC THỰC HIỆN › 1. Chế độ báo cáo"
    assert all(len(line["sources"]) <= 2 for line in lines)
    assert lines[2]["answered"] is False
    assert lines[2]["sources"], "sources are filled even when the bot declines"


def test_jsonl_documents_are_cited_by_their_own_id(fixture_index: Path, tmp_path: Path) -> None:
    result = run_bot(
        "ask",
        "--json",
        "--index",
        str(fixture_index),
        "nền tảng học kỹ năng số miễn phí",
        cwd=tmp_path,
    )
    ids = [s["id"] for s in json.loads(result.stdout)["sources"]]
    assert ids[0] == "tin-001"
    assert len(ids) == len(set(ids))


def test_ask_without_an_index_explains_how_to_build_one(tmp_path: Path) -> None:
    result = run_bot("ask", "--index", str(tmp_path / "missing"), "VNeID là gì", cwd=tmp_path)
    assert result.returncode == 1
    assert "python -m bot build-index" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_index_reports_reuse(tmp_path: Path) -> None:
    out = tmp_path / "idx"
    source = str(FIXTURES / "knowledge")
    first = run_bot("build-index", "--source", source, "--out", str(out), cwd=tmp_path)
    second = run_bot("build-index", "--source", source, "--out", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert re.search(r"embedded \d+, reused \d+ from cache", first.stdout)
    assert "embedded 0," in second.stdout
    fresh = run_bot(
        "build-index", "--source", source, "--out", str(out), "--if-stale", cwd=tmp_path
    )
    assert "up to date" in fresh.stdout


def test_build_index_with_a_broken_source_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "faq.yaml").write_text("- id: a\n  topic: [\n", "utf-8")
    result = run_bot(
        "build-index", "--source", str(tmp_path / "kb"), "--out", str(tmp_path / "i"), cwd=tmp_path
    )
    assert result.returncode == 1
    assert "faq.yaml (line" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_and_handovers_read_the_conversation_store(tmp_path: Path) -> None:
    from bot.storage import Store

    store = Store(tmp_path / "db.sqlite")
    user = store.user_hash("zalo", "84900000000")
    store.log_conversation("zalo", user, "giá vàng hôm nay", False, "none", 0.2, None)
    store.log_conversation("web", user, "VNeID là gì", True, "faq", 0.9, "vneid-la-gi")
    handover = store.add_handover("zalo", user, "thủ tục ly hôn trực tuyến")
    store.close()
    env_db = {"CDS_DB_PATH": str(tmp_path / "db.sqlite")}

    report = run_bot("report", "--days", "7", cwd=tmp_path, env=env_db)
    assert report.returncode == 0, report.stderr
    assert "total                2         1     50%" in report.stdout
    assert "1  giá vàng hôm nay" in report.stdout
    listed = run_bot("handovers", cwd=tmp_path, env=env_db)
    assert f"#{handover}" in listed.stdout and "thủ tục ly hôn trực tuyến" in listed.stdout
    closed = run_bot("handovers", "--close", str(handover), cwd=tmp_path, env=env_db)
    assert closed.returncode == 0
    again = run_bot("handovers", "--close", str(handover), cwd=tmp_path, env=env_db)
    assert again.returncode == 1 and "No open hand-over request" in again.stderr


def test_serve_refuses_to_start_without_an_index_and_says_how_to_build_it(
    tmp_path: Path,
) -> None:
    result = run_bot("serve", cwd=tmp_path, env={"CDS_INDEX_DIR": str(tmp_path / "index")})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: No index found in {tmp_path / 'index'}.")
    assert "python -m bot build-index" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_damaged_index_with_a_clear_message(
    fixture_index: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "index"
    shutil.copytree(fixture_index, damaged, symlinks=True)
    vectors = resolve(damaged) / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])  # a copy cut short
    result = run_bot("serve", cwd=tmp_path, env={"CDS_INDEX_DIR": str(damaged)})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: The index in {damaged} cannot be read (vectors.faiss")
    assert "python -m bot build-index" in result.stderr
    assert "Traceback" not in result.stderr


def test_listings_never_pass_terminal_escapes_to_the_operator(tmp_path: Path) -> None:
    from bot.storage import Store

    # Rows written before questions were cleaned on the way in still hold raw escapes.
    hostile = "giá vàng\x1b[2J\x1b]0;pwned\x07\rhôm nay\u202e"
    store = Store(tmp_path / "db.sqlite")
    user = store.user_hash("zalo", "84900000000")
    store.log_conversation("zalo", user, hostile, False, "none", 0.2, None)
    store.add_handover("zalo", user, hostile)
    store.close()
    env_db = {"CDS_DB_PATH": str(tmp_path / "db.sqlite")}

    listed = run_bot("handovers", cwd=tmp_path, env=env_db)
    report = run_bot("report", cwd=tmp_path, env=env_db)

    for output in (listed.stdout, report.stdout):
        assert "giá vàng hôm nay" in output
        assert not any(ch in output for ch in "\x1b\x07\r\u202e")


def test_purge_blanks_text_older_than_the_retention_period(tmp_path: Path) -> None:
    import sqlite3

    from bot.storage import Store

    store = Store(tmp_path / "db.sqlite")
    user = store.user_hash("web", "u")
    store.log_conversation("web", user, "câu hỏi cũ", False, "none", 0.1, None)
    store.log_conversation("web", user, "câu hỏi mới", False, "none", 0.1, None)
    store.close()
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        db.execute("UPDATE conversations SET created_at = created_at - 40 * 86400 WHERE id = 1")
    env = {"CDS_DB_PATH": str(tmp_path / "db.sqlite"), "CDS_RETENTION_DAYS": "60"}

    kept = run_bot("purge", cwd=tmp_path, env=env)
    purged = run_bot("purge", "--days", "30", cwd=tmp_path, env=env)

    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.startswith("Blanked the text of 0 question(s)")
    assert "older than 60 days" in kept.stdout
    assert purged.stdout.startswith("Blanked the text of 1 question(s) and 0 hand-over")
    report = run_bot("report", "--days", "90", cwd=tmp_path, env=env).stdout
    assert "total                2         0      0%" in report
    assert "câu hỏi mới" in report and "câu hỏi cũ" not in report


def test_forget_erases_one_person_and_says_what_went(tmp_path: Path) -> None:
    from bot.storage import Store

    store = Store(tmp_path / "db.sqlite")
    them = store.user_hash("zalo", "2468458835291979")
    cid = store.log_conversation("zalo", them, "nhà tôi ở bản Nậm Loỏng", True, "faq", 0.9, None)
    store.add_feedback("zalo", them, cid, False)
    store.add_handover("zalo", them, "nhà tôi ở bản Nậm Loỏng")
    store.inbox_add("zalo", "msg-1", them, "{}", "nhà tôi ở bản Nậm Loỏng", None, 0.0)
    store.log_conversation("zalo", store.user_hash("zalo", "other"), "VNeID", True, "faq", 1, None)
    store.close()
    env_db = {"CDS_DB_PATH": str(tmp_path / "db.sqlite")}

    erased = run_bot(
        "forget", "--channel", "zalo", "--user", "2468458835291979", cwd=tmp_path, env=env_db
    )

    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.strip() == (
        "Erased for this zalo user: 1 conversation(s), 1 feedback, 1 hand-over request(s), "
        "1 delivery record(s)."
    )
    assert "2468458835291979" not in erased.stdout
    listed = run_bot("handovers", cwd=tmp_path, env=env_db)
    assert listed.stdout.strip() == "No open hand-over requests."
    report = run_bot("report", cwd=tmp_path, env=env_db).stdout
    assert "total                1         1    100%" in report


def test_an_invalid_setting_is_named_without_a_traceback_or_its_value(tmp_path: Path) -> None:
    env = {"CDS_RETENTION_DAYS": "0", "CDS_FRAME_ANCESTORS": "'self'; script-src *"}
    result = run_bot("report", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "error: setting CDS_RETENTION_DAYS:" in result.stderr
    assert "error: setting CDS_FRAME_ANCESTORS:" in result.stderr
    assert "Traceback" not in result.stderr and "script-src *" not in result.stderr
