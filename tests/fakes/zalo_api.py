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


@dataclass
class Refresh:
    secret_key: str
    form: dict[str, str]
    granted: bool


@dataclass
class FakeZaloOA(ServedFake):
    """openapi.zalo.me's message/cs and oauth.zaloapp.com's token refresh, on one server.

    Refresh tokens are single use, as on Zalo: presenting one again is refused.
    """

    app_id: str
    app_secret: str
    access_tokens: set[str] = field(default_factory=set)  # accepted by message/cs
    expired_tokens: set[str] = field(default_factory=set)  # answered with -124
    refresh_tokens: set[str] = field(default_factory=set)  # live, single use
    sent: list[SentOA] = field(default_factory=list)  # every message/cs call
    refreshes: list[Refresh] = field(default_factory=list)  # every refresh call
    send_delay: float = 0.0
    gate: Gate = field(default_factory=Gate)  # holds "message/cs"
    http_failures: list[int] = field(default_factory=list)  # next message/cs HTTP statuses
    refresh_failures: int = 0  # the next n refresh calls get a 502 without using the token
    expires_in: str = "90000"
    _pairs: itertools.count = field(default_factory=lambda: itertools.count(2))

    def issue(self, access: str, refresh: str) -> None:
        """A token pair Zalo has granted (what the operator pastes into the settings)."""
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)

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
            if token in self.expired_tokens:
                error, message = -124, "Access token has expired"
            elif token not in self.access_tokens:
                error, message = -216, "Access token is invalid"
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
            granted = (
                secret == self.app_secret
                and form.get("app_id") == self.app_id
                and form.get("grant_type") == "refresh_token"
                and form.get("refresh_token") in self.refresh_tokens
            )
            self.refreshes.append(Refresh(secret, form, granted))
            if not granted:
                return JSONResponse(
                    {
                        "error": -14014,
                        "error_name": "Invalid refresh token",
                        "error_description": "Refresh token is invalid or already used",
                    }
                )
            self.refresh_tokens.discard(form["refresh_token"])
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
