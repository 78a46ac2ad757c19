"""The learned ranker: trained with the index, better than any one signal, safe to load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.index import resolve
from bot.ranking import FEATURES, RANKER_FILE, Ranker


def test_building_the_index_trains_a_ranker_that_beats_each_signal_alone(kb_index: Path) -> None:
    ranker = Ranker.for_index(resolve(kb_index))
    first = ranker.held_out_first
    assert ranker.trained_on.endswith("held-out phrasings")
    assert first["ranker"] > max(first["dense"], first["coverage"], first["bm25"])


def test_a_small_knowledge_base_is_served_by_the_shipped_ranker(fixture_index: Path) -> None:
    assert not (resolve(fixture_index) / RANKER_FILE).exists()
    assert Ranker.for_index(resolve(fixture_index)).to_json() == Ranker.default().to_json()


def test_a_ranker_trained_on_features_no_longer_computed_falls_back_to_the_shipped_one(
    tmp_path: Path,
) -> None:
    data = json.loads(Ranker.default().to_json())
    data["names"][0] = "a_feature_of_an_older_version"
    (tmp_path / RANKER_FILE).write_text(json.dumps(data))
    assert Ranker.for_index(tmp_path).to_json() == Ranker.default().to_json()


def test_scores_are_probabilities_that_rise_with_a_closer_match() -> None:
    ranker = Ranker.default()
    close = np.zeros((1, len(FEATURES)), dtype=np.float32)
    far = np.zeros((1, len(FEATURES)), dtype=np.float32)
    for name in ("dense", "dense_phrasing", "dense_passage", "coverage", "coverage_phrasing"):
        close[0, FEATURES.index(name)] = 0.9
        far[0, FEATURES.index(name)] = 0.1
    high, low = ranker.score(close)[0], ranker.score(far)[0]
    assert 0.0 <= low < high <= 1.0
