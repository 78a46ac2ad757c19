"""No secret and no raw platform id reaches the log, at any level, DEBUG included."""

from __future__ import annotations

import io
import logging

import httpx
import pytest

from bot.channels.common import ChatService
from bot.logs import RedactSecrets
from bot.server import create_app
from bot.settings import Settings

from .conftest import VNEID_QUESTION, running, settled
from .fakes.telegram_api import FakeTelegram, callback_update, message_update
from .fakes.zalo_api import FakeZaloOA, signed_call, text_message, wait_until

TELEGRAM_TOKEN = "8123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_SECRET = "hook-secret_Zq81xTT"
TELEGRAM_USER = 7361029584
TEAM_GROUP = -1009876543210
ZALO_USER = "2468458835291979"
ZALO_ACCESS = "zalo-access-Lq0s9XkT"
ZALO_REFRESH = "zalo-refresh-Pp4e7Yw"
ZALO_APP_SECRET = "zalo-app-secret-Kx9"
ZALO_OA_SECRET = "zalo-oa-secret-Qm2"
APP_ID = "3608465249409039"


def assert_nothing_secret(text: str, *secrets: str) -> None:
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == [], f"in the log: {leaked}"


async def test_a_telegram_exchange_logged_at_debug_shows_no_token_and_no_raw_id(
    chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeTelegram(token=TELEGRAM_TOKEN) as fake:
        settings = Settings(
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_BASE_URL=fake.base_url,
            TELEGRAM_TEAM_CHAT_ID=TEAM_GROUP,
        )
        app = create_app(settings, service=chat_service)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
                # The webhook answers at once; each update is processed before the next.
                ask = message_update(1, VNEID_QUESTION, TELEGRAM_USER, TELEGRAM_USER)
                await http.post("/webhook/telegram", json=ask, headers=headers)
                await settled(app)
                press = callback_update(2, "f:1:1", fake.messages[-1], TELEGRAM_USER)
                await http.post("/webhook/telegram", json=press, headers=headers)
                await settled(app)
                lookup = message_update(3, "/tracuu VNeID", TELEGRAM_USER, TELEGRAM_USER)
                await http.post("/webhook/telegram", json=lookup, headers=headers)
                await settled(app)
                handover = message_update(4, "/lienhe", TELEGRAM_USER, TELEGRAM_USER)
                await http.post("/webhook/telegram", json=handover, headers=headers)
                await settled(app)
        assert len(fake.calls_to("sendMessage")) == 4  # answer, lookup refusal, reply, alert

    assert "answered channel=telegram" in caplog.text  # DEBUG was on: something was logged
    assert_nothing_secret(
        caplog.text,
        TELEGRAM_TOKEN,
        TELEGRAM_TOKEN.split(":")[1],
        TELEGRAM_SECRET,
        str(TELEGRAM_USER),
        str(TEAM_GROUP),
    )


def test_a_zalo_oa_exchange_logged_at_debug_shows_no_token_and_no_raw_id(
    chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeZaloOA(APP_ID, ZALO_APP_SECRET) as zalo:
        zalo.issue(ZALO_ACCESS, ZALO_REFRESH)
        zalo.expire(ZALO_ACCESS)  # the reply needs a refresh: logged too
        settings = Settings(
            ZALO_APP_ID=APP_ID,
            ZALO_APP_SECRET=ZALO_APP_SECRET,
            ZALO_OA_SECRET_KEY=ZALO_OA_SECRET,
            ZALO_ACCESS_TOKEN=ZALO_ACCESS,
            ZALO_REFRESH_TOKEN=ZALO_REFRESH,
            ZALO_API_BASE_URL=zalo.url,
            ZALO_OAUTH_BASE_URL=zalo.url,
        )
        event = text_message(APP_ID, ZALO_USER, VNEID_QUESTION, "msg-1")
        body, headers = signed_call(APP_ID, ZALO_OA_SECRET, event)
        with running(settings, chat_service) as client:
            client.post("/webhook/zalo", content=body, headers=headers)
            wait_until(lambda: bool(zalo.delivered()))
        renewed = sorted(zalo.access_tokens | zalo.refresh_tokens)

    assert "answered channel=zalo" in caplog.text
    assert "Zalo OA tokens renewed" in caplog.text
    assert_nothing_secret(
        caplog.text, *renewed, ZALO_ACCESS, ZALO_REFRESH, ZALO_APP_SECRET, ZALO_OA_SECRET, ZALO_USER
    )


def test_the_cli_log_handlers_write_no_secret_setting_even_in_a_traceback() -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, ZALO_APP_SECRET=ZALO_APP_SECRET)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(settings.secret_values()))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET https://api.telegram.org/bot%s/getMe", TELEGRAM_TOKEN)
        try:
            raise ValueError(f"secret_key={ZALO_APP_SECRET} refused")
        except ValueError:
            logger.exception("refresh failed")
    finally:
        logger.removeHandler(handler)

    written = stream.getvalue()
    assert "GET https://api.telegram.org/bot***/getMe" in written
    assert "ValueError: secret_key=*** refused" in written
    assert_nothing_secret(written, TELEGRAM_TOKEN, ZALO_APP_SECRET)
