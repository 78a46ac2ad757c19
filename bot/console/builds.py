"""Rebuilding the index from the console: one build at a time, in a background thread,
with its progress readable while it runs; on success the running server switches to the
new build (questions in flight finish on the old one), on failure the old one keeps serving.

The build runs in a thread rather than the app's event loop because it is seconds of CPU
(embedding changed entries, training the ranker). It uses the running embedder, whose lock
lets the questions of citizens take turns with it. A build writes into a staging folder and
swaps the `current` link atomically, so a process stopping mid-build leaves the old index.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from ..channels.common import ChatService
from ..errors import CdsError
from ..settings import Settings

log = logging.getLogger(__name__)

STAGES = {
    "reading": "Đang đọc kho tri thức…",
    "embedding": "Đang tính vector cho nội dung mới…",
    "writing": "Đang huấn luyện bộ xếp hạng và ghi chỉ mục…",
    "loading": "Đang chuyển bot sang chỉ mục mới…",
    "done": "Đã xây xong. Bot đang trả lời bằng chỉ mục mới.",
    "failed": "Không xây được chỉ mục. Bot vẫn trả lời bằng chỉ mục cũ.",
}


@dataclass(frozen=True)
class BuildStatus:
    """Where the latest build is; `state` idle, running, done or failed."""

    state: str = "idle"
    stage: str = ""
    done: int = 0
    total: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    chunks: int | None = None
    seconds: float | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["message"] = STAGES.get(self.stage, "")
        return data


class IndexRebuild:
    """The console's index builds: at most one at a time."""

    def __init__(self, settings: Settings, service: Callable[[], ChatService]) -> None:
        self._settings = settings
        self._service = service
        self._lock = threading.Lock()
        self._status = BuildStatus()

    @property
    def status(self) -> BuildStatus:
        with self._lock:
            return self._status

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]

    def start(self) -> bool:
        """Start a build in the background; False if one is running already."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._status.running:
                return False
            self._status = BuildStatus("running", "reading", started_at=time.time())
        thread = threading.Thread(target=self._run, args=(loop,), name="index-build", daemon=True)
        thread.start()
        return True

    def _progress(self, total: int, label: str) -> Callable[[int], None]:
        self._set(stage="embedding", done=0, total=total)

        def advance(step: int) -> None:
            with self._lock:
                done = self._status.done + step
                stage = "embedding" if done < total else "writing"
                self._status = replace(self._status, done=done, stage=stage)

        if total == 0:
            self._set(stage="writing")
        return advance

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        from ..index import build_index
        from ..server import reload_if_rebuilt

        settings = self._settings
        service = self._service()
        try:
            report = build_index(
                [settings.knowledge_dir],
                settings.index_dir,
                service.answerer.retriever.embedder,
                progress=self._progress,
            )
            self._set(stage="loading", chunks=report.chunks)
            future = asyncio.run_coroutine_threadsafe(reload_if_rebuilt(service, settings), loop)
            future.result()
            if service.answerer.retriever.index.path != report.path:
                raise CdsError(
                    f"chỉ mục mới ({report.path.name}) đã xây nhưng không nạp được; "
                    "xem nhật ký của máy chủ"
                )
        except Exception as exc:  # shown on the page; the old index keeps serving
            if isinstance(exc, CdsError):  # a bad knowledge file: its message says it all
                log.error("the console's index build failed: %s", exc)
            else:
                log.exception("the console's index build failed")
            self._set(state="failed", stage="failed", finished_at=time.time(), error=_describe(exc))
            return
        log.info("the console rebuilt the index: %s", report.path)
        self._set(state="done", stage="done", finished_at=time.time(), seconds=report.seconds)


def _describe(exc: Exception) -> str:
    if isinstance(exc, CdsError):
        return str(exc)
    return f"lỗi không mong đợi ({type(exc).__name__}: {exc})"
