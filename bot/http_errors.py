"""The one place the HTTP surface turns errors into responses.

Every error a client sees has the body {"error": {"code": str, "message": str}}: the named
errors of `bot.errors`, FastAPI's validation errors, Starlette's HTTP errors, and anything
unexpected. Unexpected errors are caught by a middleware inside the security headers (so a
500 carries them too) and outside FastAPI's own handlers, instead of by Starlette's
ServerErrorMiddleware, which answers in plain text. A client that hangs up before its
request was read is worth one line in the log, not a traceback.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import CdsError, Overloaded, RateLimited, RequestError

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Hệ thống đang gặp sự cố, vui lòng thử lại sau."
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The one error shape of the HTTP API."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def install(app: FastAPI) -> None:
    """Answer every error of `app` in the error shape."""
    app.add_exception_handler(RequestError, _request_error)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(Overloaded, _overloaded)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(CdsError, _cds_error)
    app.add_middleware(CatchAll)


async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message)


async def _rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
    response = error_response(429, "rate_limited", exc.message)
    response.headers["Retry-After"] = str(math.ceil(exc.retry_after))
    return response


async def _overloaded(request: Request, exc: Overloaded) -> JSONResponse:
    response = error_response(503, "overloaded", exc.message)
    response.headers["Retry-After"] = str(math.ceil(exc.retry_after))
    return response


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    return error_response(400, "invalid_request", str(first.get("msg", "invalid request")))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail))


async def _cds_error(request: Request, exc: CdsError) -> JSONResponse:
    log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a logged 500 in the error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except ClientDisconnect:
            # Nobody is left to answer; a phone losing signal is not an error of ours.
            log.info("client disconnected before %s %s was read", scope["method"], scope["path"])
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            if not started:
                response = error_response(500, "internal_error", INTERNAL_MESSAGE)
                await response(scope, receive, send)
