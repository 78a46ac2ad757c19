"""The app with every channel configured, each against its local stand-in, and helpers that
post authenticated (or forged) calls to each webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bot.channels.common import ChatService
from bot.settings import Settings

from .conftest import running
from .fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from .fakes.telegram_api import FakeTelegram
from .fakes.zalo_api import FakeZaloBot, FakeZaloOA, sign_oa_event

TELEGRAM_SECRET = "telegram-secret_0123"
ZALO_APP_ID = "3608465249409039"
ZALO_APP_SECRET = "app-secret-Kx9"
ZALO_OA_SECRET = "oa-secret-Qm2"
ZALO_BOT_TOKEN = "1459232241454765289:kLmNoPqRsTuV"
ZALO_BOT_SECRET = "webhook-secret-8f3k2"


@dataclass
class Channels:
    client: TestClient
    telegram: FakeTelegram
    zalo_oa: FakeZaloOA
    zalo_bot: FakeZaloBot

    def telegram_post(self, body: bytes, secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return self.client.post("/webhook/telegram", content=body, headers=headers)

    def zalo_bot_post(self, body: bytes, secret: str | None = ZALO_BOT_SECRET) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        return self.client.post("/webhook/zalo-bot", content=body, headers=headers)

    def zalo_oa_post(self, body: bytes, signed: bool = True) -> httpx.Response:
        """POST an OA event, signed as Zalo signs it when its `timestamp` can be read."""
        headers = {"Content-Type": "application/json"}
        if signed:
            try:
                timestamp = json.loads(body).get("timestamp")
            except (ValueError, AttributeError, RecursionError):
                timestamp = None
            if timestamp is not None:
                headers["X-ZEvent-Signature"] = sign_oa_event(
                    ZALO_APP_ID, body, str(timestamp), ZALO_OA_SECRET
                )
        return self.client.post("/webhook/zalo", content=body, headers=headers)


def settings_for(telegram: FakeTelegram, zalo_oa: FakeZaloOA, zalo_bot: FakeZaloBot) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "ZALO_APP_ID": ZALO_APP_ID,
        "ZALO_APP_SECRET": ZALO_APP_SECRET,
        "ZALO_OA_SECRET_KEY": ZALO_OA_SECRET,
        "ZALO_ACCESS_TOKEN": "access-1",
        "ZALO_REFRESH_TOKEN": "refresh-1",
        "ZALO_API_BASE_URL": zalo_oa.url,
        "ZALO_OAUTH_BASE_URL": zalo_oa.url,
        "ZALO_BOT_TOKEN": ZALO_BOT_TOKEN,
        "ZALO_BOT_WEBHOOK_SECRET": ZALO_BOT_SECRET,
        "ZALO_BOT_API_BASE_URL": zalo_bot.url,
    }
    return Settings(**values)


@contextmanager
def every_channel(service: ChatService) -> Iterator[Channels]:
    """The app serving the API, the web chat and all three webhooks."""
    with ExitStack() as stack:
        telegram = stack.enter_context(FakeTelegram())
        zalo_oa = stack.enter_context(FakeZaloOA(ZALO_APP_ID, ZALO_APP_SECRET))
        zalo_oa.issue("access-1", "refresh-1")
        zalo_bot = stack.enter_context(FakeZaloBot(ZALO_BOT_TOKEN))
        settings = settings_for(telegram, zalo_oa, zalo_bot)
        client = stack.enter_context(running(settings, service))
        yield Channels(client, telegram, zalo_oa, zalo_bot)
