"""The console as an app of its own, mounted by the main app at /admin."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import http_errors
from ..channels.common import ChatService
from ..settings import Settings
from . import faq, gaps, overview, rebuild, reports, signin, tickets, trying, users
from .auth import ConsoleError, CsrfRefused, Forbidden, NotSignedIn
from .context import Console, redirect, render, visit

STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def create_console(settings: Settings, service: Callable[[], ChatService]) -> FastAPI:
    """The editors' console; `service` gives the running ChatService (the app's lifespan
    loads it after this is made)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = Console(settings, service)
    http_errors.install(app)  # JSON errors in the API's shape, e.g. for a missing route
    app.add_exception_handler(ConsoleError, _refused)  # type: ignore[arg-type]
    for module in (signin, overview, tickets, trying, faq, gaps, rebuild, reports, users):
        app.include_router(module.router)
    static = resources.files("bot.console").joinpath("static")

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        allowed = {p.name for p in static.iterdir() if p.is_file()}
        if name not in allowed:
            raise StarletteHTTPException(404, "Not found")
        suffix = "." + name.rsplit(".", 1)[-1]
        return FileResponse(str(static.joinpath(name)), media_type=STATIC_TYPES.get(suffix))

    return app


def wants_json(request: Request) -> bool:
    """A script's fetch call, not a page the browser navigates to."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def _refused(request: Request, exc: ConsoleError) -> Response:
    current = visit(request)
    if isinstance(exc, NotSignedIn):
        if wants_json(request):
            return http_errors.error_response(401, "not_signed_in", exc.message)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(current, f"/admin/login?next={quote(target)}")
    status = 403 if isinstance(exc, CsrfRefused | Forbidden) else 400
    if wants_json(request):
        code = "csrf_refused" if isinstance(exc, CsrfRefused) else "forbidden"
        return http_errors.error_response(status, code, exc.message)
    return render(current, "error.html", status=status, message=exc.message)
