"""What every console page shares: the settings, the running service, the session
signer, the index rebuild and the templates; and the helpers that render a page or
redirect, keeping the session cookie up to date."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData

from ..channels.common import ChatService
from ..keys import key_file_for, session_key
from ..reports.period import PROVINCE_TZ
from ..reports.tables import channel_name
from ..settings import Settings
from ..storage import ConsoleUser, Store
from .auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    ROLE_NAMES,
    CsrfRefused,
    Forbidden,
    NotSignedIn,
    Session,
    Sessions,
    csrf_matches,
    role_allows,
)
from .builds import IndexRebuild

# The menu: (page, address, title, the least role that sees it).
NAV = (
    ("overview", "/admin/", "Tổng quan", "team"),
    ("tickets", "/admin/tickets", "Yêu cầu gặp cán bộ", "team"),
    ("try", "/admin/try", "Thử câu hỏi", "team"),
    ("faq", "/admin/faq", "Hỏi đáp", "editor"),
    ("gaps", "/admin/gaps", "Câu hỏi chưa có lời đáp", "editor"),
    ("rebuild", "/admin/rebuild", "Xây lại chỉ mục", "editor"),
    ("reports", "/admin/reports", "Báo cáo", "editor"),
    ("users", "/admin/users", "Tài khoản", "admin"),
)


def _when(epoch: float | None) -> str:
    if not epoch:
        return "—"
    return dt.datetime.fromtimestamp(epoch, PROVINCE_TZ).strftime("%H:%M %d/%m/%Y")


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",")


@functools.cache
def templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("bot.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = _when
    environment.filters["number"] = _number
    environment.filters["percent"] = _percent
    environment.filters["channel"] = channel_name
    return environment


class Console:
    """The console's shared state, one per app."""

    def __init__(self, settings: Settings, service: Callable[[], ChatService]) -> None:
        self.settings = settings
        self._service = service
        self.rebuild = IndexRebuild(settings, service)

    @property
    def service(self) -> ChatService:
        return self._service()

    @property
    def store(self) -> Store:
        return self._service().store

    @functools.cached_property
    def sessions(self) -> Sessions:
        # Read on first use, not when the app is made: the key file may be created then.
        settings = self.settings
        key = session_key(
            settings.key_file or key_file_for(settings.db_path),
            settings.session_secret.get_secret_value() if settings.session_secret else None,
        )
        return Sessions(key, settings.console_session_hours * 3600)


@dataclass
class Visit:
    """One request: its session and, once signed in, the account."""

    request: Request
    console: Console
    session: Session
    user: ConsoleUser | None

    def may(self, role: str) -> bool:
        return self.user is not None and role_allows(self.user.role, role)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def visit(request: Request) -> Visit:
    """The request's session and account (read once per request)."""
    cached = getattr(request.state, "visit", None)
    if isinstance(cached, Visit):
        return cached
    console = console_of(request)
    session = console.sessions.read(request)
    user = None
    if session.user_id is not None:
        user = console.store.console_user_by_id(session.user_id)
        if user is None:  # the account was removed: sign the session out
            session.user_id = None
            session.changed = True
    found = Visit(request, console, session, user)
    request.state.visit = found
    return found


def page(role: str) -> Callable[[Request], Awaitable[Visit]]:
    """A dependency: the visit, if signed in with at least `role`; POSTs must carry the
    session's CSRF token."""

    async def allowed(request: Request) -> Visit:
        current = visit(request)
        if request.method == "POST":
            await check_csrf(request, current)
        if current.user is None:
            raise NotSignedIn("Vui lòng đăng nhập.")
        if not current.may(role):
            raise Forbidden("Tài khoản của bạn không được mở trang này.")
        return current

    return allowed


async def check_csrf(request: Request, current: Visit) -> FormData | None:
    """Refuse (403) a POST without the session's token, in the X-CSRF-Token header or the
    form's `csrf` field."""
    sent = request.headers.get(CSRF_HEADER)
    form = None
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # kept by the request for the handler
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not csrf_matches(current.session, sent):
        raise CsrfRefused(
            "Biểu mẫu đã hết hạn hoặc không gửi từ trang quản trị. Vui lòng tải lại trang "
            "rồi thử lại."
        )
    return form


def render(current: Visit, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the console, with the menu the account may see and any flash message."""
    session = current.session
    flash, session.flash = session.flash, None
    if flash:
        session.changed = True
    user = current.user
    nav = [item for item in NAV if user is not None and role_allows(user.role, item[3])]
    html = (
        templates()
        .get_template(template)
        .render(
            user=user,
            role_name=ROLE_NAMES.get(user.role, "") if user else "",
            csrf=session.csrf,
            nav=nav,
            flash=flash,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    current.console.sessions.write(current.request, response, session)
    return response


def redirect(current: Visit, url: str, flash: str | None = None) -> RedirectResponse:
    """303 to another page of the console, with a message for it."""
    if flash:
        current.session.flash = flash
        current.session.changed = True
    response = RedirectResponse(url, status_code=303)
    current.console.sessions.write(current.request, response, current.session)
    return response


# The signed-in visit, for a page of each role: `current: Editor` in a route's parameters.
Team = Annotated[Visit, Depends(page("team"))]
Editor = Annotated[Visit, Depends(page("editor"))]
Admin = Annotated[Visit, Depends(page("admin"))]
