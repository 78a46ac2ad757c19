"""Accounts of the console, for administrators: list, add, remove."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .auth import ROLE_NAMES, ROLES, PasswordError, hash_password
from .context import Admin, redirect, render

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
async def users_page(
    current: Admin,
) -> Response:
    return render(
        current,
        "users.html",
        page="users",
        users=current.console.store.console_users(),
        roles=ROLES,
        role_names=ROLE_NAMES,
        now=time.time(),
    )


@router.post("/users")
async def add_user(current: Admin, request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip()[:100]
    role = str(form.get("role", ""))
    password = str(form.get("password", ""))[:1000]
    if not name or role not in ROLES:
        return redirect(current, "/admin/users", "Vui lòng nhập tên và chọn vai trò.")
    try:
        password_hash = await asyncio.to_thread(hash_password, password)
    except PasswordError as exc:
        return redirect(current, "/admin/users", exc.message)
    if current.console.store.add_console_user(name, role, password_hash) is None:
        return redirect(current, "/admin/users", f"Đã có tài khoản “{name}”.")
    return redirect(current, "/admin/users", f"Đã tạo tài khoản “{name}”.")


@router.post("/users/{name}/delete")
async def remove_user(current: Admin, name: str) -> Response:
    if current.user is not None and name == current.user.name:
        return redirect(current, "/admin/users", "Bạn không thể tự xóa tài khoản của mình.")
    if not current.console.store.remove_console_user(name):
        return redirect(current, "/admin/users", f"Không có tài khoản “{name}”.")
    return redirect(current, "/admin/users", f"Đã xóa tài khoản “{name}”.")
