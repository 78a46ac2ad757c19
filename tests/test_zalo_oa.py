"""The Zalo OA channel, end to end: signed webhooks into the app, replies and token refreshes
through the real httpx client against a local Zalo OpenAPI/OAuth server."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.channels import zalo_oa
from bot.channels.common import NON_TEXT_REPLY, RATE_LIMITED_REPLY, ChatService
from bot.channels.zalo_oa import (
    ACCESS,
    EXPIRES_AT,
    LAST_ERROR,
    LAST_ERROR_AT,
    PENDING,
    REFRESH,
    REFRESH_AFTER,
    SIGNATURE_HEADER,
    ZaloOAChannel,
)
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
from tests.fakes.zalo_api import OA_ID, FakeZaloOA, sign_oa_event, signed_call, wait_until
from tests.test_cli import run_bot

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
    """A user event as Zalo sends it (without msg_id when `msg_id` is empty), sent just now."""
    return {
        "app_id": APP_ID,
        "user_id_by_app": "5521772792525571",
        "event_name": name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": USER},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": msg_id, **message} if msg_id else message,
    }


def sent_ago(payload: dict, seconds: float) -> dict:
    """`payload` dated `seconds` ago (negative: in the future), as Zalo would sign it."""
    return {**payload, "timestamp": str(int((time.time() - seconds) * 1000))}


def text_event(text: str = VNEID_QUESTION, msg_id: str = "msg-1") -> dict:
    return event("user_send_text", msg_id, text=text)


def post(client: TestClient, payload: dict, secret: str = OA_SECRET, prefix: bool = True):
    body, headers = signed_call(APP_ID, secret, payload)
    if not prefix:
        headers["X-ZEvent-Signature"] = headers["X-ZEvent-Signature"].removeprefix("mac=")
    return client.post("/webhook/zalo", content=body, headers=headers)


def test_a_signed_text_message_gets_the_answer_sent_with_the_saved_access_token(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, text_event())
    assert response.status_code == 200
    [sent] = zalo.sent
    assert sent.error == 0
    assert sent.access_token == store.get_token(ACCESS)
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


def test_zalos_unsigned_empty_check_of_the_webhook_url_gets_200_and_nothing_else_unsigned_does(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    json_type = {"Content-Type": "application/json"}
    with running(settings_for(zalo), chat_service) as client:
        check = client.post("/webhook/zalo", content=b"{}", headers=json_type)
        missigned = client.post(
            "/webhook/zalo", content=b"{}", headers={**json_type, SIGNATURE_HEADER: "mac=00ff"}
        )
        unsigned = client.post("/webhook/zalo", content=b'{"app_id": "1"}', headers=json_type)
        empty = client.post("/webhook/zalo", content=b"", headers=json_type)
    assert (check.status_code, check.json()) == (200, {"ok": True})
    assert [r.status_code for r in (missigned, unsigned, empty)] == [401, 401, 401]
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


def user_hash(store: Store) -> str:
    return store.user_hash("zalo", USER)


def renewed_at_start(store: Store, access: str = "access-2") -> None:
    """Wait for the keeper to replace the pasted tokens, whose age is unknown."""
    wait_until(lambda: store.get_token(ACCESS) == access)


def test_pasted_tokens_are_renewed_at_start_and_the_pasted_access_token_never_used_again(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        renewed_at_start(store)
        assert zalo.sent == []  # renewed before anybody wrote
        post(client, text_event())
    [refresh] = zalo.refreshes
    assert refresh.secret_key == APP_SECRET
    assert refresh.form == {
        "refresh_token": "refresh-1",
        "app_id": APP_ID,
        "grant_type": "refresh_token",
    }
    assert store.get_token(REFRESH) == "refresh-2"
    assert float(store.get_token(REFRESH_AFTER) or 0) > time.time() + 20 * 3600
    assert [(s.access_token, s.error) for s in zalo.sent] == [("access-2", 0)]


def test_a_renewal_without_a_stated_lifetime_is_planned_for_zalos_documented_25_hours(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    zalo.expires_in = ""
    with running(settings_for(zalo), chat_service) as client:
        renewed_at_start(store)
        post(client, text_event())
    assert len(zalo.refreshes) == 1  # not renewed again and again
    assert 23 * 3600 < float(store.get_token(REFRESH_AFTER) or 0) - time.time() < 25 * 3600
    assert len(zalo.delivered()) == 1


@pytest.mark.parametrize("rejection", ["invalid (-216)", "expired or removed (-220)"])
def test_a_token_zalo_rejects_is_refreshed_once_saved_and_the_message_sent_again(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, rejection: str
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        renewed_at_start(store)
        if rejection.startswith("invalid"):
            zalo.access_tokens.discard("access-2")
        else:
            zalo.expire("access-2")  # revoked, or run out before its time
        assert post(client, text_event()).status_code == 200
    assert [r.form["refresh_token"] for r in zalo.refreshes] == ["refresh-1", "refresh-2"]
    assert store.get_token(ACCESS) == "access-3"
    assert store.get_token(REFRESH) == "refresh-3"
    assert [(s.access_token, s.error) for s in zalo.sent] == [
        ("access-2", -216 if rejection.startswith("invalid") else -220),
        ("access-3", 0),
    ]
    assert VNEID_ANSWER in zalo.sent[-1].text


def test_messages_arriving_together_with_an_expired_token_share_one_refresh(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        renewed_at_start(store)
        zalo.expire("access-2")
        zalo.send_delay = 0.2  # both sends are in flight when the first rejection comes back
        post(client, text_event(msg_id="msg-1"))
        post(client, text_event("Thanh toán bằng mã QR như thế nào?", msg_id="msg-2"))
    assert len(zalo.refreshes) == 2  # the one at start, and one for both messages
    assert [s.access_token for s in zalo.delivered()] == ["access-3", "access-3"]


def test_the_spent_refresh_token_is_never_presented_again_even_after_a_restart(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    settings = settings_for(zalo)  # the environment still holds the first pair
    with running(settings, chat_service) as client:
        renewed_at_start(store)
        post(client, text_event(msg_id="msg-1"))
    with running(settings, chat_service) as client:  # a restart: the saved pair wins
        post(client, text_event(msg_id="msg-2"))
        wait_until(lambda: len(zalo.delivered()) == 2)
        zalo.expire("access-2")
        post(client, text_event(msg_id="msg-3"))
    assert [r.form["refresh_token"] for r in zalo.refreshes] == ["refresh-1", "refresh-2"]
    assert all(r.granted for r in zalo.refreshes)
    assert [s.access_token for s in zalo.delivered()] == ["access-2", "access-2", "access-3"]


def test_an_interrupted_refresh_is_retried_with_the_saved_refresh_token_after_a_restart(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.refresh_failures = 1  # Zalo's OAuth server is down for the first try
    settings = settings_for(zalo)
    with running(settings, chat_service) as client:
        wait_until(lambda: len(zalo.refreshes) == 1)
        post(client, text_event(msg_id="msg-1"))
    # Zalo never issued a new pair, so the pasted access token still served the reply.
    assert [s.access_token for s in zalo.delivered()] == ["access-1"]
    assert len(zalo.refreshes) == 1  # not retried for the message
    assert store.get_token(PENDING)
    assert store.get_token(REFRESH) == "refresh-1"
    with caplog.at_level(logging.WARNING), running(settings, chat_service) as client:
        renewed_at_start(store)
        post(client, text_event(msg_id="msg-2"))
    assert "did not finish" in caplog.text
    assert [r.form["refresh_token"] for r in zalo.refreshes] == ["refresh-1", "refresh-1"]
    assert [s.access_token for s in zalo.delivered()] == ["access-1", "access-2"]
    assert store.get_token(PENDING) == ""


def test_a_refused_refresh_token_is_dropped_until_the_operator_sets_a_new_one(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.access_tokens.discard("access-1")
    zalo.refresh_tokens.clear()  # revoked on Zalo's side: -14014
    with caplog.at_level(logging.WARNING), running(settings_for(zalo), chat_service) as client:
        wait_until(lambda: len(zalo.refreshes) == 1)
        post(client, text_event(msg_id="msg-1"))
        post(client, text_event(msg_id="msg-2"))
    assert len(zalo.refreshes) == 1
    assert store.get_token(REFRESH) == ""
    assert "-14014" in caplog.text
    assert "set a new ZALO_REFRESH_TOKEN" in caplog.text
    assert zalo.delivered() == []
    zalo.issue("access-9", "refresh-new")
    with running(settings_for(zalo, ZALO_REFRESH_TOKEN="refresh-new"), chat_service) as client:
        post(client, text_event(msg_id="msg-3"))
    assert zalo.refreshes[-1].form["refresh_token"] == "refresh-new"
    assert len(zalo.delivered()) == 1


@pytest.mark.parametrize(
    ("cause", "named"),
    [
        ("a mistyped ZALO_APP_SECRET", "ZALO_APP_SECRET"),
        ("a wrong ZALO_APP_ID", "ZALO_APP_ID"),
        ("Zalo's rate limit", "rate limit"),
    ],
)
def test_a_refresh_refused_for_any_other_reason_keeps_the_refresh_token_and_says_why(
    zalo: FakeZaloOA,
    chat_service: ChatService,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    cause: str,
    named: str,
) -> None:
    overrides = {}
    if "SECRET" in cause:
        overrides["ZALO_APP_SECRET"] = "app-secret-Kx8"
    elif "APP_ID" in cause:
        overrides["ZALO_APP_ID"] = "3608465249409038"
    else:
        zalo.refresh_rate_limited = 1
    with caplog.at_level(logging.WARNING), running(settings_for(zalo, **overrides), chat_service):
        wait_until(lambda: len(zalo.refreshes) == 1)
        wait_until(lambda: named in (store.get_token(LAST_ERROR) or ""))
    assert store.get_token(REFRESH) == "refresh-1"
    assert store.get_token(PENDING) == ""  # Zalo answered without using it
    assert named in caplog.text
    assert "The refresh token is kept" in caplog.text
    # Once the cause is gone, the kept refresh token renews as if nothing had happened.
    with running(settings_for(zalo), chat_service):
        renewed_at_start(store)
    assert [r.granted for r in zalo.refreshes] == [False, True]
    assert store.get_token(LAST_ERROR) == ""


def test_while_renewal_is_refused_replies_go_out_with_the_pasted_token_and_zalo_is_not_pestered(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    with running(settings_for(zalo, ZALO_APP_SECRET="app-secret-Kx8"), chat_service) as client:
        post(client, text_event(msg_id="msg-1"))
        post(client, text_event(msg_id="msg-2"))
    assert len(zalo.refreshes) == 1
    assert [s.access_token for s in zalo.delivered()] == ["access-1", "access-1"]


def test_logs_never_show_the_user_id_or_the_tokens(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        with running(settings_for(zalo, ZALO_APP_SECRET="app-secret-Kx8"), chat_service):
            wait_until(lambda: bool(store.get_token(LAST_ERROR)))  # a refused refresh
        with running(settings_for(zalo), chat_service) as client:
            renewed_at_start(store)
            zalo.expire("access-2")
            post(client, text_event())
    assert len(zalo.delivered()) == 1
    assert "renewed" in caplog.text
    for secret in (USER, "access-1", "refresh-1", "access-2", "refresh-2", "access-3"):
        assert secret not in caplog.text
    for secret in (APP_SECRET, "app-secret-Kx8", OA_SECRET):
        assert secret not in caplog.text


def token_status(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot zalo-token status` on the test's database, as an operator runs it."""
    return run_bot(
        "zalo-token",
        "status",
        cwd=tmp_path,
        env={"CDS_DB_PATH": str(tmp_path / "db.sqlite"), **env},
    )


def test_zalo_token_status_shows_the_expiry_and_the_next_renewal_but_never_a_token(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, tmp_path: Path
) -> None:
    with running(settings_for(zalo), chat_service):
        renewed_at_start(store)
    result = token_status(tmp_path)
    assert result.returncode == 0, result.stderr
    expires = zalo_oa._clock(float(store.get_token(EXPIRES_AT) or 0))
    renewal = zalo_oa._clock(float(store.get_token(REFRESH_AFTER) or 0))
    assert f"access token:    saved, expires {expires}" in result.stdout
    assert "refresh token:   saved" in result.stdout
    assert f"next renewal:    {renewal}" in result.stdout
    assert "refresh pending: no" in result.stdout
    assert "last error:      none" in result.stdout
    for token in ("access-1", "refresh-1", "access-2", "refresh-2"):
        assert token not in result.stdout + result.stderr


def test_zalo_token_status_names_the_last_refresh_error_its_time_and_what_to_fix(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, tmp_path: Path
) -> None:
    with running(settings_for(zalo, ZALO_APP_SECRET="app-secret-Kx8"), chat_service):
        wait_until(lambda: bool(store.get_token(LAST_ERROR)))
    result = token_status(tmp_path)
    assert result.returncode == 1
    assert "refresh token:   saved" in result.stdout  # kept: nothing to re-authorise
    [line] = [line for line in result.stdout.splitlines() if "last error:" in line]
    assert zalo_oa._clock(float(store.get_token(LAST_ERROR_AT) or 0)) in line
    assert "-14004" in line
    assert "ZALO_APP_SECRET is wrong" in line
    assert "app-secret" not in result.stdout


def test_zalo_token_status_says_to_re_authorise_once_zalo_refused_the_refresh_token(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store, tmp_path: Path
) -> None:
    zalo.refresh_tokens.clear()
    with running(settings_for(zalo), chat_service):
        wait_until(lambda: bool(store.get_token(LAST_ERROR)))
    result = token_status(tmp_path)
    assert result.returncode == 1
    assert "refresh token:   not saved: re-authorise the OA" in result.stdout
    assert "next renewal:    none possible" in result.stdout
    assert "-14014" in result.stdout
    # The operator re-authorised and pasted the new refresh token, but has not restarted yet.
    pasted = token_status(tmp_path, ZALO_REFRESH_TOKEN="refresh-new")
    assert "refresh token:   not saved yet: the bot imports the new ZALO_REFRESH_TOKEN" in (
        pasted.stdout
    )
    assert "refresh-new" not in pasted.stdout


def test_zalo_token_status_before_the_first_start_says_no_token_is_saved(tmp_path: Path) -> None:
    result = token_status(tmp_path)
    assert result.returncode == 1
    assert "access token:    not saved" in result.stdout
    assert "refresh token:   not saved" in result.stdout
    assert "last renewal:    never" in result.stdout


def test_a_rate_limited_reply_is_sent_again_after_a_pause(
    zalo: FakeZaloOA,
    chat_service: ChatService,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zalo_oa, "RATE_LIMIT_DELAYS", (0.5, 0.5))
    with caplog.at_level(logging.WARNING), running(settings_for(zalo), chat_service) as client:
        renewed_at_start(store)
        zalo.rate_limited = 1
        post(client, text_event())
    limited, delivered = zalo.sent
    assert (limited.error, delivered.error) == (-32, 0)
    assert delivered.at - limited.at >= 0.5
    assert VNEID_ANSWER in delivered.text
    assert f"rate limit reached (error -32): the reply to user={user_hash(store)}" in caplog.text
    assert USER not in caplog.text


def test_a_rate_limit_that_does_not_lift_is_given_up_after_a_few_pauses(
    zalo: FakeZaloOA,
    chat_service: ChatService,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zalo_oa, "RATE_LIMIT_DELAYS", (0.1, 0.1))
    with caplog.at_level(logging.WARNING), running(settings_for(zalo), chat_service) as client:
        renewed_at_start(store)
        zalo.rate_limited = 100
        post(client, text_event())
    assert [s.error for s in zalo.sent] == [-32, -32, -32]
    assert f"reply not delivered user={user_hash(store)}" in caplog.text
    assert "did not lift after 2 pauses" in caplog.text


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (-230, "has not written to the OA recently enough"),
        (-232, "has not written to the OA recently enough"),
        (-211, "message quota is used up"),
    ],
)
def test_a_reply_zalo_will_not_take_is_not_retried_and_the_log_says_why(
    zalo: FakeZaloOA,
    chat_service: ChatService,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    error: int,
    reason: str,
) -> None:
    zalo.refusals[USER] = error
    with caplog.at_level(logging.WARNING), running(settings_for(zalo), chat_service) as client:
        post(client, text_event())
    assert [s.error for s in zalo.sent] == [error]
    [line] = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert f"user={user_hash(store)}" in line
    assert reason in line
    assert f"error {error}" in line
    assert "not retried" in line
    assert USER not in caplog.text


def test_a_repeated_delivery_is_answered_once(zalo: FakeZaloOA, chat_service: ChatService) -> None:
    payload = text_event()
    with running(settings_for(zalo), chat_service) as client:
        assert post(client, payload).status_code == 200
        assert post(client, payload).status_code == 200
    assert len(zalo.sent) == 1


VERIFICATION_CODE = "MeVd6DceSpupfjWIxOznI1I4v7FuyZOgD3Gp"


@pytest.mark.parametrize(
    "pasted",
    [
        pytest.param(VERIFICATION_CODE, id="the code"),
        pytest.param(f"zalo_verifier{VERIFICATION_CODE}.html", id="the file name"),
        pytest.param(
            f'<meta property="zalo-platform-site-verification" content="{VERIFICATION_CODE}" />',
            id="the meta tag",
        ),
    ],
)
def test_zalos_domain_verification_file_is_served_at_the_site_root(
    zalo: FakeZaloOA, chat_service: ChatService, pasted: str
) -> None:
    with running(settings_for(zalo, ZALO_SITE_VERIFICATION=pasted), chat_service) as client:
        page = client.get(f"/zalo_verifier{VERIFICATION_CODE}.html")
        other = client.get("/zalo_verifierSomeoneElsesCode123.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert (
        f'<meta property="zalo-platform-site-verification" content="{VERIFICATION_CODE}" />'
        in page.text
    )
    assert other.status_code == 404


def test_without_zalo_site_verification_no_verification_file_is_served(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        assert client.get(f"/zalo_verifier{VERIFICATION_CODE}.html").status_code == 404


def test_a_zalo_site_verification_that_is_no_code_stops_the_start_naming_the_setting(
    zalo: FakeZaloOA,
) -> None:
    with pytest.raises(ValidationError, match="ZALO_SITE_VERIFICATION"):
        settings_for(zalo, ZALO_SITE_VERIFICATION="<script>alert(1)</script>")


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(time.time() - 1577836800, id="on 2020-01-01"),
        pytest.param(3 * 3600, id="3 hours ago"),
        pytest.param(-86400, id="tomorrow"),
    ],
)
def test_a_correctly_signed_event_outside_the_freshness_window_is_acknowledged_not_answered(
    zalo: FakeZaloOA,
    chat_service: ChatService,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    sent: float,
) -> None:
    with caplog.at_level(logging.WARNING), running(settings_for(zalo), chat_service) as client:
        response = post(client, sent_ago(text_event(), sent))
    assert response.status_code == 200  # an error would only make Zalo send it again
    assert zalo.sent == []
    assert store.stats().questions == 0
    [line] = [r.getMessage() for r in caplog.records if "not answered" in r.getMessage()]
    assert "'user_send_text'" in line
    assert ("ahead of this server's clock" if sent < 0 else "ZALO_EVENT_MAX_AGE_SECONDS") in line


def test_an_event_zalo_retries_within_its_hour_of_retries_is_still_answered(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        post(client, sent_ago(text_event(), 61 * 60))  # Zalo's last retry comes after an hour
    assert len(zalo.delivered()) == 1


def test_the_freshness_window_is_the_one_zalo_event_max_age_seconds_sets(
    zalo: FakeZaloOA, chat_service: ChatService
) -> None:
    settings = settings_for(zalo, ZALO_EVENT_MAX_AGE_SECONDS="600")
    with running(settings, chat_service) as client:
        post(client, sent_ago(text_event(msg_id="msg-1"), 15 * 60))
        post(client, sent_ago(text_event(msg_id="msg-2"), 5 * 60))
    assert len(zalo.delivered()) == 1


def test_an_event_without_msg_id_is_answered_once_however_often_it_is_replayed(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    replayed = text_event(msg_id="")
    other = text_event("Thanh toán bằng mã QR như thế nào?", msg_id="")
    with running(settings_for(zalo), chat_service) as client:
        responses = [post(client, replayed) for _ in range(3)]
        responses.append(post(client, other))
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert len(zalo.delivered()) == 2
    assert store.stats().questions == 2


def test_a_signed_event_naming_another_app_is_refused_with_403(
    zalo: FakeZaloOA, chat_service: ChatService, store: Store
) -> None:
    with running(settings_for(zalo), chat_service) as client:
        response = post(client, {**text_event(), "app_id": "1111111111111111"})
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "The event is for another Zalo app."}
    }
    assert zalo.sent == []
    assert store.stats().questions == 0


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
