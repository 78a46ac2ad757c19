"""The Zalo Bot Platform channel, end to end: webhook and polling in, sendMessage out, through
the real httpx client against a local Zalo Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi.testclient import TestClient

from bot.channels import zalo_bot
from bot.channels.common import NON_TEXT_REPLY, ChatService
from bot.channels.zalo_bot import ZaloBotChannel, poll, set_webhook
from bot.errors import ChannelError
from bot.settings import Settings
from tests.conftest import (
    LONG_REPLY,
    VNEID_ANSWER,
    VNEID_QUESTION,
    assert_long_reply_arrived_in_zalo_sized_parts,
    running,
    send_once,
)
from tests.fakes.zalo_api import FakeZaloBot, async_wait_until, wait_until

TOKEN = "1459232241454765289:kLmNoPqRsTuV"
SECRET = "webhook-secret-8f3k2"
USER = "e4ea2cd5189df1c3a88c"


@pytest.fixture
def zalo() -> Iterator[FakeZaloBot]:
    with FakeZaloBot(TOKEN) as fake:
        yield fake


def settings_for(zalo: FakeZaloBot, **overrides: str) -> Settings:
    values = {
        "ZALO_BOT_TOKEN": TOKEN,
        "ZALO_BOT_WEBHOOK_SECRET": SECRET,
        "ZALO_BOT_API_BASE_URL": zalo.url,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def polling(
    zalo: FakeZaloBot, service: ChatService, stop_within: float = 5
) -> AsyncIterator[None]:
    """Polls `zalo` while inside; leaving asks polling to stop and waits `stop_within` seconds."""
    stop = asyncio.Event()
    task = asyncio.create_task(poll(settings_for(zalo), service, stop))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=stop_within)


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


def text_update(text: str = VNEID_QUESTION, message_id: str = "zb-1") -> dict:
    return update("message.text.received", message_id, text=text)


def post(client: TestClient, body: dict, secret: str | None = SECRET):
    headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhook/zalo-bot", json=body, headers=headers)


def test_a_webhook_update_with_the_right_secret_gets_the_answer(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, {"ok": True, "result": text_update()})
    assert response.status_code == 200
    [sent] = zalo.calls_to("sendMessage")
    assert sent["chat_id"] == USER
    assert VNEID_ANSWER in sent["text"]
    assert zalo.calls_to("sendChatAction") == [{"chat_id": USER, "action": "typing"}]


def test_a_bare_update_without_the_ok_wrapper_is_answered_too(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_update()).status_code == 200
    [text] = zalo.sent_texts()
    assert VNEID_ANSWER in text


@pytest.mark.parametrize("secret", ["wrong-secret-123", "", None])
def test_a_wrong_or_missing_secret_is_refused_with_403_and_nothing_is_sent(
    zalo: FakeZaloBot, chat_service: ChatService, secret: str | None
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, {"ok": True, "result": text_update()}, secret=secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert zalo.calls == []
    assert chat_service.store.stats().questions == 0


def test_a_repeated_update_is_answered_once(zalo: FakeZaloBot, chat_service: ChatService) -> None:
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_update()).status_code == 200
        assert post(client, text_update()).status_code == 200
    assert len(zalo.sent_texts()) == 1


@pytest.mark.parametrize("event", ["message.sticker.received", "message.image.received"])
def test_a_sticker_or_photo_gets_the_text_only_reply(
    zalo: FakeZaloBot, chat_service: ChatService, event: str
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, update(event, sticker="d063f44dc80821567819")).status_code == 200
    assert zalo.sent_texts() == [NON_TEXT_REPLY]


def test_logs_never_show_the_bot_token_or_the_user_id(
    zalo: FakeZaloBot, chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next("sendMessage", 500)  # the failure is logged too
    with caplog.at_level(logging.DEBUG), running(settings_for(zalo), chat_service) as client:
        post(client, text_update())
    assert "sendMessage failed" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
    assert USER not in caplog.text


async def test_polling_answers_an_update_and_stops_when_asked(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    zalo.updates.append(text_update())
    async with polling(zalo, chat_service):
        await async_wait_until(lambda: len(zalo.sent_texts()) == 1)
    assert VNEID_ANSWER in zalo.sent_texts()[0]
    assert zalo.calls[0].method == "deleteWebhook"
    assert zalo.calls_to("getUpdates")[0] == {"timeout": "30"}


async def test_polling_backs_off_after_an_error_and_carries_on(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    zalo.fail_next("getUpdates", 502)
    zalo.updates.append(text_update())
    async with polling(zalo, chat_service):
        await async_wait_until(lambda: len(zalo.sent_texts()) == 1)
    assert len(zalo.calls_to("getUpdates")) >= 2


async def test_polling_stops_promptly_while_waiting_for_updates(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    zalo.empty_poll_seconds = 30  # a long-poll that would hold for the whole window
    async with polling(zalo, chat_service, stop_within=2):
        await async_wait_until(lambda: bool(zalo.calls_to("getUpdates")))
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


async def test_a_long_reply_is_sent_as_messages_of_at_most_2000_characters(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    await send_once(ZaloBotChannel(settings_for(zalo)), chat_service, USER, LONG_REPLY)
    assert_long_reply_arrived_in_zalo_sized_parts(zalo.sent_texts())


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_server_error_from_zalo_is_sent_again_and_the_answer_arrives(
    zalo: FakeZaloBot, chat_service: ChatService, quick_retries: None, status: int
) -> None:
    zalo.fail_next("sendMessage", status)
    zalo.fail_next("sendMessage", status)
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_update()).status_code == 200
    texts = zalo.sent_texts()
    assert len(texts) == 3 and VNEID_ANSWER in texts[-1]


def test_a_reply_zalo_does_not_answer_in_time_is_sent_again(
    zalo: FakeZaloBot,
    chat_service: ChatService,
    quick_retries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zalo_bot, "API_TIMEOUT_SECONDS", 0.5)
    zalo.gate.hold("sendMessage")  # Zalo takes the call and never answers it
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_update()).status_code == 200
        wait_until(lambda: zalo.gate.abandoned >= 1)  # the bot gave up waiting
        zalo.gate.release()
    [text] = zalo.sent_texts()
    assert VNEID_ANSWER in text


def test_the_same_message_fetched_twice_by_polling_is_answered_once(
    zalo: FakeZaloBot, chat_service: ChatService
) -> None:
    async def run() -> None:
        zalo.updates.extend([text_update(), text_update()])
        async with polling(zalo, chat_service):
            await async_wait_until(lambda: not zalo.updates and len(zalo.sent_texts()) == 1)
            await asyncio.sleep(0.3)

    asyncio.run(run())
    assert len(zalo.sent_texts()) == 1


@pytest.mark.parametrize("secret", [None, "ab", "1234567", "x" * 257])
def test_the_webhook_refuses_to_start_with_a_secret_shorter_than_8_characters(
    zalo: FakeZaloBot, chat_service: ChatService, secret: str | None
) -> None:
    values = {"ZALO_BOT_TOKEN": TOKEN, "ZALO_BOT_API_BASE_URL": zalo.url}
    if secret is not None:
        values["ZALO_BOT_WEBHOOK_SECRET"] = secret
    refused = pytest.raises(ChannelError, match="ZALO_BOT_WEBHOOK_SECRET to 8 to 256 characters")
    with refused, running(Settings(**values), chat_service):
        pass
    assert zalo.calls == []
