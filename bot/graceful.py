"""Serving with a drain: a replica behind a load balancer is told to stop (SIGTERM) and keeps
answering, while /healthz says 503, until the balancer has moved traffic away; only then
does uvicorn's own graceful shutdown begin. A second signal stops at once."""

from __future__ import annotations

import logging
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI, drain_seconds: float) -> None:
        super().__init__(config)
        self._app = app
        self._drain_seconds = drain_seconds
        self._timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_seconds <= 0 or self._timer is not None:
            super().handle_exit(sig, frame)
            return
        self._app.state.draining = True
        log.info(
            "draining for %.0f s: /healthz answers 503, questions are still answered",
            self._drain_seconds,
        )
        self._timer = threading.Timer(self._drain_seconds, super().handle_exit, (sig, frame))
        self._timer.daemon = True
        self._timer.start()


def serve(app: FastAPI, drain_seconds: float, **config: object) -> None:
    """Run `app` with uvicorn (keyword arguments as uvicorn.run's) and the drain above."""
    app.state.draining = False
    DrainingServer(uvicorn.Config(app, **config), app, drain_seconds).run()  # type: ignore[arg-type]
