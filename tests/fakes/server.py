"""A FastAPI app served for real over HTTP, so that real clients (httpx, python-telegram-bot,
Chromium) talk to it exactly as they would to a remote server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Literal, Self

import uvicorn
from fastapi import FastAPI, Request


class LocalServer:
    """A FastAPI app served by uvicorn on 127.0.0.1 (a free port) in a background thread.

    `lifespan="on"` runs the app's startup and shutdown, as the real app needs; the fakes have
    none. Use as a context manager, or call `start()` and `stop()`.
    """

    def __init__(self, app: FastAPI, lifespan: Literal["on", "off"] = "off") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Serve, returning once uvicorn has started (failing after `timeout` seconds)."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ServedFake:
    """A local stand-in for a platform's API: serves its `app()` from start() until stop(),
    or while inside a `with` block."""

    server: LocalServer | None = None

    def app(self) -> FastAPI:
        raise NotImplementedError

    @property
    def url(self) -> str:
        assert self.server is not None, "start() the fake first"
        return self.server.url

    def start(self) -> Self:
        self.server = LocalServer(self.app())
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass
class Gate:
    """Holds a platform's calls of chosen methods until released, as a platform that is slow
    to answer. A held call whose client hangs up (the bot was killed) is abandoned: the
    platform never got to act on it, and it is not recorded."""

    methods: set[str] = field(default_factory=set)
    waiting: int = 0  # calls held right now
    abandoned: int = 0

    def hold(self, *methods: str) -> None:
        self.methods.update(methods)

    def release(self) -> None:
        self.methods.clear()

    async def passes(self, method: str, request: Request) -> bool:
        """Wait while `method` is held; False if the caller hung up meanwhile."""
        if method not in self.methods:
            return True
        self.waiting += 1
        try:
            while method in self.methods:
                if await request.is_disconnected():
                    self.abandoned += 1
                    return False
                await asyncio.sleep(0.02)
            return True
        finally:
            self.waiting -= 1
