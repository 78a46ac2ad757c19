"""A cap on request bodies, as ASGI middleware, outside every route.

Bytes are counted as they arrive, so a body over the limit is refused (413) before anything
parses it or checks a webhook's signature over it, whatever its Content-Length claims; and a
client that dribbles its body is cut off (408) instead of holding a connection and its
buffer for as long as it likes. Both answer in the API's error shape.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _BodyRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BodyLimit:
    """Refuse bodies over `max_bytes` (413) or slower than `timeout` seconds in all (408);
    `larger` raises the cap for a few exact paths (the console's spreadsheet upload)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.larger = dict(larger or {})

    def _too_large(self, limit: int) -> _BodyRefused:
        return _BodyRefused(
            413,
            "payload_too_large",
            f"The request body is larger than {limit} bytes.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, self._too_large(limit))  # before a byte of it is read
            return
        deadline = asyncio.get_running_loop().time() + self.timeout
        received = 0
        body_done = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # later calls only wait for the client to hang up: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyRefused(
                    408,
                    "request_timeout",
                    f"The request body did not arrive within {self.timeout:g} seconds.",
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise self._too_large(limit)
                body_done = not message.get("more_body", False)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyRefused as refused:
            if started:
                raise
            await _refuse(send, refused)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, refused: _BodyRefused) -> None:
    body = json.dumps({"error": {"code": refused.code, "message": refused.message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
