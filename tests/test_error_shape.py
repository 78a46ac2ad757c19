"""Every error of the HTTP surface, on the API and on each webhook, has the one shape
{"error": {"code", "message"}}: parser limits, out-of-range ids and unexpected failures too."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.channels.common import ChatService
from bot.server import create_app
from bot.settings import Settings

from .all_channels import ZALO_APP_ID, Channels, every_channel

# Under the body cap (CDS_MAX_BODY_BYTES, 64 KB): bigger bodies are a 413 before any parsing.
DEEP = b"[" * 30_000 + b"]" * 30_000
HUGE_INT = b'{"question": "VNeID", "top_k": ' + b"9" * 5000 + b"}"


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "message"]
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code


@pytest.fixture
def channels(chat_service: ChatService) -> Iterator[Channels]:
    with every_channel(chat_service) as running_channels:
        yield running_channels


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/handover"])
def test_json_nested_30_000_deep_is_a_400_naming_the_limit(channels: Channels, path: str) -> None:
    response = channels.client.post(
        path, content=DEEP, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")
    assert "64 levels" in response.json()["error"]["message"]


def test_a_5000_digit_integer_is_a_400(channels: Channels) -> None:
    response = channels.client.post(
        "/api/ask", content=HUGE_INT, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")
    assert "19 digits" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("conversation_id", "code"),
    [
        (2**63, "invalid_request"),  # one past SQLite's largest integer
        (-(2**63) - 1, "invalid_request"),
        (0, "invalid_request"),
        (10**19, "invalid_json"),  # 20 digits: refused by the parser already
    ],
)
def test_a_conversation_id_out_of_range_is_a_400(
    channels: Channels, chat_service: ChatService, conversation_id: int, code: str
) -> None:
    body = {"conversation_id": conversation_id, "helpful": True, "user_id": "web-" + "a" * 32}
    response = channels.client.post("/api/feedback", json=body)
    assert_error(response, 400, code)
    assert chat_service.store.stats().helpful == 0


def test_the_zalo_oa_webhook_refuses_deep_or_huge_bodies_before_checking_a_signature(
    channels: Channels,
) -> None:
    huge = b'{"timestamp": ' + b"1" * 5000 + b', "event_name": "user_send_text"}'
    for body in (DEEP, huge):
        assert_error(channels.zalo_oa_post(body), 401, "unauthorized")
    assert channels.zalo_oa.sent == []


def test_the_telegram_webhook_checks_its_secret_then_the_body(channels: Channels) -> None:
    assert_error(channels.telegram_post(DEEP, secret=None), 403, "forbidden")
    assert_error(channels.telegram_post(DEEP), 400, "invalid_json")
    huge_id = b'{"update_id": ' + b"7" * 5000 + b"}"
    assert_error(channels.telegram_post(huge_id), 400, "invalid_json")
    too_big = json.dumps({"update_id": 2**64, "message": {}}).encode()
    assert_error(channels.telegram_post(too_big), 400, "invalid_json")
    assert channels.telegram.calls_to("sendMessage") == []


def test_the_zalo_bot_webhook_checks_its_secret_then_the_body(channels: Channels) -> None:
    assert_error(channels.zalo_bot_post(DEEP, secret="wrong-secret-123"), 403, "forbidden")
    assert_error(channels.zalo_bot_post(DEEP), 400, "invalid_json")
    assert_error(channels.zalo_bot_post(b"{not json"), 400, "invalid_json")
    assert channels.zalo_bot.calls_to("sendMessage") == []


def test_an_unexpected_failure_is_a_logged_500_in_the_error_shape(
    chat_service: ChatService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(chat_service, "ask", broken)
    with TestClient(create_app(Settings(), service=chat_service)) as client:
        response = client.post("/api/ask", json={"question": "VNeID là gì?"})
    assert_error(response, 500, "internal_error")
    assert response.json()["error"]["message"] == "Hệ thống đang gặp sự cố, vui lòng thử lại sau."
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 1
    assert "POST /api/ask failed" in failures[0].getMessage()


def test_a_client_that_hangs_up_is_one_quiet_log_line(
    chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(), service=chat_service)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/ask",
        "raw_path": b"/api/ask",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "app": app,
    }

    async def request_then_hang_up() -> None:
        async with app.router.lifespan_context(app):
            with caplog.at_level(logging.DEBUG):
                await app(scope, receive, send)

    asyncio.run(request_then_hang_up())
    lines = [r for r in caplog.records if "disconnect" in r.getMessage()]
    assert [r.getMessage() for r in lines] == ["client disconnected before POST /api/ask was read"]
    assert lines[0].levelno == logging.INFO
    assert not any(r.exc_info for r in caplog.records)
    assert "Traceback" not in caplog.text
    assert chat_service.store.stats().questions == 0


@pytest.mark.parametrize(
    ("update", "status"),
    [
        # Found by Hypothesis: python-telegram-bot trusts the types of what it is given.
        (
            {
                "update_id": 1,
                "callback_query": {
                    "id": "q",
                    "chat_instance": "0",
                    "data": "",
                    "from": {"id": [1], "is_bot": False, "first_name": "Lan"},
                },
            },
            400,
        ),
        (
            {"update_id": 2, "message": {"message_id": 1, "date": 67768036191676800, "chat": None}},
            400,
        ),
        ({"update_id": 3, "message": {"message_id": 1, "date": 0, "chat": None}}, 200),
    ],
)
def test_a_malformed_telegram_update_is_refused_or_ignored_never_a_500(
    channels: Channels, update: dict, status: int
) -> None:
    response = channels.telegram_post(json.dumps(update).encode())
    if status == 400:
        assert_error(response, 400, "invalid_request")
    else:
        assert (response.status_code, response.json()) == (200, {"ok": True})
    assert channels.telegram.calls_to("sendMessage") == []


def test_a_signed_zalo_event_of_the_wrong_types_is_acknowledged_not_a_500(
    channels: Channels,
) -> None:
    # Found by Hypothesis: an event_name that is a list could not be looked up.
    for name in ([], {}, 7, None):
        event = {"app_id": ZALO_APP_ID, "timestamp": "1796161158819", "event_name": name}
        response = channels.zalo_oa_post(json.dumps(event).encode())
        assert (response.status_code, response.json()) == (200, {"ok": True})
    assert channels.zalo_oa.sent == []
