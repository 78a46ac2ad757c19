"""Who may use the console, at its edge: passwords (argon2), signed session cookies, CSRF
tokens, lock-out after wrong passwords, and the roles that open each page.

A session is a cookie signed with the key from `bot.keys.session_key` (HttpOnly,
SameSite=Lax, Secure behind HTTPS), holding the account's id and the session's CSRF token;
every visitor gets one on the sign-in page, and signing in replaces it (a new token). The
account is read again on every request, so removing it signs it out everywhere. Every POST
carries the token (a form field, or the X-CSRF-Token header of the page's scripts) and is
refused with 403 without it.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import CdsError
from ..storage import ConsoleUser, Store

COOKIE = "cds_console"
PATH = "/admin"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ROLES = ("team", "editor", "admin")  # each may do what the ones before it may
ROLE_NAMES = {"team": "Tổ công nghệ số", "editor": "Biên tập viên", "admin": "Quản trị viên"}
MIN_PASSWORD_CHARS = 10

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that a wrong name takes as long as a
    wrong password and does not tell which names exist."""
    return _hasher.hash(secrets.token_hex(16))


class ConsoleError(CdsError):
    """Base of the console's refusals; `message` is Vietnamese, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotSignedIn(ConsoleError):
    """No valid session: a page redirects to the sign-in page, a script gets 401."""


class Forbidden(ConsoleError):
    """Signed in, but the account's role does not open this page (403)."""


class CsrfRefused(ConsoleError):
    """A form or script POST without the session's CSRF token (403)."""


class SignInRefused(ConsoleError):
    """A wrong name or password, or a locked account."""


class PasswordError(ConsoleError):
    """A new password that is too weak."""


def hash_password(password: str) -> str:
    """The argon2id hash of a password, refusing one too short to be safe."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def role_allows(role: str, needed: str) -> bool:
    """Whether an account of `role` may open what `needed` opens."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def sign_in(
    store: Store, name: str, password: str, *, max_failed: int, lock_seconds: float
) -> ConsoleUser:
    """The account, if the password is right and it is not locked; else SignInRefused."""
    user = store.console_user(name.strip())
    if user is None:
        verify_password(_dummy_hash(), password)
        raise SignInRefused("Tên đăng nhập hoặc mật khẩu chưa đúng.")
    if user.locked_until > time.time():
        minutes = max(1, round((user.locked_until - time.time()) / 60))
        raise SignInRefused(
            f"Tài khoản đang tạm khóa vì nhập sai mật khẩu nhiều lần. "
            f"Vui lòng thử lại sau khoảng {minutes} phút."
        )
    if not verify_password(user.password_hash, password):
        if store.console_sign_in_failed(user.id, max_failed, lock_seconds):
            minutes = max(1, round(lock_seconds / 60))
            raise SignInRefused(
                f"Bạn đã nhập sai mật khẩu {max_failed} lần, tài khoản bị tạm khóa {minutes} phút."
            )
        raise SignInRefused("Tên đăng nhập hoặc mật khẩu chưa đúng.")
    store.console_sign_in_succeeded(user.id)
    return user


@dataclass
class Session:
    """What the session cookie holds."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user_id: int | None = None
    flash: str | None = None  # one message for the next page
    changed: bool = True  # to be written back to the cookie

    def to_data(self) -> dict[str, Any]:
        return {"c": self.csrf, "u": self.user_id, "f": self.flash}


class Sessions:
    """Reads and writes the signed session cookie."""

    def __init__(self, key: bytes, max_age_seconds: float) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="cds-console-session")
        self.max_age = int(max_age_seconds)

    def read(self, request: Request) -> Session:
        """The request's session; a new one when it has none or an invalid or old one."""
        cookie = request.cookies.get(COOKIE)
        if cookie:
            try:
                data = self._serializer.loads(cookie, max_age=self.max_age)
            except BadSignature:  # also SignatureExpired
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                user_id = data.get("u")
                return Session(
                    csrf=data["c"],
                    user_id=user_id if isinstance(user_id, int) else None,
                    flash=data.get("f") if isinstance(data.get("f"), str) else None,
                    changed=False,
                )
        return Session()

    def write(self, request: Request, response: Response, session: Session) -> None:
        """Set the cookie on `response` if the session changed."""
        if not session.changed:
            return
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(session.to_data()),
            max_age=self.max_age,
            path=PATH,
            httponly=True,
            samesite="lax",
            # uvicorn sets the scheme from a trusted proxy's X-Forwarded-Proto.
            secure=request.url.scheme == "https",
        )


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())
