"""The editors' console in headless Chromium against the real app on 127.0.0.1: signing in,
the overview, the FAQ editor, gaps, try a question and a rebuild followed live.

The test saves screenshots of the pages; `make screenshots` runs it with SCREENSHOTS_DIR=docs
to refresh docs/console-*.png."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.server import create_app

from .conftest import ROOT
from .console_app import PASSWORD, ConsoleSite
from .fakes.server import LocalServer
from .test_web_chat import CHROMIUM, LAUNCH_ARGS, PHONE, TIMEOUT_MS

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if not CHROMIUM.is_file():
    pytest.skip("the system Chromium is not installed", allow_module_level=True)

DESKTOP = {"width": 1200, "height": 900}
DAY = 86400.0
DECLINED = [
    "làm căn cước cho con ở đâu",
    "Làm căn cước cho con ở đâu?",
    "làm căn cước cho con ở đâu",
    "đổi số điện thoại trên VNeID thế nào",
    "Đổi số điện thoại trên VNeID thế nào?",
]


def _seed(console_site: ConsoleSite) -> None:
    """A few days of questions, votes and requests for a person, as the overview shows."""
    store = console_site.store
    now = time.time()
    today = time.localtime(now).tm_mday
    ids: list[tuple[int, float]] = []
    for day in range(min(today, 8)):
        for n in range(6 + (day * 5) % 9):
            channel = ("api", "zalo", "telegram", "zalo-bot")[n % 4]
            answered = n % 5 != 0
            question = "Cách kích hoạt VNeID?" if answered else DECLINED[(day + n) % len(DECLINED)]
            ids.append(
                (
                    store.log_conversation(
                        channel, f"u{day}-{n}", question, answered, "faq", 0.9, "vneid-kich-hoat"
                    ),
                    now - day * DAY,
                )
            )
            if n % 3 == 0:
                store.add_feedback(channel, f"u{day}-{n}", ids[-1][0], helpful=n % 2 == 0)
        store.add_handover(("zalo", "telegram")[day % 2], f"h{day}", "cho tôi gặp cán bộ")
    database = sqlite3.connect(console_site.settings.db_path)
    database.executemany("UPDATE conversations SET created_at = ? WHERE id = ?", [
        (when, conversation) for conversation, when in ids
    ])  # fmt: skip
    database.commit()
    database.close()


@pytest.fixture
def live_console(console_site: ConsoleSite) -> Iterator[str]:
    console_site.add_user("lan", "editor")
    _seed(console_site)
    app = create_app(console_site.settings, service=console_site.service)
    with LocalServer(app, lifespan="on") as server:
        yield server.url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/ under `make screenshots`, else the test's own folder."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    return ROOT / chosen if chosen else tmp_path  # tests run in their own folder: not cwd


def test_an_editor_signs_in_edits_an_entry_and_rebuilds_in_chromium(
    live_console: str, shots: Path
) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        expect = sync_api.expect

        page.goto(f"{live_console}/admin/faq")
        expect(page).to_have_title("Đăng nhập · Trợ lý chuyển đổi số Lai Châu")
        page.get_by_label("Tên đăng nhập").fill("lan")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("heading", name="Câu hỏi thường gặp")).to_be_visible()

        page.get_by_role("link", name="Tổng quan").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tổng quan tháng")
        expect(page.get_by_role("img", name="Biểu đồ số câu hỏi trả lời được")).to_be_visible()
        page.screenshot(path=shots / "console-overview.png", full_page=True)

        page.get_by_role("link", name="Hỏi đáp").click()
        page.get_by_label("Tìm").fill("quet qr")
        page.get_by_role("button", name="Tìm").click()
        page.get_by_role("link", name="Thanh toán bằng mã QR như thế nào?").click()
        answer = page.get_by_label("Trả lời")
        answer.fill(answer.input_value() + " Không quét mã do người lạ gửi qua tin nhắn.")
        page.get_by_role("button", name="Xem trước thay đổi").click()
        expect(page.locator(".diff .add").last).to_contain_text("Không quét mã do người lạ")
        page.screenshot(path=shots / "console-faq.png", full_page=True)
        page.get_by_role("button", name="Lưu vào kho tri thức").click()
        expect(page.locator(".flash")).to_contain_text("Đã lưu mục “ttso-quet-qr”")

        page.get_by_role("link", name="Câu hỏi chưa có lời đáp").click()
        expect(page.locator(".gap h2").first).to_contain_text("căn cước cho con ở đâu")
        page.screenshot(path=shots / "console-gaps.png", full_page=True)
        page.get_by_role("link", name="Tạo câu hỏi mới").first.click()
        expect(page.get_by_label("Câu hỏi (mỗi dòng")).to_have_value(
            re.compile("căn cước cho con ở đâu")
        )

        page.get_by_role("link", name="Thử câu hỏi").click()
        page.get_by_label("Câu hỏi").fill("quet ma qr tra tien")
        page.get_by_role("button", name="Hỏi thử").click()
        expect(page.locator(".answer")).to_contain_text("quét mã QR")
        expect(page.locator("table.candidates tbody tr").first).to_contain_text("ttso-quet-qr")
        page.screenshot(path=shots / "console-try.png", full_page=True)

        page.get_by_role("link", name="Xây lại chỉ mục").click()
        page.get_by_role("button", name="Xây lại chỉ mục").click()
        # The page's script follows the build until it is served.
        expect(page.locator("#build-message")).to_have_text(
            "Đã xây xong. Bot đang trả lời bằng chỉ mục mới.", timeout=120_000
        )
        expect(page.get_by_role("button", name="Xây lại chỉ mục")).to_be_enabled()

        phone = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            locale="vi-VN",
            storage_state=context.storage_state(),
        )
        small = phone.new_page()
        small.goto(f"{live_console}/admin/")
        expect(small.get_by_role("heading", level=1)).to_contain_text("Tổng quan tháng")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone but the tables' scroll
        small.screenshot(path=shots / "console-phone.png")
        phone.close()
        context.close()
        browser.close()
    assert problems == []  # no script errors, nothing the page's CSP refused
