"""The web chat at /chat, driven in headless Chromium against the real app on 127.0.0.1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bot.channels.common import RATE_LIMITED_REPLY, ChatService
from bot.server import create_app
from bot.settings import Settings
from bot.storage import Store

from .conftest import ROOT
from .fakes.server import LocalServer
from .fakes.telegram_api import TOKEN, FakeTelegram, message_update
from .fakes.zalo_api import wait_until

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "the system Chromium (/usr/bin/chromium) is not installed: apt-get install -y chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
QR_QUESTION = "cách quét mã QR để trả tiền"
QR_ANSWER = "Bạn mở ứng dụng ngân hàng, chọn quét mã QR"
QR_SOURCE = "Thanh toán bằng mã QR như thế nào?"
TIMEOUT_MS = 20_000


@dataclass
class LiveApp:
    url: str
    store: Store


@pytest.fixture
def live_app(chat_service: ChatService, request: pytest.FixtureRequest) -> Iterator[LiveApp]:
    """The real app with the fixture index, served by uvicorn on a free loopback port (with
    the settings a test passes as `live_app`'s indirect parameter)."""
    app = create_app(Settings(**getattr(request, "param", {})), service=chat_service)
    with LocalServer(app, lifespan="on") as server:
        yield LiveApp(server.url, chat_service.store)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    # launch() gives every run a fresh temporary profile (user-data-dir) of its own.
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Chat:
    page: sync_api.Page
    requests: list[str]

    def ask(self, question: str) -> None:
        box = self.page.get_by_label("Câu hỏi của bạn")
        box.fill(question)
        box.press("Enter")


@pytest.fixture
def chat(browser: sync_api.Browser, live_app: LiveApp) -> Iterator[Chat]:
    """A phone-sized page on /chat that records every request it makes."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_app.url}/chat")
    yield Chat(page, requests)
    context.close()


def last_answer(chat: Chat) -> sync_api.Locator:
    return chat.page.locator(".msg.bot:not(.typing)").last


def test_a_citizen_gets_an_answer_rates_it_and_asks_for_a_person(
    chat: Chat, live_app: LiveApp
) -> None:
    page = chat.page
    sync_api.expect(page).to_have_title("Trợ lý chuyển đổi số Lai Châu")
    sync_api.expect(page.locator("html")).to_have_attribute("lang", "vi")
    sync_api.expect(page.locator("#messages")).to_have_attribute("aria-live", "polite")

    chat.ask(QR_QUESTION)

    answer = last_answer(chat)
    sync_api.expect(answer.locator(".text")).to_contain_text(QR_ANSWER)
    sync_api.expect(answer.locator(".sources")).to_contain_text(QR_SOURCE)
    sync_api.expect(page.locator(".msg.user").last).to_have_text(QR_QUESTION)
    sync_api.expect(page.get_by_label("Câu hỏi của bạn")).to_have_value("")
    sync_api.expect(page.get_by_role("button", name="Gửi")).to_be_enabled()

    helpful = answer.get_by_role("button", name="Câu trả lời hữu ích")
    helpful.click()
    sync_api.expect(answer).to_contain_text("Cảm ơn bạn đã góp ý!")
    sync_api.expect(helpful).to_be_disabled()
    sync_api.expect(answer.get_by_role("button", name="Chưa hữu ích")).to_be_disabled()
    assert live_app.store.stats().helpful == 1

    page.get_by_role("button", name="Gặp cán bộ hỗ trợ").click()
    sync_api.expect(last_answer(chat)).to_contain_text(
        "Đã chuyển yêu cầu gặp cán bộ hỗ trợ tới Tổ công nghệ số cộng đồng"
    )
    user_id = page.evaluate("localStorage.getItem('user_id')")
    assert user_id.startswith("web-")
    [handover] = live_app.store.open_handovers()
    assert handover["question"] == QR_QUESTION
    assert handover["user_hash"] == live_app.store.user_hash("api", user_id)
    sync_api.expect(last_answer(chat)).to_contain_text(f"#{handover['id']}")
    page.get_by_role("button", name="Gặp cán bộ hỗ trợ").click()  # a second press
    sync_api.expect(page.locator(".msg.notice")).to_have_count(2)
    assert len(live_app.store.open_handovers()) == 1

    outside = {
        urlsplit(url).hostname
        for url in chat.requests
        if urlsplit(url).scheme not in ("data", "blob")
    }
    assert outside == {"127.0.0.1"}
    assert any(url.endswith("/static/chat.js") for url in chat.requests)


def test_while_waiting_the_chat_says_it_is_searching_and_cannot_send_twice(chat: Chat) -> None:
    held: list[sync_api.Route] = []
    # The real request waits here until the test releases it.
    chat.page.route("**/api/ask", lambda route: held.append(route))

    chat.ask(QR_QUESTION)

    sync_api.expect(chat.page.get_by_text("Đang tìm câu trả lời…")).to_be_visible()
    sync_api.expect(chat.page.get_by_role("button", name="Gửi")).to_be_disabled()
    sync_api.expect(chat.page.get_by_label("Câu hỏi của bạn")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text(QR_ANSWER)
    sync_api.expect(chat.page.get_by_text("Đang tìm câu trả lời…")).to_have_count(0)
    sync_api.expect(chat.page.get_by_role("button", name="Gửi")).to_be_enabled()


def test_example_and_suggestion_buttons_ask_their_question(chat: Chat) -> None:
    example = "Cách kích hoạt tài khoản VNeID"
    chat.page.get_by_role("button", name=example).click()
    sync_api.expect(chat.page.locator(".msg.user").last).to_have_text(example)
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text("mở ứng dụng VNeID")

    chat.ask(QR_QUESTION)
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text(QR_ANSWER)
    transfer = "Chuyển tiền qua ứng dụng ngân hàng như thế nào?"
    last_answer(chat).get_by_role("button", name=transfer).click()
    sync_api.expect(chat.page.locator(".msg.user").last).to_have_text(transfer)
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text("chọn chuyển tiền")


def test_the_chat_fits_a_phone_screen_without_sideways_scrolling(chat: Chat) -> None:
    chat.ask(QR_QUESTION)
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text(QR_ANSWER)

    widths = chat.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.getElementById('messages').scrollWidth,"
        " document.getElementById('messages').clientWidth]"
    )
    assert widths[0] <= widths[1] == PHONE["width"]
    assert widths[2] <= widths[3]
    send = chat.page.get_by_role("button", name="Gửi").bounding_box()
    assert send is not None and send["height"] >= 44

    # WEB_CHAT_SCREENSHOT=docs/web-chat.png refreshes the README picture.
    target = os.environ.get("WEB_CHAT_SCREENSHOT")
    shot = chat.page.screenshot(path=str(ROOT / target) if target else None)
    assert shot.startswith(b"\x89PNG")


def test_answer_text_is_shown_as_text_never_as_markup(chat: Chat) -> None:
    # The fixture knowledge holds no markup, so this one reply comes from a local stand-in.
    reply = {
        "question": "thử",
        "answered": True,
        "answer": '<img src="x" onerror="document.title=1">Dòng một\nDòng hai',
        "kind": "faq",
        "score": 0.9,
        "sources": [
            {"id": "a", "title": "<b>Tiêu đề</b>", "section": "Mục 1", "url": "/static/chat.css"}
        ],
        "suggestions": [],
        "conversation_id": 7,
    }
    chat.page.route(
        "**/api/ask",
        lambda route: route.fulfill(
            content_type="application/json", body=json.dumps(reply, ensure_ascii=False)
        ),
    )
    chat.ask("thử")

    answer = last_answer(chat)
    sync_api.expect(answer.locator(".text")).to_have_text(
        '<img src="x" onerror="document.title=1">Dòng một\nDòng hai'
    )
    assert answer.locator("img, b").count() == 0
    assert answer.locator(".text").inner_text().splitlines() == [
        '<img src="x" onerror="document.title=1">Dòng một',
        "Dòng hai",
    ]
    link = answer.get_by_role("link", name="<b>Tiêu đề</b> › Mục 1")
    sync_api.expect(link).to_have_attribute("rel", "noopener")
    sync_api.expect(chat.page).to_have_title("Trợ lý chuyển đổi số Lai Châu")


def test_a_rejected_question_gets_a_polite_reply_and_stays_in_the_box(chat: Chat) -> None:
    too_long = "câu hỏi " * 1200  # over the API's limit: the real server answers 400

    chat.ask(too_long)

    sync_api.expect(last_answer(chat)).to_have_text(
        "Xin lỗi, câu hỏi chưa gửi được. Bạn vui lòng kiểm tra lại nội dung rồi gửi lại."
    )
    sync_api.expect(chat.page.get_by_label("Câu hỏi của bạn")).to_have_value(too_long.strip())
    sync_api.expect(chat.page.get_by_role("button", name="Gửi")).to_be_enabled()


def test_a_lost_connection_gets_a_polite_reply_and_keeps_the_question(chat: Chat) -> None:
    chat.page.route("**/api/ask", lambda route: route.abort("connectionrefused"))

    chat.ask(QR_QUESTION)

    sync_api.expect(last_answer(chat)).to_contain_text("Không kết nối được tới máy chủ")
    sync_api.expect(chat.page.locator(".msg.user").last).to_contain_text("Chưa gửi được")
    sync_api.expect(chat.page.get_by_label("Câu hỏi của bạn")).to_have_value(QR_QUESTION)

    chat.page.unroute("**/api/ask")
    chat.page.get_by_role("button", name="Gửi").click()
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text(QR_ANSWER)


def test_the_page_names_no_outside_host() -> None:
    for name in ("chat.html", "chat.css", "chat.js"):
        text = (ROOT / "bot" / "static" / name).read_text(encoding="utf-8")
        # Only the SVG namespace (an identifier, never fetched) may name another host.
        assert "https://" not in text
        assert text.replace("http://www.w3.org/2000/svg", "").count("http://") == 0, name


@pytest.mark.parametrize(
    "live_app", [{"CDS_IP_RATE_BURST": 1, "CDS_IP_RATE_PER_MINUTE": 1}], indirect=True
)
def test_a_visitor_asking_too_fast_is_asked_politely_to_wait(chat: Chat) -> None:
    chat.ask(QR_QUESTION)
    sync_api.expect(last_answer(chat).locator(".text")).to_contain_text(QR_ANSWER)

    chat.ask("Cách kích hoạt tài khoản VNeID")

    sync_api.expect(last_answer(chat)).to_have_text(RATE_LIMITED_REPLY)
    sync_api.expect(chat.page.get_by_role("button", name="Gửi")).to_be_enabled()


def test_a_request_for_a_person_answered_in_the_team_group_appears_in_the_page(
    browser: sync_api.Browser, chat_service: ChatService
) -> None:
    group, secret = -1009876, "web-chat-test-secret"
    answer = "Chào bạn, bạn mang CCCD ra Bộ phận một cửa của xã, cán bộ sẽ giúp bạn."
    with FakeTelegram() as telegram:
        settings = Settings(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=secret,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            TELEGRAM_TEAM_CHAT_ID=group,
        )
        app = create_app(settings, service=chat_service)
        with LocalServer(app, lifespan="on") as server:
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto(f"{server.url}/chat")
            chat = Chat(page, [])
            chat.ask(QR_QUESTION)
            sync_api.expect(last_answer(chat).locator(".text")).to_contain_text(QR_ANSWER)
            page.get_by_role("button", name="Gặp cán bộ hỗ trợ").click()
            sync_api.expect(page.locator(".msg.notice")).to_have_count(1)

            def alerts() -> list[dict]:
                return [m for m in telegram.messages if m["chat"]["id"] == group]

            wait_until(lambda: bool(alerts()))
            reply = message_update(
                900, answer, chat_id=group, user_id=501, reply_to_message=alerts()[-1]
            )
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            posted = httpx.post(f"{server.url}/webhook/telegram", json=reply, headers=headers)
            assert posted.status_code == 200

            team = page.locator(".msg.team")
            sync_api.expect(team).to_contain_text(
                "Tổ công nghệ số cộng đồng trả lời câu hỏi của bạn:"
            )
            sync_api.expect(team).to_contain_text(answer)
            page.reload()  # shown once: the browser said which replies it has seen
            page.wait_for_timeout(5000)
            sync_api.expect(page.locator(".msg.team")).to_have_count(0)
            context.close()
