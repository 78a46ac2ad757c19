"""Zalo Official Account (OpenAPI v3): signed webhook in, customer-service message out.

Tokens. The access token lives 25 hours; the refresh token that renews it is single use, each
refresh returns a new pair that exists nowhere else, and Zalo kills the old access token the
moment it issues the new one. So the pair lives in the database. ZALO_ACCESS_TOKEN and
ZALO_REFRESH_TOKEN only seed it: each value is imported once, recognised by its hash, so an
unchanged .env never brings back a spent refresh token, while an operator can still paste a new
one. A pasted access token's age is unknown, so the keeper renews it at start; from then on it
renews an hour before the expiry Zalo states, and a token Zalo rejects (-216 invalid, -220
expired or removed) is renewed once and the message sent again.

Several servers. Servers sharing a PostgreSQL database share the pair: one refresh at a time
across all of them, under the store's exclusive lock (a PostgreSQL advisory lock; a process
lock on SQLite). Whoever takes the lock first reads the pair again from the database, and
refreshes only if it is still due: a server that waited finds the pair another one renewed.
A token Zalo rejects is first looked up in the database the same way, since another server's
refresh kills the access token this one holds.

Before calling Zalo we save a "refresh pending" marker and the current pair as the previous
pair (one transaction); the new pair is saved in one durable transaction (synchronous=FULL)
before it is used, and the old access token is never presented again. Zalo rotates the pair on
its side before it answers, so no client can close the gap between that and our save; it is
kept to one fsync. A crash inside it leaves the marker: the next start warns and retries at
once with the saved refresh token, which works if the request never reached Zalo.

Refusals. Only a refusal of the refresh token itself (-14014 invalid or used, -14020 expired)
drops it, and the log and `python -m bot zalo-token status` then say to re-authorise the OA.
Anything else (a wrong app id or secret, a rate limit, another 4xx or 5xx, no answer at all)
keeps it, records what to fix and tries again five minutes later, never once per message.

Events. Only signed events naming ZALO_APP_ID count. Each message is answered once (by msg_id,
or by the hash of its bytes without one), and only while it is fresh: Zalo retries for an hour,
so an event older than ZALO_EVENT_MAX_AGE_SECONDS is a replay, acknowledged but not answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from .. import safejson
from ..errors import BadRequest, ChannelError, PlatformRefused
from ..inbox import Inbox, Outcome
from ..settings import Settings
from ..storage import Delivery, Store
from .common import ChatService, split_message
from .retry import RetryingTransport
from .zalo_common import STOP_GRACE_SECONDS, TEXT_LIMIT, http_error_text, reply_text

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
# The file Zalo's domain verification hands out, as it hands it out: the code in a meta tag.
VERIFICATION_PAGE = """<!DOCTYPE html>
<html lang="en">

<head>
    <meta property="zalo-platform-site-verification" content="{code}" />
</head>

<body>
There Is No Limit To What You Can Accomplish Using Zalo!
</body>

</html>
"""
# Send-API errors meaning the access token is dead, from Zalo's OA error table
# (developers.zalo.me/docs/official-account/phu-luc/ma-loi): -216 "Access token is invalid",
# -220 "access_token is expired or removed". -124 is how Zalo's ZNS API says it; tolerated.
TOKEN_ERRORS = frozenset({-216, -220, -124})
# Refusals of oauth.zaloapp.com/v4/oa/access_token. Zalo answers them with HTTP 200 and
# {"error", "error_name", "error_description", "error_reason", "ref_doc"}. Its published error
# table (phu-luc/ma-loi) covers only the OpenAPI, so these codes come from open-source Zalo
# clients that met them live: -14014 "Invalid refresh token" (unknown or already used) and
# -14020 (expired) in their constants, -14002 "Invalid appId" and -14004 (wrong secret key) in
# the answers they recorded. Any code not listed here keeps the refresh token.
REFRESH_TOKEN_REFUSALS = {-14014: "invalid or already used", -14020: "expired"}
SETTING_REFUSALS = {
    -14002: "ZALO_APP_ID is not the id of the app the OA is authorised for",
    -14004: (
        "ZALO_APP_SECRET is wrong: use the app's secret key from Zalo for Developers "
        "(not the OA secret key)"
    ),
}
REPLY_WINDOW_SECONDS = 7 * 24 * 3600.0
RATE_LIMITED = -32  # "Your application reached limit call api", on every Zalo API
# Replies Zalo will not take, from the same table; retrying them only spends calls.
WINDOW_ERRORS = frozenset(
    {
        -230,  # "User has not interacted with the OA in the past 7 days"
        -232,  # "User has not interacted with the OA, or the last interaction has expired"
    }
)
QUOTA_ERRORS = frozenset({-211, -218})  # "Out of quota", "Out of quota receive"
# Pauses before sending again after -32. Zalo's limit is per minute, so a minute clears it.
RATE_LIMIT_DELAYS = (15.0, 30.0, 60.0)
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
# Zalo's clock and ours may differ by a little; an event further ahead than this is refused.
EVENT_FUTURE_SKEW_SECONDS = 600
KEEPER_IDLE_SECONDS = 3600.0
REFRESH_RETRY_SECONDS = 300.0  # after a failed refresh: no hot loop, and soon enough
# Zalo documents the access token's life as 25 hours (expires_in "90000"); assumed if unsaid.
DEFAULT_LIFETIME_SECONDS = 90000

# Names in the store's tokens table.
ACCESS = "zalo_oa.access_token"
REFRESH = "zalo_oa.refresh_token"
EXPIRES_AT = "zalo_oa.expires_at"  # epoch seconds; "0" when unknown
REFRESH_AFTER = "zalo_oa.refresh_after"  # epoch seconds; "0" when the expiry is unknown
PENDING = "zalo_oa.refresh_pending"  # epoch seconds a refresh started; "" when none
RENEWED_AT = "zalo_oa.renewed_at"  # epoch seconds of the last successful refresh
LAST_ERROR = "zalo_oa.last_error"  # what the last failed refresh said to fix; "" after success
LAST_ERROR_AT = "zalo_oa.last_error_at"
PREVIOUS_ACCESS = "zalo_oa.previous_access_token"
PREVIOUS_REFRESH = "zalo_oa.previous_refresh_token"
SEED = ".seed"  # suffix: hash of the settings value last imported into a slot
REFRESH_LOCK = "zalo_oa.refresh"  # held by the one server refreshing the pair


def signature_matches(app_id: str, secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is Zalo's sha256(app_id + body + timestamp + OA secret key)."""
    try:
        payload = safejson.loads(body)
    except BadRequest:
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


def age_problem(timestamp: Any, max_age: float, now: float | None = None) -> str | None:
    """Why an event's `timestamp` (epoch milliseconds) is outside the window we answer."""
    try:
        age = (time.time() if now is None else now) - int(str(timestamp).strip()) / 1000
    except (ValueError, OverflowError):
        return "its timestamp is not a time"
    if age > max_age:
        return (
            f"sent {age / 3600:.1f} h ago, longer than ZALO_EVENT_MAX_AGE_SECONDS "
            f"({max_age:.0f} s) allows: a replay, or a retry Zalo gave up on"
        )
    if age < -EVENT_FUTURE_SKEW_SECONDS:
        return f"dated {-age / 60:.0f} min ahead of this server's clock (is the clock right?)"
    return None


def _is_empty_object(body: bytes) -> bool:
    try:
        return bool(safejson.loads(body) == {})
    except BadRequest:
        return False


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _seconds(value: Any) -> int:
    try:
        return max(int(str(value).strip()), 0)
    except ValueError:
        return 0


def _epoch(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def _clock(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")


class OATokens:
    """The OA token pair: kept in the database, seeded from settings, refreshed one at a time."""

    def __init__(self, settings: Settings, store: Store, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._store = store
        self._client = client
        self._lock = asyncio.Lock()
        self._import_seeds()
        self._reload()
        self._retry_at = 0.0  # no refresh before this (epoch seconds) after one failed
        self._last_error = ""
        if self._pending and store.shared:
            # Another server may be refreshing right now: the lock tells, at the first send.
            log.info("A Zalo OA token refresh is pending; it is finished or retried shortly.")
        elif self._pending:
            log.warning(
                "A Zalo OA token refresh did not finish (the bot stopped during it). It is "
                "retried now with the saved refresh token; if Zalo refuses it, re-authorise "
                "the OA and set a new ZALO_REFRESH_TOKEN."
            )
        elif self._access and not self._refresh:
            log.warning(
                "No Zalo OA refresh token is saved: the access token cannot be renewed and "
                "stops working within 25 hours. Set ZALO_REFRESH_TOKEN."
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
                # The expiry of a pasted token is unknown: renew it at once.
                updates[REFRESH_AFTER] = updates[EXPIRES_AT] = "0"
            else:
                updates[PENDING] = ""  # a fresh refresh token settles any interrupted refresh
        if updates:
            self._store.set_tokens(updates)
            log.info("imported new Zalo OA token(s) from the settings")

    def _reload(self) -> None:
        """The pair as the database holds it now: another server may have renewed it."""
        store = self._store
        self._access = store.get_token(ACCESS) or ""
        self._refresh = store.get_token(REFRESH) or ""
        self._refresh_after = _epoch(store.get_token(REFRESH_AFTER))
        self._pending = bool(store.get_token(PENDING))

    def _due_at(self) -> float | None:
        """When the access token should be renewed; None when it cannot be (no refresh token)."""
        if not self._refresh:
            return None
        if not self._access or self._pending or not self._refresh_after:
            return 0.0  # nothing to send with, an unfinished refresh, or a token of unknown age
        return self._refresh_after

    def _renewal_due(self) -> bool:
        due_at = self._due_at()
        return due_at is not None and time.time() >= max(due_at, self._retry_at)

    def seconds_until_due(self) -> float | None:
        """Seconds until the next renewal (0: now); None when none can be planned."""
        due_at = self._due_at()
        if due_at is None:
            return None
        return max(max(due_at, self._retry_at) - time.time(), 0.0)

    async def current(self) -> str:
        """An access token, renewed first when it is due; the old one while renewal fails."""
        if self._renewal_due():
            async with self._lock, self._store.exclusive(REFRESH_LOCK):
                self._reload()
                if self._renewal_due():  # another task or server may have renewed it
                    try:
                        await self._renew_locked()
                    except ChannelError as exc:
                        if not self._access:
                            raise
                        # Zalo has not said this token is dead: it may well serve until it is.
                        log.warning("%s (sending with the current access token meanwhile)", exc)
        if not self._access:
            raise ChannelError(self._unusable())
        return self._access

    async def renew(self, rejected: str) -> str:
        """A new access token after Zalo rejected `rejected`; refreshes at most once for it."""
        async with self._lock, self._store.exclusive(REFRESH_LOCK):
            self._reload()  # another server's refresh may be what killed it
            if self._access == rejected:
                # Zalo says it is dead: never present it again, even if renewing fails.
                self._store.set_tokens({ACCESS: ""})
                self._access = ""
                if time.time() >= self._retry_at:
                    await self._renew_locked()
        if not self._access:
            raise ChannelError(self._unusable())
        return self._access

    def _unusable(self) -> str:
        if not self._refresh:
            return (
                "No usable Zalo OA access token and no refresh token to get one: re-authorise "
                "the OA and set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN, then restart."
            )
        return (
            f"No usable Zalo OA access token: the last renewal failed ({self._last_error}); "
            f"retrying at {_clock(self._retry_at)}."
        )

    async def _renew_locked(self) -> None:
        try:
            await self._refresh_pair()
        except ChannelError as exc:
            now = time.time()
            self._retry_at = now + REFRESH_RETRY_SECONDS
            self._last_error = str(exc)
            self._store.set_tokens({LAST_ERROR: self._last_error, LAST_ERROR_AT: str(now)})
            raise

    async def _refresh_pair(self) -> None:
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
        self._pending = True
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
        except httpx.HTTPError as exc:
            # Whether Zalo used the token is unknown: keep it and the marker for the next try.
            raise ChannelError(
                f"Zalo OA token refresh got no answer ({http_error_text(exc)}); the refresh "
                "token is kept for the next try."
            ) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        access = data.get("access_token") if isinstance(data, dict) else None
        refresh = data.get("refresh_token") if isinstance(data, dict) else None
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            self._refused(data, response.status_code)
        now = time.time()
        lifetime = _seconds(data.get("expires_in")) or DEFAULT_LIFETIME_SECONDS
        # Renew well before expiry: an hour early, or halfway through a short lifetime.
        refresh_after = now + lifetime - min(3600, lifetime // 2)
        self._store.set_tokens(
            {
                ACCESS: access,
                REFRESH: refresh,
                EXPIRES_AT: str(now + lifetime),
                REFRESH_AFTER: str(refresh_after),
                PENDING: "",
                RENEWED_AT: str(now),
                LAST_ERROR: "",
                LAST_ERROR_AT: "",
            }
        )
        self._access, self._refresh, self._refresh_after = access, refresh, refresh_after
        self._pending, self._retry_at, self._last_error = False, 0.0, ""
        log.info("Zalo OA tokens renewed; next renewal in %.1f h", (refresh_after - now) / 3600)

    def _refused(self, data: Any, status: int) -> NoReturn:
        """Raise what Zalo's refusal means; drop the refresh token only if it is the cause."""
        code = _error_code(data)
        detail = f"error {code}: {self._detail(data)}" if code is not None else f"HTTP {status}"
        if code in REFRESH_TOKEN_REFUSALS:
            # Spent, revoked or expired: presenting it again can only fail (kept as previous).
            self._store.set_tokens({REFRESH: "", PENDING: ""})
            self._refresh, self._pending = "", False
            raise ChannelError(
                f"Zalo OA refused the refresh token as {REFRESH_TOKEN_REFUSALS[code]} ({detail}). "
                "Re-authorise the OA and set a new ZALO_REFRESH_TOKEN, then restart."
            )
        if code in SETTING_REFUSALS or code == RATE_LIMITED or status == 429:
            # A verdict that did not use the refresh token: the refresh is settled, not pending.
            self._store.set_tokens({PENDING: ""})
            self._pending = False
        if code in SETTING_REFUSALS:
            fix = f"{SETTING_REFUSALS[code]}. Correct it and restart"
        elif code == RATE_LIMITED or status == 429:
            fix = "Zalo's rate limit; nothing to fix"
        elif code is None and (status >= 500 or not isinstance(data, dict)):
            fix = "no verdict from Zalo"
        else:
            fix = "check ZALO_APP_ID, ZALO_APP_SECRET and ZALO_OAUTH_BASE_URL"
        raise ChannelError(
            f"Zalo OA token refresh failed ({detail}): {fix}. The refresh token is kept and "
            f"the refresh retried in {REFRESH_RETRY_SECONDS / 60:.0f} min."
        )

    def _detail(self, data: dict) -> str:
        """Zalo's words for a refusal, never echoing a secret we sent."""
        parts: list[str] = []
        for key in ("error_name", "error_description", "message"):
            value = str(data.get(key) or "").strip()
            if value and value not in parts:
                parts.append(value)
        text = "; ".join(parts)
        secrets = [self._refresh, self._access]
        if self._settings.zalo_app_secret is not None:
            secrets.append(self._settings.zalo_app_secret.get_secret_value())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "…")
        return text[:200] or "no description"


def _error_code(data: Any) -> int | None:
    if not isinstance(data, dict) or "error" not in data:
        return None
    try:
        return int(data["error"])
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class TokenStatus:
    """What the tokens table says about the OA's tokens, for people (never their values)."""

    access_saved: bool
    refresh_saved: bool
    expires_at: float  # 0: unknown
    refresh_after: float  # 0: unknown, so due at once
    pending_since: float  # 0: no refresh pending
    renewed_at: float  # 0: never
    last_error: str
    last_error_at: float
    new_refresh_seed: bool  # the settings hold a refresh token not imported yet

    @classmethod
    def read(cls, settings: Settings, store: Store) -> TokenStatus:
        secret = settings.zalo_refresh_token
        seed = secret.get_secret_value() if secret is not None else ""
        new_seed = bool(seed) and store.get_token(REFRESH + SEED) != _fingerprint(seed)
        return cls(
            access_saved=bool(store.get_token(ACCESS)),
            refresh_saved=bool(store.get_token(REFRESH)),
            expires_at=_epoch(store.get_token(EXPIRES_AT)),
            refresh_after=_epoch(store.get_token(REFRESH_AFTER)),
            pending_since=_epoch(store.get_token(PENDING)),
            renewed_at=_epoch(store.get_token(RENEWED_AT)),
            last_error=store.get_token(LAST_ERROR) or "",
            last_error_at=_epoch(store.get_token(LAST_ERROR_AT)),
            new_refresh_seed=new_seed,
        )

    @property
    def needs_attention(self) -> bool:
        """Whether a person has something to fix (or to watch) for replies to keep going."""
        return not self.refresh_saved or bool(self.last_error)

    def lines(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        if not self.access_saved:
            access = "not saved"
        elif self.expires_at:
            ended = " (expired)" if self.expires_at <= now else ""
            access = f"saved, expires {_clock(self.expires_at)}{ended}"
        else:
            access = "saved, expiry unknown (pasted from the settings)"
        if not self.refresh_saved:
            refresh = (
                "not saved yet: the bot imports the new ZALO_REFRESH_TOKEN when it starts"
                if self.new_refresh_seed
                else "not saved: re-authorise the OA and set ZALO_REFRESH_TOKEN"
            )
            renewal = "none possible without a refresh token"
        else:
            refresh = "saved"
            if self.pending_since or not self.refresh_after or not self.access_saved:
                renewal = "due now: the running bot renews at once (then every 5 min until done)"
            else:
                late = " (overdue: is the bot running?)" if self.refresh_after <= now else ""
                renewal = f"{_clock(self.refresh_after)}{late}"
        pending = (
            f"yes, since {_clock(self.pending_since)} (retried with the saved refresh token)"
            if self.pending_since
            else "no"
        )
        error = f"{_clock(self.last_error_at)}: {self.last_error}" if self.last_error else "none"
        lines = [
            "Zalo OA tokens",
            f"  access token:    {access}",
            f"  refresh token:   {refresh}",
            f"  next renewal:    {renewal}",
            f"  refresh pending: {pending}",
            f"  last renewal:    {_clock(self.renewed_at) if self.renewed_at else 'never'}",
            f"  last error:      {error}",
        ]
        if self.new_refresh_seed and self.refresh_saved:
            lines.append(
                "  note: ZALO_REFRESH_TOKEN in the settings is new; the bot imports it when "
                "it starts."
            )
        return lines


def _refusal_text(error: int, detail: str) -> str:
    """Why a message was not delivered, in words an operator can act on."""
    said = f"error {error}: {detail}"
    if error in WINDOW_ERRORS:
        return (
            f"the user has not written to the OA recently enough for Zalo to allow a reply "
            f"(7 days) ({said}); not retried"
        )
    if error in QUOTA_ERRORS:
        return f"the OA's Zalo message quota is used up ({said}); not retried"
    if error == RATE_LIMITED:
        pauses = len(RATE_LIMIT_DELAYS)
        return f"Zalo's rate limit did not lift after {pauses} pauses ({said}); given up"
    return f"Zalo OA refused the message ({said})"


class ZaloOAChannel:
    """Zalo Official Account adapter: POST /webhook/zalo, replies through message/cs."""

    name = "zalo"
    # Zalo takes customer-service messages only within 7 days of the user's last message.
    reply_window_seconds: float | None = REPLY_WINDOW_SECONDS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.router = APIRouter()
        self.router.add_api_route(
            "/webhook/zalo", self.webhook, methods=["POST"], include_in_schema=False
        )
        if settings.zalo_site_verification:
            # Zalo proves we own the webhook's domain by fetching this file from the site root.
            self.router.add_api_route(
                f"/zalo_verifier{settings.zalo_site_verification}.html",
                self.verification_file,
                methods=["GET"],
                include_in_schema=False,
            )
        self._service: ChatService | None = None
        self._client: httpx.AsyncClient | None = None
        self._tokens: OATokens | None = None
        self._keeper: asyncio.Task[None] | None = None
        self.inbox: Inbox | None = None
        self._paused_until = 0.0  # monotonic; no message/cs call before it (rate limit)

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
        if header is None and _is_empty_object(body):
            return {"ok": True}  # Zalo's unsigned check of a new webhook URL: it wants a 200
        if secret is None or not signature_matches(app_id, secret.get_secret_value(), body, header):
            raise HTTPException(401, "Invalid Zalo event signature.")
        if self._service is None:
            raise HTTPException(503, "The Zalo channel is starting.")
        event = safejson.loads(body)
        if str(event.get("app_id") or "") != app_id:
            raise HTTPException(403, "The event is for another Zalo app.")
        name = str(event.get("event_name"))  # any JSON value may come; only names match
        stale = age_problem(event.get("timestamp"), self.settings.zalo_event_max_age_seconds)
        if stale:
            # Acknowledged all the same: an error would only make Zalo send it again.
            log.warning("Zalo OA event %.40r not answered: %s", name, stale)
            return {"ok": True}
        if name != "user_send_text" and name not in NON_TEXT_EVENTS:
            return {"ok": True}  # follows, seen receipts and the like need no reply
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        user_id = str(sender.get("id") or "")
        msg_id = str(message.get("msg_id") or "")
        if not user_id:
            return {"ok": True}
        text = str(message.get("text") or "") if name == "user_send_text" else None
        # Zalo retries events it thinks were not delivered: the inbox answers each message
        # once. One without msg_id is known by its exact bytes, which a retry repeats.
        assert self.inbox is not None
        self.inbox.accept(
            msg_id or "sha256:" + hashlib.sha256(body).hexdigest(),
            self._service.store.user_hash(self.name, user_id),
            json.dumps({"user_id": user_id}),
            text,
        )
        return {"ok": True}

    async def verification_file(self) -> HTMLResponse:
        """The domain verification file Zalo asked for (ZALO_SITE_VERIFICATION)."""
        return HTMLResponse(VERIFICATION_PAGE.format(code=self.settings.zalo_site_verification))

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
        for delay in (*RATE_LIMIT_DELAYS, None):
            pause = self._paused_until - time.monotonic()
            if pause > 0:  # every reply waits out a rate limit, not only the one that met it
                await asyncio.sleep(pause)
            error, detail = await self._send_with_live_token(user_id, text)
            if error == 0:
                return
            if error != RATE_LIMITED or delay is None:
                raise PlatformRefused(_refusal_text(error, detail))
            self._paused_until = max(self._paused_until, time.monotonic() + delay)
            assert self._service is not None
            log.warning(
                "Zalo OA rate limit reached (error -32): the reply to user=%s is sent again "
                "in %.0f s",
                self._service.store.user_hash(self.name, user_id),
                delay,
            )

    async def _send_with_live_token(self, user_id: str, text: str) -> tuple[int, str]:
        """Send once; if Zalo says the token is dead, renew it once and send once more."""
        assert self._tokens is not None
        token = await self._tokens.current()
        error, detail = await self._post_message(token, user_id, text)
        if error in TOKEN_ERRORS:
            token = await self._tokens.renew(token)
            error, detail = await self._post_message(token, user_id, text)
        return error, detail

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
        """Renew the access token when it is due (at once for a pasted one), even when
        nobody writes for a while."""
        assert self._tokens is not None
        while True:
            try:
                await self._tokens.current()
            except ChannelError as exc:
                log.warning("%s", exc)
            wait = self._tokens.seconds_until_due()
            if wait is None:  # no refresh token: nothing to plan; look again in an hour
                wait = KEEPER_IDLE_SECONDS
            # Wake at least hourly: one long sleep would not notice the clock jumping.
            await asyncio.sleep(min(max(wait, 1.0), KEEPER_IDLE_SECONDS))
