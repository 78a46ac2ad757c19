"""Zalo Bot Platform (bot-api.zaloplatforms.com): webhook or long polling in, sendMessage out.

The API is modelled on Telegram's Bot API: `{base}/bot<token>/<method>`, JSON answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
An update is `{"event_name": "message.text.received", "message": {"message_id", "from": {"id"},
"chat": {"id"}, "text"}}`; images, stickers and the rest arrive as other
`message.<kind>.received` events. Where Zalo's docs are silent we follow Telegram and say so.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException

from .. import safejson
from ..errors import ChannelError, PlatformRefused, RateLimited
from ..inbox import Inbox, Outcome
from ..settings import Settings
from ..storage import Delivery
from .common import ChatService, split_message
from .retry import RetryingTransport
from .zalo_common import (
    STOP_GRACE_SECONDS,
    TEXT_LIMIT,
    http_error_text,
    limited_reply,
    reply_text,
)

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_EVENT = "message.text.received"
API_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 30  # getUpdates long-poll window, the platform's default
# Not in Zalo's docs: the platform's own clients read error_code 408 as "no message came".
POLL_TIMEOUT_CODE = 408
MIN_POLL_SECONDS = 1.0  # never ask again sooner, should empty answers come back at once
MAX_BACKOFF_SECONDS = 60.0

T = TypeVar("T")


class ZaloBotError(ChannelError):
    """The Zalo Bot API refused a call or could not be reached."""

    def __init__(self, method: str, detail: str, code: int | None = None) -> None:
        super().__init__(f"Zalo Bot {method} failed: {detail}")
        self.code = code


class _HideBotToken(logging.Filter):
    """Masks the token in httpx's request log lines (`.../bot<token>/<method>`)."""

    _token = re.compile(r"/bot[^/\s]+/")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._token.sub("/bot***/", str(arg)) if "/bot" in str(arg) else arg
                for arg in record.args
            )
        return True


def client(settings: Settings) -> httpx.AsyncClient:
    """An httpx client for the Bot API that sends replies again when Zalo is briefly down."""
    transport = RetryingTransport(
        "Zalo Bot",
        settings.platform_retries,
        lambda request: request.url.path.endswith("/sendMessage"),
    )
    return httpx.AsyncClient(timeout=API_TIMEOUT_SECONDS, transport=transport)


def _hide_bot_token_in_httpx_logs() -> None:
    # The CLI turns httpx down to WARNING, but an app run another way would log every URL.
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _HideBotToken) for f in httpx_log.filters):
        httpx_log.addFilter(_HideBotToken())


class ZaloBotAPI:
    """Calls `{ZALO_BOT_API_BASE_URL}/bot<token>/<method>` and unwraps `result`."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        if settings.zalo_bot_token is None:
            raise ChannelError("Set ZALO_BOT_TOKEN (from Zalo Bot Creator) first.")
        _hide_bot_token_in_httpx_logs()
        base = settings.zalo_bot_api_base_url.rstrip("/")
        self._prefix = f"{base}/bot{settings.zalo_bot_token.get_secret_value()}"
        self._client = client

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, timeout: float | None = None
    ) -> Any:
        # The URL holds the token: errors name the method only, and drop httpx's chain.
        try:
            response = await self._client.post(
                f"{self._prefix}/{method}",
                json=payload or {},
                timeout=timeout or API_TIMEOUT_SECONDS,
            )
            data = response.json()
        except httpx.HTTPError as exc:
            raise ZaloBotError(method, http_error_text(exc)) from None
        except ValueError:
            raise ZaloBotError(method, f"HTTP {response.status_code}, not JSON") from None
        if not isinstance(data, dict) or data.get("ok") is not True:
            data = data if isinstance(data, dict) else {}
            code = data.get("error_code")
            detail = data.get("description") or f"HTTP {response.status_code}"
            raise ZaloBotError(method, f"{code}: {detail}", code if isinstance(code, int) else None)
        return data.get("result")

    async def send_message(self, chat_id: str, text: str) -> None:
        """Send text to a chat in messages of at most 2,000 characters."""
        for part in split_message(text, TEXT_LIMIT):
            await self.call("sendMessage", {"chat_id": chat_id, "text": part})


@dataclass(frozen=True)
class Incoming:
    chat_id: str
    user_id: str
    text: str | None  # None: not a text message


def parse_update(update: Any) -> Incoming | None:
    """The message of an update, or None for updates that need no reply."""
    if not isinstance(update, dict):
        return None
    message = update.get("message")
    event = str(update.get("event_name") or "")
    if not isinstance(message, dict) or not event.startswith("message."):
        return None
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat_id = str(chat.get("id") or sender.get("id") or "")
    if not chat_id:
        return None
    text = str(message.get("text") or "") if event == TEXT_EVENT else None
    return Incoming(chat_id, str(sender.get("id") or chat_id), text)


class Responder:
    """Answers updates once each, through the inbox, for the webhook and polling alike."""

    name = "zalo-bot"

    def __init__(self, api: ZaloBotAPI, service: ChatService, settings: Settings) -> None:
        self.api = api
        self.service = service
        self.inbox = Inbox.from_settings(settings, service.store, self.name, self._answer)

    def accept(self, update: Any) -> bool:
        """Record a message to answer; False for non-messages and repeated deliveries."""
        incoming = parse_update(update)
        if incoming is None:
            return False
        message_id = str(update["message"].get("message_id") or "")
        if not message_id:  # not seen from Zalo; the update itself then identifies it
            digest = hashlib.sha256(json.dumps(update, sort_keys=True).encode()).hexdigest()
            message_id = "update-" + digest[:32]
        address = {"chat_id": incoming.chat_id, "user_id": incoming.user_id}
        return self.inbox.accept(
            message_id,
            self.service.store.user_hash(self.name, incoming.user_id),
            json.dumps(address),
            incoming.text,
        )

    async def _answer(self, delivery: Delivery) -> Outcome:
        assert delivery.address is not None
        address = json.loads(delivery.address)
        return await self.respond(Incoming(address["chat_id"], address["user_id"], delivery.text))

    async def respond(self, incoming: Incoming) -> Outcome:
        """Answer one message; ChannelError when Zalo did not take the reply."""
        user = self.service.store.user_hash(self.name, incoming.user_id)
        if incoming.text is not None:
            try:
                self.service.admit(self.name, incoming.user_id)
            except RateLimited as exc:  # before "typing…": a flood costs no calls to Zalo
                notice = limited_reply(exc)
                if notice is not None:
                    await self.api.send_message(incoming.chat_id, notice)
                return "limited"
            try:
                await self.api.call(
                    "sendChatAction", {"chat_id": incoming.chat_id, "action": "typing"}
                )
            except ChannelError as exc:  # only a courtesy: answer anyway
                log.debug("typing indicator not shown user=%s: %s", user, exc)
        reply = await reply_text(
            self.service,
            self.name,
            incoming.user_id,
            incoming.text,
            admitted=True,
            address=incoming.chat_id,
        )
        if reply is None:
            return "limited"
        try:
            await self.api.send_message(incoming.chat_id, reply)
        except ZaloBotError as exc:
            if exc.code is not None and 400 <= exc.code < 500 and exc.code != 429:
                raise PlatformRefused(str(exc)) from None  # e.g. the user blocked the bot
            raise
        return "sent"


def _unwrap(body: Any) -> Any:
    # Webhook bodies come either as the bare update or wrapped like an API answer.
    if isinstance(body, dict) and body.get("ok") is True and isinstance(body.get("result"), dict):
        return body["result"]
    return body


class ZaloBotChannel:
    """Zalo Bot Platform adapter: POST /webhook/zalo-bot, replies through sendMessage."""

    name = "zalo-bot"
    reply_window_seconds: float | None = None  # no window documented: the setting decides

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.router = APIRouter()
        self.router.add_api_route(
            "/webhook/zalo-bot", self.webhook, methods=["POST"], include_in_schema=False
        )
        self._client: httpx.AsyncClient | None = None
        self._responder: Responder | None = None

    @property
    def inbox(self) -> Inbox | None:
        return self._responder.inbox if self._responder is not None else None

    async def start(self, service: ChatService) -> None:
        webhook_secret(self.settings)  # a short secret can be guessed: refuse to start
        self._client = client(self.settings)
        self._responder = Responder(ZaloBotAPI(self.settings, self._client), service, self.settings)
        self._responder.inbox.start()

    async def stop(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        if self._responder is not None:
            await self._responder.inbox.stop(timeout)
        if self._client is not None:
            await self._client.aclose()

    async def webhook(self, request: Request) -> dict:
        """Check the secret, acknowledge at once, answer in the background."""
        expected = self.settings.zalo_bot_webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if expected is None or not hmac.compare_digest(
            given.encode(), expected.get_secret_value().encode()
        ):
            raise HTTPException(403, "Invalid Zalo Bot secret token.")
        if self._responder is None:
            raise HTTPException(503, "The Zalo Bot channel is starting.")
        update = _unwrap(safejson.loads(await request.body()))
        self._responder.accept(update)  # answered in the background
        return {"ok": True}

    async def send(self, chat_id: str, text: str) -> None:
        """Send text to a chat in messages of at most 2,000 characters."""
        if self._responder is None:
            raise ChannelError("The Zalo Bot channel is not started.")
        await self._responder.api.send_message(chat_id, text)


async def _unless_stopped(work: Awaitable[T], stop_event: asyncio.Event) -> tuple[bool, T | None]:
    """Run `work` until it finishes (True, result) or stop_event is set (False, None)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop_event.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        return True, task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False, None


async def poll(settings: Settings, service: ChatService, stop_event: asyncio.Event) -> None:
    """Answer messages by long polling (getUpdates) until stop_event is set; fetched
    messages go through the inbox like webhook ones, and are answered in the background."""
    async with client(settings) as http:
        responder = Responder(ZaloBotAPI(settings, http), service, settings)
        responder.inbox.start()
        try:
            await _poll(responder, stop_event)
        finally:
            await responder.inbox.stop(STOP_GRACE_SECONDS)
    log.info("stopped polling Zalo Bot updates")


async def _poll(responder: Responder, stop_event: asyncio.Event) -> None:
    """Fetch updates into the inbox until stop_event is set."""
    try:
        # getUpdates returns nothing while a webhook is set (PTB's run_polling does the same).
        await responder.api.call("deleteWebhook")
    except ChannelError as exc:
        log.warning("%s", exc)
    log.info("polling Zalo Bot updates")
    backoff = 1.0
    loop = asyncio.get_running_loop()
    while not stop_event.is_set():
        asked = loop.time()
        try:
            finished, result = await _unless_stopped(
                responder.api.call(
                    "getUpdates", {"timeout": str(POLL_SECONDS)}, timeout=POLL_SECONDS + 10
                ),
                stop_event,
            )
        except ZaloBotError as exc:
            if exc.code == POLL_TIMEOUT_CODE:
                rest = MIN_POLL_SECONDS - (loop.time() - asked)
                if rest > 0:
                    await _unless_stopped(asyncio.sleep(rest), stop_event)
                continue
            log.warning("%s; retrying in %.0f s", exc, backoff)
            await _unless_stopped(asyncio.sleep(backoff), stop_event)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        if not finished:
            break
        backoff = 1.0
        # Zalo's docs show one update per answer and no offset parameter (fetching it
        # confirms it); a list, as in Telegram, is accepted too.
        for update in result if isinstance(result, list) else [result]:
            responder.accept(update)


def webhook_secret(settings: Settings) -> str:
    """ZALO_BOT_WEBHOOK_SECRET, 8 to 256 characters as Zalo's docs require; ChannelError else."""
    secret = settings.zalo_bot_webhook_secret
    value = secret.get_secret_value() if secret is not None else ""
    if not 8 <= len(value) <= 256:
        raise ChannelError(
            "Set ZALO_BOT_WEBHOOK_SECRET to 8 to 256 characters; the webhook refuses to run "
            "without it. Make one with:\n"
            "    python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


async def set_webhook(settings: Settings, url: str) -> dict[str, Any]:
    """Register `url` as the bot's webhook, with ZALO_BOT_WEBHOOK_SECRET as its secret token."""
    secret = webhook_secret(settings)
    if not url.startswith("https://"):
        raise ChannelError(f"Zalo only calls HTTPS webhooks; got {url!r}.")
    async with httpx.AsyncClient(timeout=API_TIMEOUT_SECONDS) as client:
        result = await ZaloBotAPI(settings, client).call(
            "setWebhook", {"url": url, "secret_token": secret}
        )
    return result if isinstance(result, dict) else {}
