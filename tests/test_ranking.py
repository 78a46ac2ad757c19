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
    # Better on every signal: closer, more of the question covered, ranked higher, fewer of
    # the entry's own terms missing. (Raising a few collinear cosines alone says little: the
    # model spreads their weight with opposite signs.)
    for name in FEATURES:
        if name in ("is_document", "declines", "bm25_raw"):
            continue
        better, worse = (0.1, 0.9) if name == "missing_key_terms" else (0.9, 0.1)
        close[0, FEATURES.index(name)] = better
        far[0, FEATURES.index(name)] = worse
    high, low = ranker.score(close)[0], ranker.score(far)[0]
    assert 0.0 <= low < high <= 1.0
