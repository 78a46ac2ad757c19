"""The Zalo Bot Platform channel, end to end: webhook and polling in, sendMessage out, through
the real httpx client against a local Zalo Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.answer import Answerer
from bot.channels.common import NON_TEXT_REPLY, ChatService
from bot.channels.zalo_bot import ZaloBotChannel, poll, set_webhook
from bot.errors import ChannelError
from bot.index import open_index
from bot.search import Retriever
from bot.server import create_app
from bot.settings import Settings
from bot.storage import Store
from tests.fakes.zalo_api import FakeZaloBot, async_wait_until

TOKEN = "1459232241454765289:kLmNoPqRsTuV"
SECRET = "webhook-secret-8f3k2"
USER = "e4ea2cd5189df1c3a88c"
QUESTION = "Làm thế nào để kích hoạt tài khoản định danh điện tử?"
FAQ_ANSWER = "bạn mở ứng dụng VNeID, nhập số định danh cá nhân"


@pytest.fixture
def zalo() -> Iterator[FakeZaloBot]:
    fake = FakeZaloBot(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def service(fixture_index: Path, embedder, tmp_path: Path) -> ChatService:
    answerer = Answerer(Retriever(open_index(fixture_index, embedder), embedder), threshold=0.5)
    return ChatService(answerer, Store(tmp_path / "db.sqlite"))


def settings_for(zalo: FakeZaloBot, **overrides: str) -> Settings:
    values = {
        "ZALO_BOT_TOKEN": TOKEN,
        "ZALO_BOT_WEBHOOK_SECRET": SECRET,
        "ZALO_BOT_API_BASE_URL": zalo.url,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def running(settings: Settings, service: ChatService) -> Iterator[TestClient]:
    """The app with its Zalo Bot channel; leaving waits for replies still in flight."""
    with TestClient(create_app(settings, service=service)) as client:
        yield client


def update(event: str = "message.text.received", message_id: str = "zb-1", **fields) -> dict:
    return {
        "event_name": event,
        "message": {
            "from": {"id": USER, "display_name": "Người dân", "is_bot": False},
            "chat": {"id": USER, "chat_type": "PRIVATE"},
            "message_id": message_id,
            "date": 1749632637199,
            **fields,
        },
    }


def text_update(text: str = QUESTION, message_id: str = "zb-1") -> dict:
    return update("message.text.received", message_id, text=text)


def post(client: TestClient, body: dict, secret: str | None = SECRET):
    headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhook/zalo-bot", json=body, headers=headers)


def test_a_webhook_update_with_the_right_secret_gets_the_answer(
    zalo: FakeZaloBot, service: ChatService
) -> None:
    with running(settings_for(zalo), service) as client:
        response = post(client, {"ok": True, "result": text_update()})
    assert response.status_code == 200
    [sent] = zalo.calls_to("sendMessage")
    assert sent["chat_id"] == USER
    assert FAQ_ANSWER in sent["text"]
    assert zalo.calls_to("sendChatAction") == [{"chat_id": USER, "action": "typing"}]


def test_a_bare_update_without_the_ok_wrapper_is_answered_too(
    zalo: FakeZaloBot, service: ChatService
) -> None:
    with running(settings_for(zalo), service) as client:
        assert post(client, text_update()).status_code == 200
    [text] = zalo.sent_texts()
    assert FAQ_ANSWER in text


@pytest.mark.parametrize("secret", ["wrong-secret-123", "", None])
def test_a_wrong_or_missing_secret_is_refused_with_403_and_nothing_is_sent(
    zalo: FakeZaloBot, service: ChatService, secret: str | None
) -> None:
    with running(settings_for(zalo), service) as client:
        response = post(client, {"ok": True, "result": text_update()}, secret=secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert zalo.calls == []
    assert service.store.stats().questions == 0


def test_a_repeated_update_is_answered_once(zalo: FakeZaloBot, service: ChatService) -> None:
    with running(settings_for(zalo), service) as client:
        assert post(client, text_update()).status_code == 200
        assert post(client, text_update()).status_code == 200
    assert len(zalo.sent_texts()) == 1


@pytest.mark.parametrize("event", ["message.sticker.received", "message.image.received"])
def test_a_sticker_or_photo_gets_the_text_only_reply(
    zalo: FakeZaloBot, service: ChatService, event: str
) -> None:
    with running(settings_for(zalo), service) as client:
        assert post(client, update(event, sticker="d063f44dc80821567819")).status_code == 200
    assert zalo.sent_texts() == [NON_TEXT_REPLY]


def test_logs_never_show_the_bot_token_or_the_user_id(
    zalo: FakeZaloBot, service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next("sendMessage", 500)  # the failure is logged too
    with caplog.at_level(logging.DEBUG), running(settings_for(zalo), service) as client:
        post(client, text_update())
    assert "sendMessage failed" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
    assert USER not in caplog.text


async def test_polling_answers_an_update_and_stops_when_asked(
    zalo: FakeZaloBot, service: ChatService
) -> None:
    zalo.updates.append(text_update())
    stop = asyncio.Event()
    task = asyncio.create_task(poll(settings_for(zalo), service, stop))
    await async_wait_until(lambda: len(zalo.sent_texts()) == 1)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert FAQ_ANSWER in zalo.sent_texts()[0]
    assert zalo.calls[0].method == "deleteWebhook"
    assert zalo.calls_to("getUpdates")[0] == {"timeout": "30"}


async def test_polling_backs_off_after_an_error_and_carries_on(
    zalo: FakeZaloBot, service: ChatService
) -> None:
    zalo.fail_next("getUpdates", 502)
    zalo.updates.append(text_update())
    stop = asyncio.Event()
    task = asyncio.create_task(poll(settings_for(zalo), service, stop))
    await async_wait_until(lambda: len(zalo.sent_texts()) == 1)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert len(zalo.calls_to("getUpdates")) >= 2


async def test_polling_stops_promptly_while_waiting_for_updates(
    zalo: FakeZaloBot, service: ChatService
) -> None:
    zalo.empty_poll_seconds = 30  # a long-poll that would hold for the whole window
    stop = asyncio.Event()
    task = asyncio.create_task(poll(settings_for(zalo), service, stop))
    await async_wait_until(lambda: bool(zalo.calls_to("getUpdates")))
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert zalo.sent_texts() == []


async def test_set_webhook_sends_the_url_and_the_secret_token(zalo: FakeZaloBot) -> None:
    url = "https://cds.laichau.gov.vn/webhook/zalo-bot"
    result = await set_webhook(settings_for(zalo), url)
    assert zalo.calls_to("setWebhook") == [{"url": url, "secret_token": SECRET}]
    assert result["url"] == url


@pytest.mark.parametrize(
    ("overrides", "url", "message"),
    [
        ({}, "http://cds.example.vn/webhook/zalo-bot", "HTTPS"),
        ({"ZALO_BOT_WEBHOOK_SECRET": "short"}, "https://cds.example.vn/x", "8 to 256"),
    ],
)
async def test_set_webhook_refuses_what_zalo_would_refuse(
    zalo: FakeZaloBot, overrides: dict, url: str, message: str
) -> None:
    with pytest.raises(ChannelError, match=message):
        await set_webhook(settings_for(zalo, **overrides), url)
    assert zalo.calls == []


LONG_REPLY = "\n\n".join(
    f"Bước {step}: Bạn mở ứng dụng VNeID, chọn mục Thủ tục hành chính, kiểm tra kỹ thông tin "
    f"cá nhân, chụp ảnh giấy tờ theo hướng dẫn và bấm Gửi yêu cầu. Nếu gặp khó khăn, bạn liên "
    f"hệ Tổ công nghệ số cộng đồng ở thôn, bản để được hỗ trợ trực tiếp, miễn phí."
    for step in range(1, 31)
)


async def test_a_long_reply_is_sent_as_messages_of_at_most_2000_characters(
    zalo: FakeZaloBot, service: ChatService
) -> None:
    channel = ZaloBotChannel(settings_for(zalo))
    await channel.start(service)
    try:
        await channel.send(USER, LONG_REPLY)
    finally:
        await channel.stop()
    texts = zalo.sent_texts()
    assert len(texts) >= 3
    assert all(len(text) <= 2000 for text in texts)
    assert "\n\n".join(texts) == LONG_REPLY
