"""The FastAPI app: JSON API, web chat and channel webhooks over one ChatService."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import console, http_errors, safejson
from .answer import MAX_QUESTION_CHARS, Answerer
from .body_limit import BodyLimit
from .channels.common import NOT_YOURS, Channel, ChatService
from .channels.web import USER_HEADER, WebReplies
from .conversation import conversation_memory
from .errors import (
    BadRequest,
    CdsError,
    NotFound,
    RateLimited,
    StorageError,
    UnsupportedMediaType,
)
from .limits import Limiter, ip_limiter, user_limiter
from .logs import cap_libraries
from .privacy import retention_cutoff
from .security_headers import SecurityHeaders
from .settings import Settings
from .storage import Purged, Store
from .tickets import Tickets

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(max_length=MAX_QUESTION_CHARS * 2)
    top_k: int | None = Field(None, ge=1, le=20)
    user_id: str | None = Field(None, max_length=200)


# Expired question text is blanked at startup, then every hour.
PURGE_INTERVAL_SECONDS = 3600.0
# Ticket addresses past their reply window are erased, and reminders sent, this often.
TICKET_SWEEP_SECONDS = 300.0
# SQLite (and PostgreSQL's bigint) hold signed 64-bit integers; a larger id is no id of ours.
MAX_ID = 2**63 - 1


class FeedbackRequest(BaseModel):
    conversation_id: int = Field(ge=1, le=MAX_ID)
    helpful: bool
    user_id: str = Field(max_length=200)  # the one the question was asked with


class HandoverRequest(BaseModel):
    question: str | None = Field(None, max_length=MAX_QUESTION_CHARS)
    conversation_id: int | None = Field(None, ge=1, le=MAX_ID)
    user_id: str | None = Field(None, max_length=200)


def anonymous_id() -> str:
    """A caller without a user_id: a new random id, so that nothing links their requests
    (an IP address would, and is personal data)."""
    return f"anon-{secrets.token_hex(16)}"


async def read_json(request: Request, model: type[BaseModel]) -> BaseModel:
    # Only JSON: a web page elsewhere can make its visitors' browsers post forms and
    # text/plain to us without asking, but not application/json (CSRF).
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(
            "unsupported_media_type", "Send the body as JSON, with Content-Type: application/json."
        )
    data = safejson.loads(await request.body() or b"null")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadRequest("invalid_request", f"{where}: {first['msg']}") from None


def load_service(settings: Settings) -> ChatService:
    """The answer core and the store, loaded from settings, with its limits and queues."""
    from .engine import create_answerer

    # The answerer before the store: a bad index fails first.
    return service_for(settings, create_answerer(settings))


def service_for(settings: Settings, answerer: Answerer) -> ChatService:
    """The service one server runs around an answer core: its store, conversation memory,
    limits, queues and tickets, as configured."""
    store = Store.from_settings(settings)
    return ChatService(
        answerer,
        store,
        # Shared with the other servers when the database is (PostgreSQL).
        memory=conversation_memory(store),
        limiter=user_limiter(settings, store),
        queue_size=settings.answer_queue_size,
        alert_queue_size=settings.alert_queue_size,
        handover_cooldown=settings.handover_cooldown_seconds,
        question_tokens=settings.question_max_tokens,
        tickets=Tickets(
            store,
            reply_window_seconds=settings.ticket_reply_window_days * 24 * 3600,
            remind_after_seconds=settings.ticket_remind_hours * 3600,
        ),
    )


async def reload_if_rebuilt(service: ChatService, settings: Settings) -> bool:
    """Serve a newer build of the index, if `build-index` made one; keep the old on failure."""
    from .engine import create_answerer
    from .index import resolve

    current = service.answerer.retriever.index.path
    if resolve(settings.index_dir) == current:
        return False
    embedder = service.answerer.retriever.embedder
    try:
        service.answerer = await asyncio.to_thread(create_answerer, settings, embedder=embedder)
    except CdsError as exc:
        log.error("kept serving %s: the new index cannot be loaded: %s", current, exc)
        return False
    log.info("now serving the index %s", service.answerer.retriever.index.path)
    return True


async def _watch_index(service: ChatService, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.index_reload_seconds)
        try:
            await reload_if_rebuilt(service, settings)
        except Exception:  # the watcher must outlive one odd build; the old index serves
            log.exception("looking for a rebuilt index failed")


async def _stop(app: FastAPI, settings: Settings, own_service: bool) -> None:
    """Stop within half of CDS_SHUTDOWN_SECONDS (uvicorn gave requests the other half):
    team alerts first, then the channels together; unsent replies stay in the inbox."""
    service: ChatService = app.state.service
    share = settings.shutdown_seconds / 4
    await service.close(share)
    stops = [channel.stop(share) for channel in app.state.channels]
    try:
        async with asyncio.timeout(share + 1):
            await asyncio.gather(*stops, return_exceptions=True)
    except TimeoutError:
        log.warning("channels did not stop in time")
    if own_service:
        service.store.close()


async def purge_expired(store: Store, retention_days: int) -> Purged:
    """Blank question text older than the retention period (off the event loop)."""
    purged = await asyncio.to_thread(store.purge, retention_cutoff(retention_days))
    if purged.questions or purged.handovers:
        log.info(
            "purged the text of %d question(s) and %d hand-over request(s) older than %d days",
            purged.questions,
            purged.handovers,
            retention_days,
        )
    return purged


async def _purge_regularly(service: ChatService, settings: Settings) -> None:
    while True:
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
        try:
            await purge_expired(service.store, settings.retention_days)
        except StorageError as exc:  # e.g. the database is busy: try again next time
            log.error("purging expired question text failed: %s", exc)


async def _sweep_tickets(tickets: Tickets) -> None:
    while True:
        try:
            await tickets.sweep()
        except Exception:  # one failed sweep (a busy database…) must not end the next ones
            log.exception("sweeping tickets failed")
        await asyncio.sleep(TICKET_SWEEP_SECONDS)


def create_app(
    settings: Settings | None = None, service: ChatService | None = None, owned: bool = False
) -> FastAPI:
    """The app; the index and model load once, in the lifespan, unless a service is given.
    The app owns a service it loaded, or one given with `owned`: it watches for rebuilt
    indexes and closes its store on shutdown."""
    settings = settings or Settings()
    owned = owned or service is None
    cap_libraries()  # however the app is run, library loggers never see tokens or raw ids

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = service or load_service(settings)
        # Counted with the other servers when the database is shared.
        app.state.ip_limiter = ip_limiter(settings, app.state.service.store)
        watcher = None
        if owned and settings.index_reload_seconds > 0:
            watcher = asyncio.create_task(_watch_index(app.state.service, settings))
        await purge_expired(app.state.service.store, settings.retention_days)
        for channel in app.state.channels:
            await channel.start(app.state.service)
        # Team replies reach citizens through the channels they wrote on.
        tickets: Tickets = app.state.service.tickets
        app.state.web_replies = WebReplies(app.state.service.store)
        for sender in [*app.state.channels, app.state.web_replies]:
            tickets.register(sender)
        purger = asyncio.create_task(_purge_regularly(app.state.service, settings))
        sweeper = asyncio.create_task(_sweep_tickets(tickets))
        yield
        sweeper.cancel()
        purger.cancel()
        tickets.unregister_all()
        if watcher is not None:
            watcher.cancel()
        await _stop(app, settings, own_service=owned)

    docs = settings.api_docs
    app = FastAPI(
        title="cds-bot",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.channels = _channels(settings)
    app.state.ip_limiter = ip_limiter(settings)
    for channel in app.state.channels:
        app.include_router(channel.router)
    app.mount("/admin", console.create_console(settings, lambda: app.state.service))
    # Outside every route: a body over the cap is refused before anything reads it.
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
        larger={console.UPLOAD_PATH: settings.console_upload_bytes},
    )
    http_errors.install(app)
    # Added last, so it wraps everything: error responses, 500s included, get the headers.
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)

    @app.get("/healthz", response_model=None)
    async def healthz(request: Request) -> dict | JSONResponse:
        if getattr(request.app.state, "draining", False):
            # Stopping behind a load balancer: still answering, but send no more here.
            return JSONResponse({"status": "draining"}, status_code=503)
        svc: ChatService = request.app.state.service
        index = svc.answerer.retriever.index
        return {
            "status": "ok",
            "index_loaded": True,
            "chunks": len(index.chunks),
            "sources": len(index.sources),
            "embedder": index.manifest["embedder"],
            "built_at": index.manifest["built_at"],
            "channels": [c.name for c in request.app.state.channels] + ["web", "api"],
        }

    @app.post("/api/ask")
    async def ask(request: Request) -> dict:
        throttle(request)
        body = await read_json(request, AskRequest)
        assert isinstance(body, AskRequest)
        svc: ChatService = request.app.state.service
        reply = await svc.ask("api", body.user_id or anonymous_id(), body.question, shed=True)
        data = reply.answer.to_contract()
        if body.top_k:
            data["sources"] = data["sources"][: body.top_k]
        data["conversation_id"] = reply.conversation_id
        if reply.handover_id:
            data["handover_id"] = reply.handover_id
        return data

    @app.post("/api/feedback")
    async def feedback(request: Request) -> dict:
        throttle(request)
        body = await read_json(request, FeedbackRequest)
        assert isinstance(body, FeedbackRequest)
        svc: ChatService = request.app.state.service
        if not svc.feedback("api", body.user_id, body.conversation_id, body.helpful):
            raise NotFound("conversation_not_found", NOT_YOURS)
        return {"ok": True}

    @app.post("/api/handover")
    async def handover(request: Request) -> dict:
        throttle(request)
        body = await read_json(request, HandoverRequest)
        assert isinstance(body, HandoverRequest)
        svc: ChatService = request.app.state.service
        # Anyone can name any user_id here: the request is about the question sent with it,
        # or a conversation asked with that user_id, never "their last question".
        handover_id = await svc.handover(
            "api",
            body.user_id or anonymous_id(),
            body.question,
            conversation_id=body.conversation_id,
            last_question=False,
        )
        return {"ok": True, "handover_id": handover_id}

    @app.get("/api/replies")
    async def replies(request: Request, after: int = Query(0, ge=0, le=MAX_ID)) -> dict:
        """The team's replies for the caller (their user_id in the X-User-Id header), past
        the id `after` they already have; the web chat polls this while a request is open."""
        throttle(request)
        user_id = request.headers.get(USER_HEADER, "").strip()
        if not user_id or len(user_id) > 200:
            raise BadRequest("invalid_request", f"Send your user_id in the {USER_HEADER} header.")
        web: WebReplies = request.app.state.web_replies
        return web.fetch(user_id, after)

    static = resources.files("bot").joinpath("static")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/chat", include_in_schema=False)
    async def chat() -> FileResponse:
        return FileResponse(str(static.joinpath("chat.html")), media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        allowed = {p.name for p in static.iterdir() if p.is_file()}
        if name not in allowed:
            raise StarletteHTTPException(404, "Not found")
        return FileResponse(str(static.joinpath(name)))

    return app


def throttle(request: Request) -> None:
    """Refuse (429) an API or web chat request over its address's limit, before its body
    is read. The address is held in memory for the minute the limit is about, never stored;
    uvicorn puts a trusted proxy's X-Forwarded-For in `request.client`."""
    limiter: Limiter = request.app.state.ip_limiter
    verdict = limiter.check(request.client.host if request.client else "-")
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after, verdict.first_refusal)


def _channels(settings: Settings) -> list[Channel]:
    """The channel adapters whose credentials are configured."""
    channels: list[Channel] = []
    if "telegram" in settings.channels:
        from .channels.telegram import TelegramChannel

        channels.append(TelegramChannel(settings))
    if "zalo" in settings.channels:
        from .channels.zalo_oa import ZaloOAChannel

        channels.append(ZaloOAChannel(settings))
    if "zalo-bot" in settings.channels:
        from .channels.zalo_bot import ZaloBotChannel

        channels.append(ZaloBotChannel(settings))
    return channels
