"""A local Telegram Bot API: answers the methods cds-bot calls the way Telegram does,
records every call, and serves queued updates to getUpdates.

Runs with uvicorn on 127.0.0.1 (a free port) in a background thread, so the real
python-telegram-bot client talks to it over HTTP exactly as it would to api.telegram.org.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .server import Gate, ServedFake

TOKEN = "123:abc"
BOT_ID = 123
BOT_USERNAME = "cds_laichau_bot"
# Parameters PTB sends as JSON-encoded strings inside form bodies.
_JSON_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "entities",
    "reply_parameters",
    "link_preview_options",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram(ServedFake):
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)  # what the bot sent, as returned
    updates: list[dict] = field(default_factory=list)
    failures: dict[str, list[dict]] = field(default_factory=dict)
    gate: Gate = field(default_factory=Gate)
    members: dict[int, str] = field(default_factory=dict)  # user id -> status in any group
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to (the client appends the token)."""
        return f"{self.url}/bot"

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def sent_texts(self) -> list[str]:
        return [params["text"] for params in self.calls_to("sendMessage")]

    def fail_next(self, method: str, code: int, description: str, **parameters: Any) -> None:
        """Make the next call of `method` fail as Telegram would (e.g. 429 with retry_after)."""
        error = {"ok": False, "error_code": code, "description": description}
        if parameters:
            error["parameters"] = parameters
        self.failures.setdefault(method, []).append(error)

    def queue_update(self, update: dict) -> None:
        self.updates.append(update)

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> JSONResponse:
            if token != self.token:
                return _error(401, "Unauthorized")
            params = await _params(request)
            if not await self.gate.passes(method, request):
                return _error(499, "Client hung up")
            self.calls.append(Call(method, params))
            if self.failures.get(method):
                error = self.failures[method].pop(0)
                return JSONResponse(error, status_code=error["error_code"])
            handler = getattr(self, f"_{method}", None)
            if handler is None:
                return _error(404, "Not Found: method not found")
            return JSONResponse({"ok": True, "result": await handler(params)})

        return api

    async def _getMe(self, params: dict) -> dict:
        return bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _sendMessage(self, params: dict) -> dict:
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat(int(params["chat_id"])),
            "from": bot_user(),
            "text": params["text"],
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.messages.append(message)
        return message

    async def _sendChatAction(self, params: dict) -> bool:
        return True

    async def _answerCallbackQuery(self, params: dict) -> bool:
        return True

    async def _editMessageReplyMarkup(self, params: dict) -> dict:
        return {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": chat(int(params["chat_id"])),
            "from": bot_user(),
            "text": "…",
        } | ({"reply_markup": params["reply_markup"]} if "reply_markup" in params else {})

    async def _getChatMember(self, params: dict) -> dict:
        user_id = int(params["user_id"])
        status = self.members.get(user_id, "left")
        extra = {"is_anonymous": False} if status == "creator" else {}
        return {"status": status, "user": user(user_id)} | extra

    async def _setWebhook(self, params: dict) -> bool:
        return True

    async def _deleteWebhook(self, params: dict) -> bool:
        return True

    async def _getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset", 0))
        self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        # Long polling, shortened: wait up to a second for an update to arrive.
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 1.0)
        while not self.updates and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return list(self.updates)


async def _params(request: Request) -> dict[str, Any]:
    """The call's parameters, sent as JSON, a form or multipart (PTB uses forms)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        return json.loads(body) if body else {}
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.items():
        value = value if isinstance(value, str) else "(file)"
        params[key] = json.loads(value) if key in _JSON_PARAMS else value
    return params


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": code, "description": description}, status_code=code
    )


def bot_user() -> dict:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý CĐS", "username": BOT_USERNAME}


def user(user_id: int = 42) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}


def chat(chat_id: int) -> dict:
    """A private chat for positive ids, a supergroup for negative ones (as Telegram does)."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Lan"}
    return {"id": chat_id, "type": "supergroup", "title": "Tổ CNS bản Nậm Loỏng"}


def message_update(
    update_id: int, text: str | None = None, chat_id: int = 42, user_id: int = 42, **extra: Any
) -> dict:
    """An update carrying a new message, as Telegram posts it to a webhook."""
    message: dict[str, Any] = {
        "message_id": update_id + 500,
        "date": int(time.time()),
        "chat": chat(chat_id),
        "from": user(user_id),
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                }
            ]
    message.update(extra)
    return {"update_id": update_id, "message": message}


def sticker_update(update_id: int, chat_id: int = 42) -> dict:
    sticker = {
        "file_id": "CAACAgIAAxkBAAE",
        "file_unique_id": "AgADsw",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    return message_update(update_id, chat_id=chat_id, sticker=sticker)


def callback_update(update_id: int, data: str, message: dict, user_id: int = 42) -> dict:
    """A button press on `message` (a message the bot sent, as the fake returned it)."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user(user_id),
            "chat_instance": "-42",
            "data": data,
            "message": message,
        },
    }
