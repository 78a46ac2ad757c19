"""Building, storing and opening the search index.

Layout of an index folder:

    index/
      current -> builds/20261126-054012-3f2a   (symlink, swapped atomically)
      builds/<id>/vectors.faiss                (inner product over L2-normalised vectors)
      builds/<id>/chunks.sqlite                (the chunk store: sources and rows)
      builds/<id>/manifest.json
      embeddings.sqlite                        (embedding cache, shared by all builds)

A build writes a new folder under builds/ and only then points `current` at it, so a crash
or a bad source file leaves the previous index serving. The cache is keyed by embedder
fingerprint, role and text, so a rebuild embeds only new or changed chunks.

A fresh clone has no cache: it starts from the seed shipped in bot/data/ (the vectors of the
bundled knowledge, `make seed`), so a first build costs seconds rather than a minute of
embedding. A build keeps the shipped ranker when it learned from most of the knowledge base's
entries with the same model (bot/ranking.py, SHARED_ENTRIES), and trains its own otherwise or
when asked to (`build-index --retrain-ranker`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .chunking import Chunk, knowledge_chunks
from .embedders import BATCH_SIZE, Embedder, Role
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from .knowledge import Knowledge, file_hash, load_knowledge, source_files
from .ranking import MIN_ENTRY_PHRASINGS

log = logging.getLogger(__name__)
KEY_BYTES = 32  # a cache key is a SHA-256 digest

FORMAT_VERSION = 1
KEEP_BUILDS = 2
LEFTOVER_SECONDS = 600.0
SEED_FILE = "embeddings-seed.npz"  # in bot/data/


@dataclass(frozen=True)
class SourceInfo:
    id: str
    kind: str  # "faq" | "document"
    title: str
    url: str | None
    topic: str | None
    answer: str | None  # the FAQ answer; None for documents
    questions: tuple[str, ...]  # FAQ phrasings
    citation: str  # where the knowledge comes from, as shown to citizens


@dataclass(frozen=True)
class BuildReport:
    chunks: int
    sources: int
    embedded: int
    reused: int
    seconds: float
    size_bytes: int
    path: Path


@dataclass
class Index:
    """An opened index: vectors, rows and sources, ready to search."""

    path: Path
    manifest: dict
    vectors: faiss.Index
    chunks: list[Chunk]
    sources: dict[str, SourceInfo]


# Embedding cache ------------------------------------------------------------------------


class EmbeddingCache:
    """Vectors by (embedder fingerprint, role, text) in SQLite."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )

    @staticmethod
    def key(fingerprint: str, role: Role, text: str) -> str:
        return hashlib.sha256(f"{fingerprint}\0{role}\0{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            batch = list(keys[start : start + 500])
            marks = ",".join("?" * len(batch))
            for key, blob in self._db.execute(
                f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", batch
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)",
                ((key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items),
            )

    def is_empty(self) -> bool:
        return self._db.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone() is None

    def import_seed(self, path: Path) -> int:
        """Add the vectors of a seed file (see write_seed) this cache lacks; returns how many
        the seed holds (0 for a missing or unreadable seed: it only saves time)."""
        try:
            with np.load(path) as seed:
                keys, vectors = seed["keys"], seed["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("embedding seed %s not used: %s", path, exc)
            return 0
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO embeddings (key, vector) VALUES (?, ?)",
                (
                    # NumPy drops a fixed-width bytes value's trailing NULs on reading: one
                    # digest in 256 ends in one, and its vector was re-embedded every time.
                    (bytes(k).ljust(KEY_BYTES, b"\0").hex(), v.astype(np.float32).tobytes())
                    for k, v in zip(keys, vectors, strict=True)
                ),
            )
        return len(keys)

    def write_seed(self, path: Path) -> int:
        """Write every vector of this cache to a seed file; returns how many."""
        rows = self._db.execute("SELECT key, vector FROM embeddings ORDER BY key").fetchall()
        keys = np.array([bytes.fromhex(k) for k, _ in rows], dtype=f"S{KEY_BYTES}")
        vectors = np.stack([np.frombuffer(v, dtype=np.float32) for _, v in rows])
        np.savez_compressed(path, keys=keys, vectors=vectors)
        return len(rows)

    def close(self) -> None:
        self._db.close()


SHIPPED_SEED = Path(__file__).parent / "data" / SEED_FILE


# Building -------------------------------------------------------------------------------

ProgressFactory = Callable[[int, str], Callable[[int], None]]


def _no_progress(total: int, label: str) -> Callable[[int], None]:
    return lambda step: None


def embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: ProgressFactory = _no_progress,
) -> tuple[np.ndarray, int]:
    """Vectors for every chunk, from the cache where possible; returns (vectors, reused)."""
    fingerprint = embedder.fingerprint
    keys = [EmbeddingCache.key(fingerprint, c.role, c.embed_text) for c in chunks]
    cached = cache.get_many(keys)
    missing = sorted(
        {(c.role, c.embed_text) for c, k in zip(chunks, keys, strict=True) if k not in cached}
    )
    reused = sum(1 for k in keys if k in cached)
    advance = progress(len(missing), "Embedding")
    for start in range(0, len(missing), BATCH_SIZE):
        batch = missing[start : start + BATCH_SIZE]
        new: list[tuple[str, np.ndarray]] = []
        for role in ("question", "passage"):
            texts = [text for r, text in batch if r == role]
            if texts:
                vectors = embedder.embed(texts, role)
                new.extend(
                    (EmbeddingCache.key(fingerprint, role, t), v)
                    for t, v in zip(texts, vectors, strict=True)
                )
        cache.put_many(new)
        cached.update(new)
        advance(len(batch))
    vectors = (
        np.stack([cached[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
    )
    return vectors.astype(np.float32), reused


def _sources(knowledge: Knowledge) -> list[SourceInfo]:
    sources = [
        SourceInfo(e.id, "faq", e.questions[0], e.url, e.topic, e.answer, e.questions, e.source)
        for e in knowledge.faqs
    ]
    sources.extend(
        SourceInfo(d.id, "document", d.title, d.url, None, None, (), d.title)
        for d in knowledge.documents
    )
    return sources


def _write_store(path: Path, chunks: Sequence[Chunk], sources: Sequence[SourceInfo]) -> None:
    db = sqlite3.connect(path)
    with db:
        db.executescript(
            """
            CREATE TABLE sources (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, url TEXT,
                topic TEXT, answer TEXT, questions TEXT NOT NULL, citation TEXT NOT NULL
            );
            CREATE TABLE chunks (
                row INTEGER PRIMARY KEY, source_id TEXT NOT NULL REFERENCES sources(id),
                kind TEXT NOT NULL, role TEXT NOT NULL, title TEXT NOT NULL,
                section TEXT NOT NULL, text TEXT NOT NULL
            );
            """
        )
        db.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.id,
                    s.kind,
                    s.title,
                    s.url,
                    s.topic,
                    s.answer,
                    json.dumps(s.questions, ensure_ascii=False),
                    s.citation,
                )
                for s in sources
            ],
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, c.source_id, c.kind, c.role, c.title, c.section, c.text)
                for i, c in enumerate(chunks)
            ],
        )
    db.close()


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def training_digest(manifest: dict) -> str:
    """What a ranker learns from: the knowledge files' contents, the model, the features and
    the way it is trained."""
    from .ranking import FEATURES, TRAINING_VERSION

    parts = [
        *sorted(manifest["source_files"].values()),
        manifest["model_fingerprint"],
        *FEATURES,
        str(TRAINING_VERSION),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _train_ranker(
    build: Path, embedder: Embedder, cache_path: Path, entries: Sequence[str], retrain: bool
) -> None:
    """Train the build's ranker on its own phrasings (bot/ranking.py), embedding the held-out
    phrasings through the cache so that a rebuild re-embeds only what changed; or, unless told
    to `retrain`, take the shipped one when it learned from most of these FAQ `entries`."""
    from .ranking import RANKER_FILE, Ranker, train_for_build
    from .search import Retriever

    digest = training_digest(json.loads((build / "manifest.json").read_text()))
    shipped = Ranker.default()
    if not retrain and (
        shipped.trained_for == digest or shipped.learned_from(entries, embedder.fingerprint)
    ):
        (build / RANKER_FILE).write_text(shipped.to_json())
        log.info("the shipped ranker learned from this knowledge and model: reused")
        return
    retriever = Retriever(open_index(build, embedder), embedder)
    cache = EmbeddingCache(cache_path)
    fingerprint = embedder.fingerprint

    def embed(questions: Sequence[str]) -> np.ndarray:
        texts = [retriever.restorer.restore(q) for q in questions]
        keys = [EmbeddingCache.key(fingerprint, "question", t) for t in texts]
        found = cache.get_many(keys)
        missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in found})
        for start in range(0, len(missing), BATCH_SIZE):
            batch = missing[start : start + BATCH_SIZE]
            new = list(
                zip(
                    (EmbeddingCache.key(fingerprint, "question", t) for t in batch),
                    embedder.embed(batch, "question"),
                    strict=True,
                )
            )
            cache.put_many(new)
            found.update(new)
        return np.stack([found[k] for k in keys])

    try:
        train_for_build(retriever, build, embed, trained_for=digest, model=fingerprint)
    finally:
        cache.close()


def build_index(
    sources: Sequence[Path],
    out: Path,
    embedder: Embedder,
    progress: ProgressFactory = _no_progress,
    retrain_ranker: bool = False,
    seed: Path | None = SHIPPED_SEED,
) -> BuildReport:
    """Load, chunk, embed and write a new index (with its ranker: see _train_ranker), then make
    it current. A new cache starts from the `seed` file's vectors."""
    started = time.perf_counter()
    knowledge = load_knowledge(sources)  # raises before anything is written
    chunks = knowledge_chunks(knowledge)
    out.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(out / "embeddings.sqlite")
    try:
        if seed is not None and seed.is_file() and cache.is_empty():
            cache.import_seed(seed)
        vectors, reused = embed_chunks(chunks, embedder, cache, progress)
    finally:
        cache.close()

    build_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    builds = out / "builds"
    _remove_leftovers(out)
    staging = builds / f".{build_id}.tmp"
    staging.mkdir(parents=True)
    try:
        vector_index = faiss.IndexFlatIP(embedder.dim)
        if len(vectors):
            vector_index.add(vectors)
        faiss.write_index(vector_index, str(staging / "vectors.faiss"))
        source_infos = _sources(knowledge)
        _write_store(staging / "chunks.sqlite", chunks, source_infos)
        manifest: dict = {
            "format_version": FORMAT_VERSION,
            "embedder": embedder.name,
            "dimension": embedder.dim,
            "model_fingerprint": embedder.fingerprint,
            "chunk_count": len(chunks),
            "source_count": len(source_infos),
            "source_files": knowledge.file_hashes,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        entries = [e.id for e in knowledge.faqs if len(e.questions) >= MIN_ENTRY_PHRASINGS]
        _train_ranker(staging, embedder, out / "embeddings.sqlite", entries, retrain_ranker)
        final = builds / build_id
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point_current(out, final)
    _prune_builds(builds, keep=final)
    return BuildReport(
        chunks=len(chunks),
        sources=len(source_infos),
        embedded=len(chunks) - reused,
        reused=reused,
        seconds=time.perf_counter() - started,
        size_bytes=_folder_size(final),
        path=final,
    )


def publish(index_dir: Path, destination: Path) -> Path:
    """Copy the current build into another index folder (another machine's, mounted) and
    make it current there: the copy goes to a hidden folder first, so a replica watching
    `destination` never sees a half-copied build. Returns the published build."""
    build = resolve(index_dir)
    builds = destination / "builds"
    final = builds / build.name
    if not final.is_dir():
        builds.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(destination)
        staging = builds / f".{build.name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            shutil.copytree(build, staging)
            for copied in staging.iterdir():
                with copied.open("rb") as handle:
                    os.fsync(handle.fileno())
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    _point_current(destination, final)
    _prune_builds(builds, keep=final)
    return final


def _remove_leftovers(out: Path) -> None:
    """What a build killed part-way left behind: its staging folder, a link not swapped in.
    Only old ones: writing a build takes seconds, and another build may be writing now."""
    old = time.time() - LEFTOVER_SECONDS
    for leftover in [*(out / "builds").glob(".*.tmp"), *out.glob(".current-*")]:
        try:
            if leftover.lstat().st_mtime >= old:
                continue
            if leftover.is_symlink() or not leftover.is_dir():
                leftover.unlink()
            else:
                shutil.rmtree(leftover, ignore_errors=True)
        except FileNotFoundError:
            pass


def _point_current(out: Path, build: Path) -> None:
    link = out / f".current-{uuid.uuid4().hex[:8]}"
    link.symlink_to(build.relative_to(out))
    os.replace(link, out / "current")  # atomic on POSIX


def _prune_builds(builds: Path, keep: Path) -> None:
    finished = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in finished[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


# Opening --------------------------------------------------------------------------------


def resolve(index_dir: Path) -> Path:
    """The build folder an index folder serves (its `current`, or itself)."""
    current = index_dir / "current"
    if current.exists():
        return current.resolve()
    return index_dir


def read_manifest(index_dir: Path) -> dict | None:
    manifest = resolve(index_dir) / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(index_dir, f"manifest.json: {exc}") from None
    if not isinstance(data, dict):
        raise IndexCorruptError(index_dir, "manifest.json is not a JSON object")
    return data


def is_stale(index_dir: Path, sources: Sequence[Path], embedder_name: str) -> bool:
    """True when the index is missing, or built from other sources or another embedder."""
    manifest = read_manifest(index_dir)
    if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
        return True
    if manifest.get("embedder") != embedder_name:
        return True
    current = {str(p): file_hash(p) for p in source_files(sources)}
    return current != manifest.get("source_files")


def check_compatible(index_dir: Path, embedder_name: str) -> dict:
    """The manifest, or a clear error when the index is missing or built for another embedder."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexMissingError(index_dir)
    built_with = str(manifest.get("embedder"))
    if built_with != embedder_name or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(index_dir, built_with, embedder_name)
    return manifest


def open_index(index_dir: Path, embedder: Embedder) -> Index:
    """Open the index in `index_dir` for searching with `embedder`."""
    manifest = check_compatible(index_dir, embedder.name)
    if (
        manifest.get("model_fingerprint") != embedder.fingerprint
        or manifest["dimension"] != embedder.dim
    ):
        raise IndexMismatchError(
            index_dir, f"{manifest['embedder']} (another version)", embedder.name
        )
    path = resolve(index_dir)
    try:
        vectors = faiss.read_index(str(path / "vectors.faiss"))
    except RuntimeError as exc:  # faiss reports a missing or truncated file this way
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise IndexCorruptError(index_dir, f"vectors.faiss: {first_line}") from None
    try:
        chunks, sources = _read_store(path / "chunks.sqlite")
    except (sqlite3.Error, ValueError, TypeError) as exc:
        raise IndexCorruptError(index_dir, f"chunks.sqlite: {exc}") from None
    if vectors.ntotal != len(chunks) or len(chunks) != manifest.get("chunk_count"):
        raise IndexCorruptError(
            index_dir,
            f"{vectors.ntotal} vectors and {len(chunks)} chunks, "
            f"where the manifest says {manifest.get('chunk_count')}",
        )
    return Index(path=path, manifest=manifest, vectors=vectors, chunks=chunks, sources=sources)


def _read_store(path: Path) -> tuple[list[Chunk], dict[str, SourceInfo]]:
    if not path.is_file():
        raise ValueError("missing")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sources = {
            source_id: SourceInfo(
                source_id, kind, title, url, topic, answer, tuple(json.loads(questions)), citation
            )
            for source_id, kind, title, url, topic, answer, questions, citation in db.execute(
                "SELECT id, kind, title, url, topic, answer, questions, citation FROM sources"
            )
        }
        chunks = [
            Chunk(source_id, kind, role, title, section, text)
            for source_id, kind, role, title, section, text in db.execute(
                "SELECT source_id, kind, role, title, section, text FROM chunks ORDER BY row"
            )
        ]
    finally:
        db.close()
    return chunks, sources
