"""Security headers on every response: a Content-Security-Policy whose frame-ancestors says
who may embed the web chat (CDS_FRAME_ANCESTORS), nosniff, a Referrer-Policy, and
X-Frame-Options where it agrees with frame-ancestors.

X-Frame-Options can only say DENY or SAMEORIGIN. Browsers that know CSP ignore it when
frame-ancestors is present, but older ones obey it alone, so it is sent only when it says the
same thing: with the provincial portal in frame-ancestors, it would block the portal.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The web chat loads only its own files; answers are text, never markup (see chat.js).
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
# FastAPI's Swagger UI (only with CDS_API_DOCS=true) loads from a CDN and starts inline.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})


def frame_options(frame_ancestors: str) -> str | None:
    """The X-Frame-Options equal to a frame-ancestors source list, or None if none is."""
    sources = frame_ancestors.split()
    if sources == ["'none'"]:
        return "DENY"
    if sources == ["'self'"]:
        return "SAMEORIGIN"
    return None


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        ancestors = f"; frame-ancestors {frame_ancestors}"
        common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }
        if (option := frame_options(frame_ancestors)) is not None:
            common["X-Frame-Options"] = option
        self._headers = common | {"Content-Security-Policy": _POLICY + ancestors}
        self._docs_headers = common | {"Content-Security-Policy": _DOCS_POLICY + ancestors}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._docs_headers if scope["path"] in DOCS_PATHS else self._headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
