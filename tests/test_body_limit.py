"""Request bodies are capped before anything parses them, and must arrive in time."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.channels.common import ChatService
from bot.server import create_app
from bot.settings import Settings

from .conftest import running
from .fakes.server import LocalServer

LIMIT = 4096
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def settings() -> Settings:
    return Settings(CDS_MAX_BODY_BYTES=LIMIT, CDS_BODY_TIMEOUT_SECONDS=1)


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.json() == {
        "error": {"code": code, "message": response.json()["error"]["message"]}
    }
    assert response.json()["error"]["message"]


def test_a_body_declared_over_the_cap_is_refused_with_413(
    settings: Settings, chat_service: ChatService
) -> None:
    body = json.dumps({"question": "VNeID là gì?", "pad": "x" * LIMIT}).encode()
    with running(settings, chat_service) as client:
        response = client.post("/api/ask", content=body, headers=JSON)
    assert_refused(response, 413, "payload_too_large")
    assert chat_service.store.stats().questions == 0


def test_a_body_just_under_the_cap_is_answered(
    settings: Settings, chat_service: ChatService
) -> None:
    body = json.dumps({"question": "xin chào", "pad": "x" * (LIMIT - 100)}).encode()
    with running(settings, chat_service) as client:
        response = client.post("/api/ask", content=body, headers=JSON)
    assert response.status_code == 200
    assert response.json()["answer"].startswith("Xin chào!")


async def test_a_body_sent_without_a_length_is_cut_off_once_it_passes_the_cap(
    settings: Settings, chat_service: ChatService
) -> None:
    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):  # 100 KB in all, if it were all read
            sent.append(1)
            yield b" " * 1024

    app = create_app(settings, service=chat_service)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post("/api/ask", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert_refused(response, 413, "payload_too_large")
    assert len(sent) < 10


def test_the_zalo_webhook_refuses_a_huge_body_before_checking_its_signature(
    chat_service: ChatService,
) -> None:
    settings = Settings(
        CDS_MAX_BODY_BYTES=LIMIT,
        ZALO_APP_ID="1",
        ZALO_OA_SECRET_KEY="oa",
        ZALO_ACCESS_TOKEN="a",
        ZALO_API_BASE_URL="http://127.0.0.1:9",
        ZALO_OAUTH_BASE_URL="http://127.0.0.1:9",
    )
    with running(settings, chat_service) as client:
        huge = client.post("/webhook/zalo", content=b"{" + b" " * LIMIT * 4 + b"}")
        small = client.post("/webhook/zalo", content=b'{"event_name": "user_send_text"}')
    assert_refused(huge, 413, "payload_too_large")
    assert small.status_code == 401  # a small body gets as far as the signature check


@pytest.fixture
def live(settings: Settings, chat_service: ChatService) -> Iterator[LocalServer]:
    with LocalServer(create_app(settings, service=chat_service), lifespan="on") as server:
        yield server


def raw_request(port: int, head: bytes, body_parts: list[bytes], pause: float) -> bytes:
    """Send a request by hand, `pause` seconds between body parts; return the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        try:
            for part in body_parts:
                time.sleep(pause)
                conn.sendall(part)
        except OSError:  # the server answered and hung up before the body was done
            pass
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
        return response


def test_a_50_mb_body_is_refused_before_a_byte_of_it_is_sent(live: LocalServer) -> None:
    head = (
        b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n"
    )
    response = raw_request(live.port, head, [], 0)
    assert response.startswith(b"HTTP/1.1 413 ")
    assert b'"payload_too_large"' in response


def test_a_client_dribbling_its_body_is_cut_off_with_408(live: LocalServer) -> None:
    body = json.dumps({"question": "VNeID là gì?"}).encode()
    head = (
        b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    # One byte every 0.3 s: the whole body would take seconds, the limit is one.
    response = raw_request(live.port, head, [body[i : i + 1] for i in range(len(body))], 0.3)
    assert response.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in response
