"""Assembling the answer core from settings: embedder, index, retriever, calibration."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import faiss
from threadpoolctl import threadpool_limits

from .answer import Answerer
from .embedders import Embedder, make_embedder
from .index import check_compatible, open_index
from .search import DEFAULT_DENSE_WEIGHT, Mode, Retriever
from .settings import Settings

CALIBRATION_FILE = "data/calibration.json"
UNCALIBRATED_THRESHOLD = 0.5


def calibration_path() -> Path:
    return Path(str(resources.files("bot").joinpath(CALIBRATION_FILE)))


def calibration(embedder_name: str, mode: Mode) -> dict[str, float]:
    """The calibrated threshold (and fusion weight) for an embedder and search mode."""
    path = calibration_path()
    data = json.loads(path.read_text()) if path.is_file() else {}
    values = data.get(embedder_name, {}).get(mode, {})
    return {
        "threshold": float(values.get("threshold", UNCALIBRATED_THRESHOLD)),
        "dense_weight": float(values.get("dense_weight", DEFAULT_DENSE_WEIGHT)),
    }


def create_answerer(
    settings: Settings,
    index_dir: Path | None = None,
    mode: Mode = "ranked",
    embedder: Embedder | None = None,
) -> Answerer:
    """Load the embedder and the index once and return the answer core."""
    # The search's matrix products are small; BLAS and FAISS worker threads would only
    # spin and steal the cores the embedder needs (measured: 50 ms a question, not 19 ms).
    threadpool_limits(limits=1, user_api="blas")
    faiss.omp_set_num_threads(1)
    index_dir = index_dir or settings.index_dir
    check_compatible(index_dir, settings.embedder)  # fail fast, before loading a model
    embedder = embedder or make_embedder(settings.embedder, settings.embed_threads)
    index = open_index(index_dir, embedder)
    tuned = calibration(embedder.name, mode)
    threshold = (
        settings.answer_threshold if settings.answer_threshold is not None else tuned["threshold"]
    )
    retriever = Retriever(index, embedder, mode=mode, dense_weight=tuned["dense_weight"])
    return Answerer(retriever, threshold, settings.top_k, settings.answer_cache_size)
