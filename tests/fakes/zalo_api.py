"""Local Zalo APIs: the OA OpenAPI and OAuth servers, and the Bot Platform API.

Each answers the calls cds-bot makes the way Zalo does, records them, and runs with uvicorn
on 127.0.0.1 (a free port) in a background thread, so the channels' real httpx code talks to
it over HTTP exactly as it would to openapi.zalo.me, oauth.zaloapp.com or
bot-api.zaloplatforms.com.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .server import Gate, ServedFake


def sign_oa_event(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The X-ZEvent-Signature header Zalo puts on an OA webhook call."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode())
    return f"mac={digest.hexdigest()}"


OA_ID = "3886132808788086"  # the OA's id, the recipient of every citizen's message


def text_message(app_id: str, user: str, text: str, msg_id: str) -> dict:
    """A citizen's text message, as Zalo posts it to an OA's webhook, sent just now."""
    return {
        "app_id": app_id,
        "event_name": "user_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": msg_id, "text": text},
    }


def signed_call(app_id: str, oa_secret_key: str, event: dict) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Zalo's webhook call carrying `event`."""
    body = json.dumps(event, ensure_ascii=False).encode()
    signature = sign_oa_event(app_id, body, event["timestamp"], oa_secret_key)
    return body, {"X-ZEvent-Signature": signature, "Content-Type": "application/json"}


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Block until `predicate()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the fake Zalo server")
        time.sleep(0.02)


async def async_wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """`wait_until` for code running on an event loop."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the fake Zalo server")
        await asyncio.sleep(0.02)


@dataclass
class SentOA:
    access_token: str
    user_id: str
    text: str
    error: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class Refresh:
    secret_key: str
    form: dict[str, str]
    granted: bool


# Refusals of oauth.zaloapp.com/v4/oa/access_token as Zalo words them: HTTP 200 and a body
# {"error", "error_name", "error_description", "error_reason", "ref_doc"}. The codes are the
# ones integrations observe (-14002 app id, -14004 secret key, -14014 refresh token invalid or
# used, -14018 grant type, -14020 refresh token expired); Zalo's OA error table omits them.
OAUTH_REFUSALS = {
    -14002: "Invalid appId",
    -14004: "Invalid secret key",
    -14014: "Invalid refresh token",
    -14018: "Invalid grant type",
    -14020: "Refresh token has expired",
}


def oauth_refusal(code: int) -> JSONResponse:
    """Zalo's answer to a refresh it refuses."""
    return JSONResponse(
        {
            "error": code,
            "error_name": OAUTH_REFUSALS[code],
            "error_description": OAUTH_REFUSALS[code],
            "error_reason": "",
            "ref_doc": "https://developers.zalo.me/docs/official-account/bat-dau/"
            "xac-thuc-va-uy-quyen-cho-ung-dung-new",
        }
    )


RATE_LIMITED, RATE_LIMIT_MESSAGE = -32, "Your application reached limit call api"
# message/cs refusals a test can hand out per user, worded as Zalo's error table words them.
SEND_REFUSALS = {
    -211: "Out of quota",
    -218: "Out of quota receive",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
}


@dataclass
class FakeZaloOA(ServedFake):
    """openapi.zalo.me's message/cs and oauth.zaloapp.com's token refresh, on one server.

    As on Zalo: a refresh token works once; issuing a new pair kills the access token it
    replaces at once; an expired or killed access token is answered with -220 ("access_token
    is expired or removed") and an unknown one with -216.
    """

    app_id: str
    app_secret: str
    access_tokens: set[str] = field(default_factory=set)  # accepted by message/cs
    removed_tokens: set[str] = field(default_factory=set)  # expired or replaced: -220
    refresh_tokens: set[str] = field(default_factory=set)  # live, single use
    sent: list[SentOA] = field(default_factory=list)  # every message/cs call
    refreshes: list[Refresh] = field(default_factory=list)  # every refresh call
    send_delay: float = 0.0
    gate: Gate = field(default_factory=Gate)  # holds "message/cs"
    http_failures: list[int] = field(default_factory=list)  # next message/cs HTTP statuses
    refresh_failures: int = 0  # the next n refresh calls get a 502 without using the token
    refresh_rate_limited: int = 0  # the next n refresh calls get -32 without using the token
    rate_limited: int = 0  # the next n message/cs calls get -32
    refusals: dict[str, int] = field(default_factory=dict)  # user id -> SEND_REFUSALS code
    expires_in: str = "90000"
    _pairs: itertools.count = field(default_factory=lambda: itertools.count(2))

    def issue(self, access: str, refresh: str) -> None:
        """A token pair Zalo has granted (what the operator pastes into the settings)."""
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)

    def expire(self, access: str) -> None:
        """Let an access token run out (or be revoked) before its time."""
        self.access_tokens.discard(access)
        self.removed_tokens.add(access)

    def delivered(self) -> list[SentOA]:
        return [message for message in self.sent if message.error == 0]

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/v3.0/oa/message/cs")
        async def send(request: Request) -> JSONResponse:
            token = request.headers.get("access_token", "")
            body = await request.json()
            if not await self.gate.passes("message/cs", request):
                return JSONResponse({"error": -1, "message": "client hung up"})
            if self.http_failures:  # Zalo's gateway, before the API itself
                return JSONResponse({"message": "gateway"}, status_code=self.http_failures.pop(0))
            if self.send_delay:
                await asyncio.sleep(self.send_delay)
            if token in self.removed_tokens:
                error, message = -220, "access_token is expired or removed"
            elif token not in self.access_tokens:
                error, message = -216, "Access token is invalid"
            elif self.rate_limited:
                self.rate_limited -= 1
                error, message = RATE_LIMITED, RATE_LIMIT_MESSAGE
            elif body["recipient"]["user_id"] in self.refusals:
                error = self.refusals[body["recipient"]["user_id"]]
                message = SEND_REFUSALS[error]
            elif not body.get("message", {}).get("text") or len(body["message"]["text"]) > 2000:
                error, message = -201, "Message text is empty or longer than 2000 characters"
            else:
                error, message = 0, "Success"
            self.sent.append(
                SentOA(token, body["recipient"]["user_id"], body["message"]["text"], error)
            )
            data = {"message_id": f"m{len(self.sent)}", "user_id": body["recipient"]["user_id"]}
            return JSONResponse({"error": error, "message": message, "data": data})

        @api.post("/v4/oa/access_token")
        async def refresh(request: Request) -> JSONResponse:
            form = {key: str(value) for key, value in (await request.form()).items()}
            secret = request.headers.get("secret_key", "")
            if self.refresh_failures:
                self.refresh_failures -= 1
                self.refreshes.append(Refresh(secret, form, False))
                return JSONResponse({"message": "Bad Gateway"}, status_code=502)
            if self.refresh_rate_limited:
                self.refresh_rate_limited -= 1
                self.refreshes.append(Refresh(secret, form, False))
                return JSONResponse({"error": RATE_LIMITED, "message": RATE_LIMIT_MESSAGE})
            refusal = self._refusal(secret, form)
            self.refreshes.append(Refresh(secret, form, refusal is None))
            if refusal is not None:
                return oauth_refusal(refusal)
            self.refresh_tokens.discard(form["refresh_token"])
            for replaced in self.access_tokens:  # the new pair kills the old access token
                self.removed_tokens.add(replaced)
            self.access_tokens.clear()
            number = next(self._pairs)
            access, new_refresh = f"access-{number}", f"refresh-{number}"
            self.issue(access, new_refresh)
            return JSONResponse(
                {
                    "access_token": access,
                    "refresh_token": new_refresh,
                    "expires_in": self.expires_in,
                }
            )

        return api

    def _refusal(self, secret: str, form: dict[str, str]) -> int | None:
        if form.get("app_id") != self.app_id:
            return -14002
        if secret != self.app_secret:
            return -14004
        if form.get("grant_type") != "refresh_token":
            return -14018
        if form.get("refresh_token") not in self.refresh_tokens:
            return -14014
        return None


@dataclass
class BotCall:
    method: str
    params: dict[str, Any]


@dataclass
class FakeZaloBot(ServedFake):
    """bot-api.zaloplatforms.com: records every call and serves queued updates to getUpdates."""

    token: str
    calls: list[BotCall] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)  # method -> HTTP statuses
    empty_poll_seconds: float = 0.3  # how long getUpdates holds when nothing is queued
    gate: Gate = field(default_factory=Gate)
    stopping: bool = False

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def sent_texts(self) -> list[str]:
        return [params["text"] for params in self.calls_to("sendMessage")]

    def fail_next(self, method: str, status: int) -> None:
        self.failures.setdefault(method, []).append(status)

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> JSONResponse:
            if token != self.token:
                return _bot_error(401, "Unauthorized")
            raw = await request.body()
            params = json.loads(raw) if raw else {}
            if not await self.gate.passes(method, request):
                return _bot_error(499, "Client hung up")
            self.calls.append(BotCall(method, params))
            if self.failures.get(method):
                status = self.failures[method].pop(0)
                return _bot_error(status, "Internal error", status)
            if method == "getUpdates":
                return await self._get_updates()
            if method == "sendMessage":
                text = params.get("text", "")
                if not params.get("chat_id") or not 1 <= len(text) <= 2000:
                    return _bot_error(400, "text must be 1 to 2000 characters")
                return _ok({"message_id": f"bot-{len(self.calls)}", "date": 1749632637199})
            if method in ("setWebhook", "deleteWebhook"):
                return _ok({"url": params.get("url", ""), "updated_at": 1749538250568})
            if method == "sendChatAction":
                return JSONResponse({"ok": True})
            if method == "getMe":
                return _ok({"id": "1459232241454765289", "account_name": "bot.cds"})
            return _bot_error(404, "Method not found")

        return api

    async def _get_updates(self) -> JSONResponse:
        deadline = time.monotonic() + self.empty_poll_seconds
        while not self.updates and time.monotonic() < deadline and not self.stopping:
            await asyncio.sleep(0.02)
        if self.updates:
            return _ok(self.updates.pop(0))
        # What Zalo answers when the long-poll window passes without a message.
        return _bot_error(200, "Request timeout", 408)

    def stop(self) -> None:
        self.stopping = True  # end held long-polls, or uvicorn waits for them
        super().stop()


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _bot_error(status: int, description: str, code: int | None = None) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": code or status, "description": description},
        status_code=status,
    )
