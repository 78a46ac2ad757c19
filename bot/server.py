"""The FastAPI app: JSON API, web chat and channel webhooks over one ChatService."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .answer import MAX_QUESTION_CHARS
from .body_limit import BodyLimit
from .channels.common import OVERLOADED_REPLY, RATE_LIMITED_REPLY, Channel, ChatService
from .errors import BadRequest, CdsError, Overloaded, RateLimited
from .limits import RateLimiter, ip_limiter, user_limiter
from .settings import Settings

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(max_length=MAX_QUESTION_CHARS * 2)
    top_k: int | None = Field(None, ge=1, le=20)
    user_id: str | None = Field(None, max_length=200)


class FeedbackRequest(BaseModel):
    conversation_id: int | None = None
    helpful: bool
    user_id: str | None = Field(None, max_length=200)


class HandoverRequest(BaseModel):
    question: str | None = Field(None, max_length=MAX_QUESTION_CHARS)
    user_id: str | None = Field(None, max_length=200)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The one error shape of the HTTP API."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def read_json(request: Request, model: type[BaseModel]) -> BaseModel:
    # Parsed by hand so that `curl -d '{...}'` (sent as a form type) works too.
    try:
        return model.model_validate(json.loads(await request.body() or b"null"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("invalid_json", "The request body must be a JSON object.") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadRequest("invalid_request", f"{where}: {first['msg']}") from None


def load_service(settings: Settings) -> ChatService:
    """The answer core and the store, loaded from settings, with its limits and queues."""
    from .engine import create_answerer
    from .storage import Store

    answerer = create_answerer(settings)  # before the store: a bad index fails first
    return ChatService(
        answerer,
        Store.from_settings(settings),
        limiter=user_limiter(settings),
        queue_size=settings.answer_queue_size,
        alert_queue_size=settings.alert_queue_size,
        handover_cooldown=settings.handover_cooldown_seconds,
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


def create_app(
    settings: Settings | None = None, service: ChatService | None = None, owned: bool = False
) -> FastAPI:
    """The app; the index and model load once, in the lifespan, unless a service is given.
    The app owns a service it loaded, or one given with `owned`: it watches for rebuilt
    indexes and closes its store on shutdown."""
    settings = settings or Settings()
    owned = owned or service is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = service or load_service(settings)
        watcher = None
        if owned and settings.index_reload_seconds > 0:
            watcher = asyncio.create_task(_watch_index(app.state.service, settings))
        for channel in app.state.channels:
            await channel.start(app.state.service)
        yield
        if watcher is not None:
            watcher.cancel()
        await _stop(app, settings, own_service=owned)

    app = FastAPI(title="cds-bot", lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.channels = _channels(settings)
    app.state.ip_limiter = ip_limiter(settings)
    for channel in app.state.channels:
        app.include_router(channel.router)
    # Outside every route: a body over the cap is refused before anything reads it.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds
    )

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return error_response(400, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "invalid_request", str(exc.errors()[0].get("msg", "invalid")))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return error_response(exc.status_code, code.get(exc.status_code, "error"), str(exc.detail))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        response = error_response(429, "rate_limited", RATE_LIMITED_REPLY)
        response.headers["Retry-After"] = str(math.ceil(exc.retry_after))
        return response

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        response = error_response(503, "overloaded", OVERLOADED_REPLY)
        response.headers["Retry-After"] = str(math.ceil(exc.retry_after))
        return response

    @app.exception_handler(CdsError)
    async def cds_error(request: Request, exc: CdsError) -> JSONResponse:
        log.error("request failed: %s", exc)
        return error_response(
            500, "internal_error", "Hệ thống đang gặp sự cố, vui lòng thử lại sau."
        )

    @app.get("/healthz")
    async def healthz(request: Request) -> dict:
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
        user = body.user_id or client_address(request)
        reply = await svc.ask("api", user, body.question, shed=True)
        data = reply.answer.to_contract()
        if body.top_k:
            data["sources"] = data["sources"][: body.top_k]
        data["conversation_id"] = reply.conversation_id
        return data

    @app.post("/api/feedback")
    async def feedback(request: Request) -> dict:
        throttle(request)
        body = await read_json(request, FeedbackRequest)
        assert isinstance(body, FeedbackRequest)
        svc: ChatService = request.app.state.service
        svc.feedback("api", body.user_id or "-", body.conversation_id, body.helpful)
        return {"ok": True}

    @app.post("/api/handover")
    async def handover(request: Request) -> dict:
        throttle(request)
        body = await read_json(request, HandoverRequest)
        assert isinstance(body, HandoverRequest)
        svc: ChatService = request.app.state.service
        handover_id = await svc.handover("api", body.user_id or "-", body.question)
        return {"ok": True, "handover_id": handover_id}

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


def client_address(request: Request) -> str:
    """The client's IP address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else "-"


def throttle(request: Request) -> None:
    """Refuse (429) an API or web chat request over its address's limit, before its body
    is read."""
    limiter: RateLimiter = request.app.state.ip_limiter
    verdict = limiter.check(client_address(request))
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
