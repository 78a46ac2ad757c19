"""The editors' console at /admin: sign-in, CSRF, lock-out, roles, and each page doing its
job against the real app, a copy of the fixture knowledge base and its index."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from bot.cli import main as cli_main
from bot.reports import PROVINCE_TZ
from bot.storage import Store

from .conftest import VNEID_ANSWER, VNEID_QUESTION
from .console_app import (
    PASSWORD,
    ConsoleSite,
    csrf_of,
    digest_of,
    sign_in,
    token,
)
from .fakes.server import LocalServer

PAGES = [
    "/admin/",
    "/admin/tickets",
    "/admin/tickets/1",
    "/admin/try?q=vneid",
    "/admin/faq",
    "/admin/faq/new",
    "/admin/faq/vneid-kich-hoat",
    "/admin/faq/vneid-kich-hoat/delete",
    "/admin/faq/export.xlsx",
    "/admin/gaps",
    "/admin/rebuild",
    "/admin/rebuild/status",
    "/admin/reports",
    "/admin/reports/download?kind=month&value=2026-11&format=csv",
    "/admin/users",
]
FORMS = [
    "/admin/tickets/1/reply",
    "/admin/tickets/1/close",
    "/admin/faq/preview",
    "/admin/faq/save",
    "/admin/faq/import",
    "/admin/faq/vneid-kich-hoat/delete",
    "/admin/rebuild",
    "/admin/users",
    "/admin/users/someone/delete",
    "/admin/logout",
]
NEW_ENTRY = {
    "mode": "add",
    "id": "",
    "topic": "dich-vu-cong",
    "questions": "Đăng ký khai sinh trực tuyến ở đâu?\n"
    "Làm giấy khai sinh online cho con thế nào\n"
    "dang ky khai sinh online o dau",
    "answer": "Bạn đăng ký khai sinh trực tuyến trên Cổng Dịch vụ công quốc gia, mục Liên thông "
    "khai sinh, thường trú, bảo hiểm y tế cho trẻ dưới 6 tuổi.",
    "source": "Bộ Tư pháp",
    "url": "",
    "updated": "2026-11-30",
}
NEW_QUESTION = "đăng ký khai sinh trực tuyến ở đâu"
NEW_ANSWER = "mục Liên thông khai sinh"


def test_every_page_sends_a_visitor_without_a_session_to_the_sign_in_page(
    admin: TestClient,
) -> None:
    for path in PAGES:
        response = admin.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next=/admin"), path


def test_a_script_without_a_session_gets_a_401_in_the_error_shape(admin: TestClient) -> None:
    response = admin.get("/admin/rebuild/status", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_signed_in", "message": "Vui lòng đăng nhập."}}


def test_every_form_is_refused_without_a_csrf_token_even_when_signed_in(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    for path in FORMS:
        assert admin.post(path, data={"x": "1"}).status_code == 403, path
    console_site.add_user("an", "admin")
    assert sign_in(admin, "an").status_code == 303
    for path in FORMS:
        response = admin.post(path, data={"name": "x", "csrf": "not-the-token"})
        assert response.status_code == 403, path
        assert "Biểu mẫu đã hết hạn" in response.text
    # The sign-in form too: a page elsewhere cannot sign a visitor in to an account.
    refused = admin.post("/admin/login", data={"name": "an", "password": PASSWORD})
    assert refused.status_code == 403


def test_the_root_redirects_and_the_session_cookie_is_http_only_and_same_site(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    assert admin.get("/admin").headers["location"].endswith("/admin/")
    console_site.add_user("an", "editor")
    response = sign_in(admin, "an")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie  # plain http here; behind https the cookie is Secure
    page = admin.get("/admin/")
    assert page.status_code == 200
    assert "Tổng quan" in page.text and "an · Biên tập viên" in page.text


def test_signing_in_does_not_redirect_to_another_site(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    page = admin.get("/admin/login")
    response = admin.post(
        "/admin/login",
        data={
            "csrf": csrf_of(page.text),
            "name": "an",
            "password": PASSWORD,
            "next": "https://evil.example/admin",
        },
    )
    assert response.headers["location"] == "/admin/"


def test_five_wrong_passwords_lock_the_account_for_the_set_time(
    console_site: ConsoleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    console_site.add_user("an", "editor")
    app_client = TestClient(
        __import__("bot.server", fromlist=["create_app"]).create_app(
            console_site.settings.model_copy(update={"console_lockout_minutes": 0.02}),
            service=console_site.service,
        ),
        follow_redirects=False,
    )
    with app_client as browser:
        for attempt in range(4):
            response = sign_in(browser, "an", "sai-mat-khau-roi")
            assert response.status_code == 401, attempt
            assert "Tên đăng nhập hoặc mật khẩu chưa đúng." in response.text
        fifth = sign_in(browser, "an", "sai-mat-khau-roi")
        assert "Bạn đã nhập sai mật khẩu 5 lần, tài khoản bị tạm khóa 1 phút." in fifth.text
        right = sign_in(browser, "an")
        assert right.status_code == 401
        assert "Tài khoản đang tạm khóa" in right.text
        time.sleep(1.3)  # 0.02 minutes
        assert sign_in(browser, "an").status_code == 303
        assert console_site.store.console_user("an").failed_sign_ins == 0  # type: ignore[union-attr]


def test_an_unknown_name_is_told_the_same_as_a_wrong_password(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    response = sign_in(admin, "ai-do")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu chưa đúng." in response.text


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("team", ["/admin/", "/admin/try"], ["/admin/faq", "/admin/gaps", "/admin/rebuild",
                                            "/admin/reports", "/admin/users"]),
        ("editor", ["/admin/", "/admin/try", "/admin/faq", "/admin/gaps", "/admin/rebuild",
                    "/admin/reports"], ["/admin/users"]),
        ("admin", ["/admin/", "/admin/faq", "/admin/users"], []),
    ],
)  # fmt: skip
def test_each_role_opens_its_pages_only(
    admin: TestClient, console_site: ConsoleSite, role: str, allowed: list[str], refused: list[str]
) -> None:
    console_site.add_user("an", role)
    sign_in(admin, "an")
    for path in allowed:
        assert admin.get(path).status_code == 200, path
    for path in refused:
        response = admin.get(path)
        assert response.status_code == 403, path
        assert "Tài khoản của bạn không được mở trang này." in response.text
        assert f'href="{path}"' not in admin.get("/admin/").text  # nor sees it in the menu


def test_a_team_member_cannot_post_an_editors_form(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("to", "team")
    sign_in(admin, "to")
    response = admin.post("/admin/rebuild", data={"csrf": token(admin)})
    assert response.status_code == 403


def test_a_removed_account_is_signed_out_at_once(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    assert admin.get("/admin/").status_code == 200
    console_site.store.remove_console_user("an")
    assert admin.get("/admin/").status_code == 303


def test_signing_out_ends_the_session(admin: TestClient, console_site: ConsoleSite) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    response = admin.post("/admin/logout", data={"csrf": token(admin)})
    assert response.headers["location"] == "/admin/login"
    assert "Bạn đã đăng xuất." in admin.get("/admin/login").text
    assert admin.get("/admin/").status_code == 303


def test_the_overview_shows_this_months_figures_per_channel_and_day(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    store = console_site.store
    for n in range(3):
        conversation = store.log_conversation("api", f"u{n}", "câu hỏi", n < 2, "faq", 0.9, "x")
    store.add_feedback("api", "u2", conversation, helpful=False)
    store.add_handover("telegram", "t1", "cho tôi gặp cán bộ")
    console_site.add_user("to", "team")
    sign_in(admin, "to")
    page = admin.get("/admin/").text
    assert "66,7%" in page  # two of three answered
    assert "Trang web (web chat, API)" in page and "Telegram" in page
    assert 'src="data:image/svg+xml;base64,' in page  # charts the page's CSP allows
    assert dt.datetime.now(PROVINCE_TZ).strftime("%d/%m/%Y") in page


def test_try_a_question_shows_the_answer_and_the_candidates_with_scores(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("to", "team")
    sign_in(admin, "to")
    page = admin.get("/admin/try", params={"q": VNEID_QUESTION}).text
    assert VNEID_ANSWER in page
    assert "Trả lời được" in page
    assert "Các ứng viên" in page
    assert 'href="/admin/faq/vneid-kich-hoat">vneid-kich-hoat</a>' in page
    assert page.count('<td class="num">') >= 9  # score, dense and lexical of each candidate
    assert console_site.store.stats().questions == 0  # a try is not logged as a citizen's question


def test_the_faq_editor_shows_each_fields_problem_and_writes_nothing(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    before = (console_site.knowledge / "faq" / "mau.yaml").read_text("utf-8")
    form = {**NEW_ENTRY, "questions": "Chỉ một câu hỏi?", "topic": "khong-co", "source": ""}
    response = admin.post("/admin/faq/preview", data={**form, "csrf": token(admin)})
    assert response.status_code == 400
    page = response.text
    assert 'id="questions-error">Cần ít nhất 3 cách hỏi' in page
    assert 'id="topic-error">Không có chủ đề “khong-co”' in page
    assert 'id="source-error">Chưa ghi nguồn.' in page
    assert "Lưu vào kho tri thức" not in page
    assert (console_site.knowledge / "faq" / "mau.yaml").read_text("utf-8") == before
    assert not (console_site.knowledge / "faq" / "dich-vu-cong.yaml").exists()


def test_an_edit_shows_its_diff_before_saving_and_a_stale_preview_is_shown_again(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    page = admin.get("/admin/faq/vneid-kich-hoat").text
    assert "Làm thế nào để kích hoạt tài khoản định danh điện tử?" in page
    form = {
        "mode": "update",
        "id": "vneid-kich-hoat",
        "topic": "vneid",
        "questions": "Làm thế nào để kích hoạt tài khoản định danh điện tử?\n"
        "Cách kích hoạt VNeID sau khi được duyệt\nkich hoat vneid ntn\nkích hoạt vneid mức 2",
        "answer": "Bạn mở ứng dụng VNeID và làm theo tin nhắn kích hoạt.",
        "source": "Bộ Công an",
        "url": "",
        "updated": "2026-11-30",
        "csrf": csrf_of(page),
    }
    preview = admin.post("/admin/faq/preview", data=form)
    assert preview.status_code == 200
    assert "+    - kích hoạt vneid mức 2" in preview.text
    path = console_site.knowledge / "faq" / "mau.yaml"
    assert "mức 2" not in path.read_text("utf-8")  # nothing written by a preview

    stale = admin.post("/admin/faq/save", data={**form, "digest": "0" * 16})
    assert stale.status_code == 409
    assert "vừa thay đổi sau khi bạn xem trước" in stale.text

    saved = admin.post("/admin/faq/save", data={**form, "digest": digest_of(preview.text)})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/faq/vneid-kich-hoat"
    assert "kích hoạt vneid mức 2" in path.read_text("utf-8")
    assert "Đã lưu mục “vneid-kich-hoat”" in admin.get(saved.headers["location"]).text


def test_an_entry_is_deleted_after_its_diff_is_shown(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    page = admin.get("/admin/faq/ttso-chuyen-khoan/delete").text
    assert "-- id: ttso-chuyen-khoan" in page
    response = admin.post(
        "/admin/faq/ttso-chuyen-khoan/delete",
        data={"csrf": csrf_of(page), "digest": digest_of(page)},
    )
    assert response.headers["location"] == "/admin/faq"
    assert "ttso-chuyen-khoan" not in (console_site.knowledge / "faq" / "mau.yaml").read_text(
        "utf-8"
    )


def test_the_faq_list_finds_entries_by_words_without_diacritics(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    page = admin.get("/admin/faq", params={"q": "quet ma qr"}).text
    assert 'href="/admin/faq/ttso-quet-qr"' in page
    assert 'href="/admin/faq/vneid-kich-hoat"' not in page


def _sheet(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_spreadsheet_with_a_bad_row_is_refused_row_by_row_and_nothing_is_written(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    download = admin.get("/admin/faq/export.xlsx")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="hoi-dap-')
    before = sorted(p.read_text("utf-8") for p in (console_site.knowledge / "faq").iterdir())
    from openpyxl import load_workbook

    rows = [list(r) for r in load_workbook(io.BytesIO(download.content)).active.values]
    rows.append(["", "khong-co-chu-de", "Một câu hỏi mới?", "", "Trả lời.", "", "", ""])
    response = admin.post(
        "/admin/faq/import",
        data={"csrf": token(admin, "/admin/faq")},
        files={"file": ("hoi-dap.xlsx", _sheet([[c or "" for c in r] for r in rows]))},
    )
    assert response.status_code == 400
    assert f"Dòng {len(rows)}, cột" in response.text
    assert "Chưa ghi gì vào kho tri thức." in response.text
    assert (
        sorted(p.read_text("utf-8") for p in (console_site.knowledge / "faq").iterdir()) == before
    )


def test_a_report_is_downloaded_for_the_chosen_period(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    for format in ("html", "csv", "xlsx"):
        response = admin.get(
            "/admin/reports/download", params={"kind": "half", "value": "2026-H1", "format": format}
        )
        assert response.status_code == 200, format
        assert response.headers["content-disposition"] == (
            f'attachment; filename="bao-cao-6-thang-2026-H1.{format}"'
        )
    assert "6 tháng đầu năm 2026" in admin.get(
        "/admin/reports/download", params={"kind": "half", "value": "2026-H1"}
    ).content.decode("utf-8")
    refused = admin.get("/admin/reports/download", params={"kind": "month", "value": "2026-13"})
    assert refused.status_code == 303
    assert "Không có tháng 13" in admin.get("/admin/reports").text


def test_the_gaps_page_groups_unanswered_questions_and_starts_a_new_entry_from_one(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    for n, question in enumerate(
        ["làm căn cước cho con ở đâu", "Làm căn cước cho con ở đâu?", "làm căn cước cho con ở đâu"]
    ):
        console_site.store.log_conversation("api", f"u{n}", question, False, "none", 0.1, None)
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    page = admin.get("/admin/gaps").text
    assert "3 lần" in page
    link = page.split('class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert link.startswith("/admin/faq/new?topic=")
    editor = admin.get(link).text
    assert "Thêm câu hỏi mới" in editor
    assert "cho con ở đâu" in editor.split('name="questions"', 1)[1].split("</textarea>", 1)[0]


def test_accounts_are_added_listed_and_removed_from_the_command_line(
    console_site: ConsoleSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CDS_DB_PATH", str(console_site.settings.db_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-dai\n"))
    assert cli_main(["add-user", "lan", "--role", "editor", "--password-stdin"]) == 0
    assert "Đã tạo tài khoản “lan” (Biên tập viên)." in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    assert cli_main(["add-user", "minh", "--role", "team", "--password-stdin"]) == 1
    assert "Mật khẩu cần ít nhất 10 ký tự." in capsys.readouterr().err
    answers = iter(["mot-mat-khau-dai", "mat-khau-khac-han"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli_main(["add-user", "minh", "--role", "team"]) == 1
    assert "Hai lần nhập mật khẩu không giống nhau" in capsys.readouterr().err
    assert cli_main(["list-users"]) == 0
    assert capsys.readouterr().out.split() == ["lan", "editor"]
    assert cli_main(["remove-user", "lan"]) == 0
    assert cli_main(["remove-user", "lan"]) == 1
    store = Store.from_settings(console_site.settings)
    assert store.console_users() == []
    store.close()


def _wait_for_build(browser: httpx.Client, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = browser.get("/admin/rebuild/status", headers={"Accept": "application/json"}).json()
        if status["state"] != "running":
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def test_an_entry_added_in_the_console_answers_after_a_rebuild_that_loses_no_question(
    console_site: ConsoleSite,
) -> None:
    console_site.add_user("an", "editor")
    app = __import__("bot.server", fromlist=["create_app"]).create_app(
        console_site.settings, service=console_site.service
    )
    with LocalServer(app, lifespan="on") as server:
        browser = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
        assert sign_in(browser, "an").status_code == 303
        editor = browser.get("/admin/faq/new").text
        preview = browser.post("/admin/faq/preview", data={**NEW_ENTRY, "csrf": csrf_of(editor)})
        assert "+  topic: dich-vu-cong" in preview.text
        saved = browser.post(
            "/admin/faq/save",
            data={**NEW_ENTRY, "csrf": csrf_of(editor), "digest": digest_of(preview.text)},
        )
        assert saved.status_code == 303
        new_id = saved.headers["location"].rsplit("/", 1)[1]
        assert new_id.startswith("dvc-") or new_id.startswith("dich-vu-cong-")
        before = httpx.post(f"{server.url}/api/ask", json={"question": NEW_QUESTION}).json()
        assert NEW_ANSWER not in before["answer"]

        statuses: list[int] = []
        answered: list[bool] = []
        stop = threading.Event()

        def ask() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as citizen:
                while not stop.is_set():
                    response = citizen.post("/api/ask", json={"question": VNEID_QUESTION})
                    statuses.append(response.status_code)
                    answered.append(VNEID_ANSWER in response.json().get("answer", ""))

        askers = [threading.Thread(target=ask) for _ in range(3)]
        for asker in askers:
            asker.start()
        started = browser.post("/admin/rebuild", data={"csrf": csrf_of(editor)})
        assert started.headers["location"] == "/admin/rebuild"
        status = _wait_for_build(browser)
        stop.set()
        for asker in askers:
            asker.join()

        assert status["state"] == "done", status
        assert len(statuses) >= 3
        assert set(statuses) == {200} and all(answered)
        after = httpx.post(f"{server.url}/api/ask", json={"question": NEW_QUESTION}).json()
        assert NEW_ANSWER in after["answer"]
        assert after["sources"][0]["id"] == new_id
        page = browser.get("/admin/rebuild").text
        assert "Đã xây xong. Bot đang trả lời bằng chỉ mục mới." in page
        browser.close()


def test_a_failed_build_keeps_the_old_index_serving_and_shows_the_error(
    console_site: ConsoleSite,
) -> None:
    console_site.add_user("an", "editor")
    serving = console_site.service.answerer.retriever.index.path
    (console_site.knowledge / "faq" / "hong.yaml").write_text("- id: hong\n  topic: [\n", "utf-8")
    app = __import__("bot.server", fromlist=["create_app"]).create_app(
        console_site.settings, service=console_site.service
    )
    with TestClient(app, follow_redirects=False) as browser:
        sign_in(browser, "an")
        browser.post("/admin/rebuild", data={"csrf": token(browser, "/admin/rebuild")})
        status = _wait_for_build(browser)  # type: ignore[arg-type]
        assert status["state"] == "failed"
        assert "hong.yaml" in status["error"]
        assert console_site.service.answerer.retriever.index.path == serving
        answer = browser.post("/api/ask", json={"question": VNEID_QUESTION}).json()
        assert VNEID_ANSWER in answer["answer"]
        page = browser.get("/admin/rebuild").text
        assert "Không xây được chỉ mục. Bot vẫn trả lời bằng chỉ mục cũ." in page
        assert "hong.yaml" in page


def test_a_second_build_is_refused_while_one_runs(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    csrf = token(admin, "/admin/rebuild")
    admin.post("/admin/rebuild", data={"csrf": csrf})
    second = admin.post("/admin/rebuild", data={"csrf": csrf})
    follow = admin.get(second.headers["location"]).text
    status = _wait_for_build(admin)  # type: ignore[arg-type]
    assert status["state"] == "done"
    assert "Chỉ mục đang được xây, vui lòng chờ xong." in follow


def test_the_spreadsheet_upload_may_be_larger_than_the_apis_body_limit(
    admin: TestClient, console_site: ConsoleSite, tmp_path: Path
) -> None:
    console_site.add_user("an", "editor")
    sign_in(admin, "an")
    big = b"x" * 200_000
    refused = admin.post("/api/ask", content=big, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413
    response = admin.post(
        "/admin/faq/import",
        data={"csrf": token(admin, "/admin/faq")},
        files={"file": ("hoi-dap.csv", big)},
    )
    assert response.status_code != 413  # read as a sheet, not refused as too large
    assert "Nhập bảng tính “hoi-dap.csv”" in response.text


def test_the_team_answers_a_web_chat_request_from_the_console_and_closes_another(
    admin: TestClient, console_site: ConsoleSite
) -> None:
    asked = admin.post(
        "/api/handover",
        json={"question": "Tôi cần người hướng dẫn cài VNeID cho bố mẹ", "user_id": "web-1"},
    ).json()
    other = admin.post(
        "/api/handover", json={"question": "Cho tôi gặp cán bộ", "user_id": "web-2"}
    ).json()
    number = asked["handover_id"]
    console_site.add_user("to", "team")
    sign_in(admin, "to")
    listing = admin.get("/admin/tickets").text
    assert f'href="/admin/tickets/{number}">#{number}</a> · Tôi cần người hướng dẫn' in listing
    assert "chưa trả lời" in listing

    sent = admin.post(
        f"/admin/tickets/{number}/reply",
        data={"csrf": csrf_of(listing), "text": "Chiều nay tổ sẽ qua nhà bác để cài giúp ạ."},
    )
    assert sent.headers["location"] == "/admin/tickets"
    assert f"Đã gửi trả lời cho yêu cầu #{number}." in admin.get("/admin/tickets").text
    replies = admin.get("/api/replies", headers={"X-User-Id": "web-1"}).json()["replies"]
    assert [reply["text"] for reply in replies] == [
        "Tổ công nghệ số cộng đồng trả lời câu hỏi của bạn:\n"
        "Chiều nay tổ sẽ qua nhà bác để cài giúp ạ."
    ]
    detail = admin.get(f"/admin/tickets/{number}").text
    assert "trả lời: Chiều nay tổ sẽ qua nhà bác để cài giúp ạ." in detail

    closed = admin.post(
        f"/admin/tickets/{other['handover_id']}/close", data={"csrf": csrf_of(listing)}
    )
    assert closed.headers["location"] == "/admin/tickets"
    listing = admin.get("/admin/tickets").text
    assert f"Đã đóng yêu cầu #{other['handover_id']}." in listing
    assert "Cho tôi gặp cán bộ" not in listing
    again = admin.post(
        f"/admin/tickets/{other['handover_id']}/reply", data={"csrf": csrf_of(listing), "text": "x"}
    )
    assert "đã đóng nên không gửi trả lời được nữa" in admin.get(again.headers["location"]).text
    events = console_site.service.tickets.events(number)
    assert [event.kind for event in events] == ["reply"]
    assert events[0].actor_hash == console_site.store.user_hash("console", "to")
