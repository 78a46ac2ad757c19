"""Zalo Official Account (OpenAPI v3): signed webhook in, customer-service message out.

Tokens. The access token lives about 25 hours; the refresh token that renews it is single
use, and each refresh returns a new pair that exists nowhere else. So the pair lives in the
database. ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN only seed it: each value is imported once,
recognised by its hash, so an unchanged .env never brings back a spent refresh token, while an
operator can still paste a new one. Before calling Zalo we save a "refresh pending" marker and
the current pair as the previous pair (one transaction); the new pair is saved in one durable
transaction (synchronous=FULL) before it is used. Zalo rotates the pair on its side before it
answers, so no client can close the gap between that and our save; it is kept to one fsync.
A crash inside it leaves the marker: the next start warns and retries with the saved refresh
token, which works if the request never reached Zalo (the old access token may also keep
serving until it expires). If Zalo refuses it, the log says to re-authorise the OA and set a
new ZALO_REFRESH_TOKEN. A refresh that gets no verdict (network error, 5xx) keeps the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from typing import Any, NoReturn

import httpx
from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException

from ..errors import ChannelError
from ..inbox import Inbox, Outcome
from ..settings import Settings
from ..storage import Delivery, Store
from .common import ChatService, split_message
from .retry import RetryingTransport
from .zalo_common import STOP_GRACE_SECONDS, TEXT_LIMIT, http_error_text, reply_text

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
# Send-API errors meaning the access token is invalid (-216) or expired (-124).
TOKEN_ERRORS = frozenset({-216, -124})
NON_TEXT_EVENTS = frozenset(
    {
        "user_send_image",
        "user_send_sticker",
        "user_send_audio",
        "user_send_location",
        "user_send_file",
        "user_send_gif",
        "user_send_video",
    }
)
API_TIMEOUT_SECONDS = 15.0
KEEPER_IDLE_SECONDS = 3600.0
KEEPER_RETRY_SECONDS = 300.0

# Names in the store's tokens table.
ACCESS = "zalo_oa.access_token"
REFRESH = "zalo_oa.refresh_token"
REFRESH_AFTER = "zalo_oa.refresh_after"  # epoch seconds; "0" when the expiry is unknown
PENDING = "zalo_oa.refresh_pending"  # epoch seconds a refresh started; "" when none
PREVIOUS_ACCESS = "zalo_oa.previous_access_token"
PREVIOUS_REFRESH = "zalo_oa.previous_refresh_token"
SEED = ".seed"  # suffix: hash of the settings value last imported into a slot


def signature_matches(app_id: str, secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is Zalo's sha256(app_id + body + timestamp + OA secret key)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    timestamp = payload.get("timestamp") if isinstance(payload, dict) else None
    if not header or timestamp is None:
        return False
    given = header.strip()
    # Zalo sends "mac=<hex>" (chatwoot's Zalo channel compares against exactly that).
    if given.lower().startswith("mac="):
        given = given[4:].strip()
    signed = app_id.encode() + body + str(timestamp).encode() + secret.encode()
    return hmac.compare_digest(given.lower().encode(), hashlib.sha256(signed).hexdigest().encode())


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _seconds(value: Any) -> int:
    try:
        return max(int(str(value).strip()), 0)
    except ValueError:
        return 0


class OATokens:
    """The OA token pair: kept in the database, seeded from settings, refreshed one at a time."""

    def __init__(self, settings: Settings, store: Store, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._store = store
        self._client = client
        self._lock = asyncio.Lock()
        self._import_seeds()
        self._access = store.get_token(ACCESS) or ""
        self._refresh = store.get_token(REFRESH) or ""
        self._refresh_after = float(store.get_token(REFRESH_AFTER) or 0)
        if store.get_token(PENDING):
            log.warning(
                "A Zalo OA token refresh did not finish (the bot stopped during it). The next "
                "refresh retries with the saved refresh token; if Zalo refuses it, re-authorise "
                "the OA and set a new ZALO_REFRESH_TOKEN."
            )

    def _import_seeds(self) -> None:
        updates: dict[str, str] = {}
        seeds = (
            (ACCESS, self._settings.zalo_access_token),
            (REFRESH, self._settings.zalo_refresh_token),
        )
        for slot, secret in seeds:
            if secret is None or not secret.get_secret_value():
                continue
            fingerprint = _fingerprint(secret.get_secret_value())
            if self._store.get_token(slot + SEED) == fingerprint:
                continue  # imported before: the stored (possibly rotated) value wins
            updates[slot] = secret.get_secret_value()
            updates[slot + SEED] = fingerprint
            if slot == ACCESS:
                updates[REFRESH_AFTER] = "0"  # the expiry of a pasted token is unknown
            else:
                updates[PENDING] = ""  # a fresh refresh token settles any interrupted refresh
        if updates:
            self._store.set_tokens(updates)
            log.info("imported new Zalo OA token(s) from the settings")

    def seconds_until_due(self) -> float | None:
        """Seconds until the access token should be renewed; None when its expiry is unknown."""
        if not self._refresh_after:
            return None
        return max(self._refresh_after - time.time(), 0.0)

    def _due(self) -> bool:
        return not self._access or bool(self._refresh_after and time.time() >= self._refresh_after)

    async def current(self) -> str:
        """An access token, renewed first when it is about to expire."""
        if self._due():
            async with self._lock:
                if self._due():  # another task may have renewed it while we waited
                    await self._renew_locked()
        return self._access

    async def renew(self, rejected: str) -> str:
        """A new access token after Zalo rejected `rejected`; refreshes at most once for it."""
        async with self._lock:
            if self._access == rejected:
                await self._renew_locked()
        return self._access

    async def _renew_locked(self) -> None:
        settings = self._settings
        if not self._refresh:
            raise ChannelError(
                "The Zalo OA access token needs renewing but no refresh token is saved: "
                "re-authorise the OA and set ZALO_REFRESH_TOKEN."
            )
        if settings.zalo_app_secret is None or not settings.zalo_app_id:
            raise ChannelError("Renewing the Zalo OA token needs ZALO_APP_ID and ZALO_APP_SECRET.")
        self._store.set_tokens(
            {
                PENDING: str(int(time.time())),
                PREVIOUS_ACCESS: self._access,
                PREVIOUS_REFRESH: self._refresh,
            }
        )
        try:
            response = await self._client.post(
                f"{settings.zalo_oauth_base_url.rstrip('/')}/v4/oa/access_token",
                headers={"secret_key": settings.zalo_app_secret.get_secret_value()},
                data={
                    "refresh_token": self._refresh,
                    "app_id": settings.zalo_app_id,
                    "grant_type": "refresh_token",
                },
            )
            data = response.json()
        except httpx.HTTPError as exc:
            # Whether Zalo used the token is unknown: keep it and the marker for the next try.
            raise ChannelError(f"Zalo OA token refresh failed ({http_error_text(exc)})") from None
        except ValueError:
            raise ChannelError(
                f"Zalo OA token refresh failed (HTTP {response.status_code}, not JSON)"
            ) from None
        access = data.get("access_token") if isinstance(data, dict) else None
        refresh = data.get("refresh_token") if isinstance(data, dict) else None
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            if response.status_code >= 500 or not isinstance(data, dict) or "error" not in data:
                # No verdict from Zalo: the token may be unused, so keep it for the next try.
                raise ChannelError(f"Zalo OA token refresh failed (HTTP {response.status_code})")
            self._refuse_refresh(data, response.status_code)
        lifetime = _seconds(data.get("expires_in"))
        # Renew well before expiry: an hour early, or halfway through a short lifetime.
        refresh_after = time.time() + lifetime - min(3600, lifetime // 2) if lifetime else 0.0
        self._store.set_tokens(
            {ACCESS: access, REFRESH: refresh, REFRESH_AFTER: str(refresh_after), PENDING: ""}
        )
        self._access, self._refresh, self._refresh_after = access, refresh, refresh_after
        if lifetime:
            log.info(
                "Zalo OA tokens renewed; next renewal in %.1f h",
                (refresh_after - time.time()) / 3600,
            )
        else:
            log.warning("Zalo OA tokens renewed without an expiry; renewing when Zalo rejects it")

    def _refuse_refresh(self, data: dict, status: int) -> NoReturn:
        # Zalo answered without a new pair: the refresh token is spent or revoked, so it is
        # dropped (kept as the previous one) instead of being presented again on every message.
        self._store.set_tokens({REFRESH: "", PENDING: ""})
        self._refresh = ""
        detail = data.get("error_description") or data.get("error_name") or f"HTTP {status}"
        raise ChannelError(
            f"Zalo OA refused the refresh token (error {data['error']}: {detail}). "
            "Re-authorise the OA and set a new ZALO_REFRESH_TOKEN, then restart."
        )


class ZaloOAChannel:
    """Zalo Official Account adapter: POST /webhook/zalo, replies through message/cs."""

    name = "zalo"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.router = APIRouter()
        self.router.add_api_route(
            "/webhook/zalo", self.webhook, methods=["POST"], include_in_schema=False
        )
        self._service: ChatService | None = None
        self._client: httpx.AsyncClient | None = None
        self._tokens: OATokens | None = None
        self._keeper: asyncio.Task[None] | None = None
        self.inbox: Inbox | None = None

    async def start(self, service: ChatService) -> None:
        self._service = service
        # Only the message call is sent again: a refresh token may be spent by the first try.
        transport = RetryingTransport(
            "Zalo OA",
            self.settings.platform_retries,
            lambda request: request.url.path.endswith("/message/cs"),
        )
        self._client = httpx.AsyncClient(timeout=API_TIMEOUT_SECONDS, transport=transport)
        self._tokens = OATokens(self.settings, service.store, self._client)
        self._keeper = asyncio.create_task(self._keep_fresh())
        self.inbox = Inbox.from_settings(self.settings, service.store, self.name, self._answer)
        self.inbox.start()

    async def stop(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self.inbox is not None:
            await self.inbox.stop(timeout)
        if self._client is not None:
            await self._client.aclose()

    async def webhook(self, request: Request) -> dict:
        """Acknowledge a Zalo event at once; text and media messages are answered afterwards."""
        body = await request.body()
        secret = self.settings.zalo_oa_secret_key
        app_id = self.settings.zalo_app_id or ""
        header = request.headers.get(SIGNATURE_HEADER)
        if secret is None or not signature_matches(app_id, secret.get_secret_value(), body, header):
            raise HTTPException(401, "Invalid Zalo event signature.")
        if self._service is None:
            raise HTTPException(503, "The Zalo channel is starting.")
        event = json.loads(body)
        name = event.get("event_name")
        if name != "user_send_text" and name not in NON_TEXT_EVENTS:
            return {"ok": True}  # follows, seen receipts and the like need no reply
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        user_id = str(sender.get("id") or "")
        msg_id = str(message.get("msg_id") or "")
        if not user_id:
            return {"ok": True}
        text = str(message.get("text") or "") if name == "user_send_text" else None
        # Zalo retries events it thinks were not delivered: the inbox answers each one once.
        assert self.inbox is not None
        self.inbox.accept(
            msg_id or "event-" + hashlib.sha256(body).hexdigest()[:32],
            self._service.store.user_hash(self.name, user_id),
            json.dumps({"user_id": user_id}),
            text,
        )
        return {"ok": True}

    async def _answer(self, delivery: Delivery) -> Outcome:
        """Answer a recorded message; ChannelError when Zalo did not take the reply."""
        assert self._service is not None and delivery.address is not None
        user_id = json.loads(delivery.address)["user_id"]
        reply = await reply_text(self._service, self.name, user_id, delivery.text)
        if reply is None:
            return "limited"
        await self.send(user_id, reply)
        return "sent"

    async def send(self, user_id: str, text: str) -> None:
        """Send text to a user as customer-service messages of at most 2,000 characters."""
        for part in split_message(text, TEXT_LIMIT):
            await self._send_one(user_id, part)

    async def _send_one(self, user_id: str, text: str) -> None:
        assert self._tokens is not None
        token = await self._tokens.current()
        error, detail = await self._post_message(token, user_id, text)
        if error in TOKEN_ERRORS:
            token = await self._tokens.renew(token)
            error, detail = await self._post_message(token, user_id, text)
        if error != 0:
            raise ChannelError(f"Zalo OA refused the message (error {error}: {detail})")

    async def _post_message(self, token: str, user_id: str, text: str) -> tuple[int, str]:
        assert self._client is not None
        url = f"{self.settings.zalo_api_base_url.rstrip('/')}/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        try:
            response = await self._client.post(url, headers={"access_token": token}, json=body)
            data = response.json()
        except httpx.HTTPError as exc:
            raise ChannelError(f"Zalo OA send failed ({http_error_text(exc)})") from None
        except ValueError:
            raise ChannelError(f"Zalo OA send failed (HTTP {response.status_code})") from None
        if not isinstance(data, dict):
            raise ChannelError(f"Zalo OA send failed (HTTP {response.status_code})")
        try:
            error = int(data.get("error", -1))
        except (TypeError, ValueError):
            error = -1
        return error, str(data.get("message", ""))

    async def _keep_fresh(self) -> None:
        """Renew the access token before it expires, even when nobody writes for a while."""
        assert self._tokens is not None
        while True:
            due = self._tokens.seconds_until_due()
            await asyncio.sleep(KEEPER_IDLE_SECONDS if due is None else max(due, 1.0))
            try:
                await self._tokens.current()
            except ChannelError as exc:
                log.warning("%s", exc)
                await asyncio.sleep(KEEPER_RETRY_SECONDS)
