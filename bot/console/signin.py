"""Signing in and out."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .auth import Session, SignInRefused, sign_in
from .context import check_csrf, redirect, render, visit

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a page of the console: never another site (an open redirect)."""
    if not target:
        return "/admin/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return "/admin/"
    return target


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    current = visit(request)
    if current.user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(current, "login.html", next=_safe_next(next), error=None, name="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    current = visit(request)
    form = await check_csrf(request, current)
    form = form or await request.form()
    name = str(form.get("name", ""))[:100]
    password = str(form.get("password", ""))[:1000]
    target = _safe_next(str(form.get("next", "")))
    console = current.console
    settings = console.settings
    try:
        user = await asyncio.to_thread(
            sign_in,
            console.store,
            name,
            password,
            max_failed=settings.console_max_failed_sign_ins,
            lock_seconds=settings.console_lockout_minutes * 60,
        )
    except SignInRefused as exc:
        return render(current, "login.html", status=401, next=target, error=exc.message, name=name)
    # A new session (and CSRF token) on sign-in: one planted before cannot be ridden.
    current.session = Session(user_id=user.id)
    current.user = user
    return redirect(current, target)


@router.post("/logout")
async def logout(request: Request) -> Response:
    current = visit(request)
    await check_csrf(request, current)
    current.session = Session(flash="Bạn đã đăng xuất.")
    current.user = None
    return redirect(current, "/admin/login")
