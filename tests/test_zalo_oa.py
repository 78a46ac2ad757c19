"""The Zalo OA channel, end to end: signed webhooks into the app, replies and token refreshes
through the real httpx client against a local Zalo OpenAPI/OAuth server."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.channels.common import NON_TEXT_REPLY, RATE_LIMITED_REPLY, ChatService
from bot.channels.zalo_oa import ACCESS, PENDING, REFRESH, ZaloOAChannel
from bot.limits import RateLimiter
from bot.settings import Settings
from bot.storage import Store
from tests.conftest import (
    LONG_REPLY,
    VNEID_ANSWER,
    VNEID_QUESTION,
    assert_long_reply_arrived_in_zalo_sized_parts,
    running,
    send_once,
)
from tests.fakes.zalo_api import FakeZaloOA, sign_oa_event, wait_until

APP_ID = "3608465249409039"
APP_SECRET = "app-secret-Kx9"
OA_SECRET = "oa-secret-Qm2"
USER = "2468458835291979"


@pytest.fixture
def zalo() -> Iterator[FakeZaloOA]:
    with FakeZaloOA(APP_ID, APP_SECRET) as fake:
        fake.issue("access-1", "refresh-1")
        yield fake


def settings_for(zalo: FakeZaloOA, **overrides: str) -> Settings:
    values = {
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_SECRET_KEY": OA_SECRET,
        "ZALO_ACCESS_TOKEN": "access-1",
        "ZALO_REFRESH_TOKEN": "refresh-1",
        "ZALO_API_BASE_URL": zalo.url,
        "ZALO_OAUTH_BASE_URL": zalo.url,
    }
    values.update(overrides)
    return Settings(**values)


def event(name: str = "user_send_text", msg_id: str = "msg-1", **message: str) -> dict:
    return {
        "app_id": APP_ID,
        "user_id_by_app": "5521772792525571",
        "event_name": name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": USER},
        "recipient": {"id": "3886132808788086"},
        "message": {"msg_id": msg_id, **message},
    }


def text_event(text: str = VNEID_QUESTION, msg_id: str = "msg-1") -> dict:
    return event("user_send_text", msg_id, text=text)


def post(client: TestClient, payload: dict, secret: str = OA_SECRET, prefix: bool = True):
    body = json.dumps(payload, ensure_ascii=False).encode()
    signature = sign_oa_event(APP_ID, body, payload["timestamp"], secret)
    headers = {
        "X-ZEvent-Signature": signature if prefix else signature.removeprefix("mac="),
        "Content-Type": "application/json",
    }
    return client.post("/webhook/zalo", content=body, headers=headers)


def test_a_signed_text_message_gets_the_answer_sent_with_the_access_token(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, text_event())
    assert response.status_code == 200
    [sent] = zalo.sent
    assert sent.error == 0
    assert sent.access_token == "access-1"
    assert sent.user_id == USER
    assert VNEID_ANSWER in sent.text
    assert "Nguồn:" in sent.text


def test_a_signature_without_the_mac_prefix_is_accepted_too(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_event(), prefix=False).status_code == 200
    assert len(zalo.delivered()) == 1


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_bad_signature_is_refused_with_401_and_nothing_is_answered(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, secret: str
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, text_event(), secret=secret)
        unsigned = client.post("/webhook/zalo", json=text_event(msg_id="msg-2"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert unsigned.status_code == 401
    assert zalo.sent == []
    assert store.stats().questions == 0


def test_a_tampered_body_is_refused(zalo: FakeZaloOA, chat_service: ChatService) -> None:
    payload = text_event()
    body = json.dumps(payload, ensure_ascii=False).encode()
    signature = sign_oa_event(APP_ID, body, payload["timestamp"], OA_SECRET)
    tampered = body.replace("kích hoạt".encode(), "xóa".encode())
    with running(settings_for(zalo), chat_service) as client:
        response = client.post(
            "/webhook/zalo", content=tampered, headers={"X-ZEvent-Signature": signature}
        )
    assert response.status_code == 401
    assert zalo.sent == []


@pytest.mark.parametrize("expiry", ["invalid (-216)", "expired (-124)"])
def test_an_expired_token_is_refreshed_saved_and_the_message_sent_again(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, expiry: str
) -> None:
    if expiry.startswith("invalid"):
        zalo.access_tokens.discard("access-1")
    else:
        zalo.expired_tokens.add("access-1")
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_event()).status_code == 200
    [refresh] = zalo.refreshes
    assert refresh.secret_key == APP_SECRET
    assert refresh.form == {
        "refresh_token": "refresh-1",
        "app_id": APP_ID,
        "grant_type": "refresh_token",
    }
    assert store.get_token(ACCESS) == "access-2"
    assert store.get_token(REFRESH) == "refresh-2"
    assert [(s.access_token, s.error == 0) for s in zalo.sent] == [
        ("access-1", False),
        ("access-2", True),
    ]
    assert VNEID_ANSWER in zalo.sent[-1].text


def test_messages_arriving_together_with_an_expired_token_share_one_refresh(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    zalo.access_tokens.discard("access-1")
    zalo.send_delay = 0.2  # both sends are in flight when the first rejection comes back
    with running(settings_for(zalo), chat_service) as client:
        post(client, text_event(msg_id="msg-1"))
        post(client, text_event("Thanh toán bằng mã QR như thế nào?", msg_id="msg-2"))
    assert len(zalo.refreshes) == 1
    assert [s.access_token for s in zalo.delivered()] == ["access-2", "access-2"]


def test_the_spent_refresh_token_is_never_presented_again_even_after_a_restart(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    zalo.access_tokens.discard("access-1")
    settings = settings_for(zalo)  # the environment still holds the first pair
    with running(settings, chat_service) as client:
        post(client, text_event(msg_id="msg-1"))
    with running(settings, chat_service) as client:  # a restart: the saved pair wins
        post(client, text_event(msg_id="msg-2"))
        wait_until(lambda: len(zalo.delivered()) == 2)
        zalo.access_tokens.discard("access-2")
        post(client, text_event(msg_id="msg-3"))
    assert [r.form["refresh_token"] for r in zalo.refreshes] == ["refresh-1", "refresh-2"]
    assert all(r.granted for r in zalo.refreshes)
    assert [s.access_token for s in zalo.delivered()] == ["access-2", "access-2", "access-3"]


def test_an_interrupted_refresh_is_retried_with_the_saved_refresh_token_after_a_restart(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.access_tokens.discard("access-1")
    zalo.refresh_failures = 1  # Zalo's OAuth server is down for the first try
    settings = settings_for(zalo)
    with running(settings, chat_service) as client:
        post(client, text_event(msg_id="msg-1"))
    assert zalo.delivered() == []
    assert store.get_token(PENDING)
    assert store.get_token(REFRESH) == "refresh-1"
    with caplog.at_level(logging.WARNING), running(settings, chat_service) as client:
        post(client, text_event(msg_id="msg-2"))
    assert "did not finish" in caplog.text
    assert [r.form["refresh_token"] for r in zalo.refreshes] == ["refresh-1", "refresh-1"]
    assert [s.access_token for s in zalo.delivered()] == ["access-2"]
    assert store.get_token(PENDING) == ""


def test_a_refused_refresh_token_is_dropped_until_the_operator_sets_a_new_one(
    zalo: FakeZaloOA, chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.access_tokens.discard("access-1")
    zalo.refresh_tokens.clear()  # revoked on Zalo's side
    with caplog.at_level(logging.WARNING), running(settings_for(zalo), chat_service) as client:
        post(client, text_event(msg_id="msg-1"))
        post(client, text_event(msg_id="msg-2"))
    assert len(zalo.refreshes) == 1
    assert "set a new ZALO_REFRESH_TOKEN" in caplog.text
    zalo.issue("access-9", "refresh-new")
    with running(settings_for(zalo, ZALO_REFRESH_TOKEN="refresh-new"), chat_service) as client:
        post(client, text_event(msg_id="msg-3"))
    assert zalo.refreshes[-1].form["refresh_token"] == "refresh-new"
    assert len(zalo.delivered()) == 1


def test_logs_never_show_the_user_id_or_the_tokens(
    zalo: FakeZaloOA, chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.access_tokens.discard("access-1")
    with caplog.at_level(logging.DEBUG), running(settings_for(zalo), chat_service) as client:
        post(client, text_event())
    assert len(zalo.delivered()) == 1
    for secret in (USER, "access-1", "refresh-1", "access-2", "refresh-2", APP_SECRET):
        assert secret not in caplog.text


def test_a_repeated_delivery_is_answered_once(zalo: FakeZaloOA, chat_service: ChatService) -> None:
    payload = text_event()
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, payload).status_code == 200
        assert post(client, payload).status_code == 200
    assert len(zalo.sent) == 1


@pytest.mark.parametrize("name", ["user_send_sticker", "user_send_image", "user_send_audio"])
def test_a_sticker_or_photo_gets_the_text_only_reply(
    zalo: FakeZaloOA, chat_service: ChatService, name: str
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, event(name, attachments="[]"))
    assert response.status_code == 200
    assert [s.text for s in zalo.delivered()] == [NON_TEXT_REPLY]


def test_a_follow_event_is_acknowledged_without_a_reply(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    follow = {
        "app_id": APP_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": USER},
        "oa_id": "3886132808788086",
    }
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, follow).status_code == 200
    assert zalo.sent == []


def test_the_webhook_returns_at_once_even_when_the_reply_is_slow(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    zalo.send_delay = 2.5  # longer than the 2 s Zalo waits for an acknowledgement
    with running(settings_for(zalo), chat_service) as client:
        started = time.perf_counter()
        response = post(client, text_event())
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 1.0
    assert len(zalo.delivered()) == 1


async def test_a_long_reply_is_sent_as_messages_of_at_most_2000_characters(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    await send_once(ZaloOAChannel(settings_for(zalo)), chat_service, USER, LONG_REPLY)
    assert len(LONG_REPLY) > 4000
    assert_long_reply_arrived_in_zalo_sized_parts([s.text for s in zalo.delivered()])


@pytest.mark.parametrize("status", [429, 502, 503])
def test_a_gateway_error_from_zalo_is_sent_again_and_the_answer_arrives(
    zalo: FakeZaloOA, chat_service: ChatService, quick_retries: None, status: int
) -> None:
    zalo.http_failures = [status, status]
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, text_event()).status_code == 200
    [sent] = zalo.delivered()
    assert VNEID_ANSWER in sent.text


def test_a_citizen_sending_too_fast_is_told_once_then_not_answered(
    zalo: FakeZaloOA, answerer, store: Store
) -> None:
    service = ChatService(answerer, store, limiter=RateLimiter(per_minute=1, burst=1))
    with running(settings_for(zalo), service) as client:
        for n in range(4):
            post(client, text_event(msg_id=f"msg-{n}"))
    texts = [sent.text for sent in zalo.delivered()]
    assert len(texts) == 2  # answered in the background: in either order
    assert RATE_LIMITED_REPLY in texts
    assert any(VNEID_ANSWER in text for text in texts)
