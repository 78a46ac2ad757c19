"""Choose the decline threshold (and the hybrid fusion weight) on the dev set.

Prints answer accuracy and decline precision/recall across thresholds for each search
mode; with --write, stores the chosen values in bot/data/calibration.json.

    python scripts/calibrate.py [--set tests/eval/dev.jsonl] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bot.answer import Answerer
from bot.embedders import make_embedder
from bot.engine import calibration_path
from bot.evaluation import best_threshold, load_cases, metrics, run
from bot.index import open_index
from bot.search import MODES, Retriever
from bot.settings import Settings

DENSE_WEIGHTS = [round(w, 2) for w in np.arange(0.2, 0.85, 0.05)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="tests/eval/dev.jsonl", help="labelled questions (JSONL)")
    parser.add_argument("--index", help="index folder (default: CDS_INDEX_DIR or index/)")
    parser.add_argument("--write", action="store_true", help="write bot/data/calibration.json")
    args = parser.parse_args()
    settings = Settings()
    cases = load_cases(Path(args.set))
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    index = open_index(Path(args.index) if args.index else settings.index_dir, embedder)

    chosen: dict[str, dict[str, float]] = {}
    for mode in MODES:
        weights = DENSE_WEIGHTS if mode == "hybrid" else [0.5]
        best = None
        for weight in weights:
            retriever = Retriever(index, embedder, mode=mode, dense_weight=weight)
            outcomes = run(cases, Answerer(retriever, 0.0, cache_size=0))
            tuned = best_threshold(outcomes)
            score = tuned.in_scope_accuracy + tuned.decline_rate
            if best is None or score > best[0]:
                best = (score, weight, tuned, outcomes)
        assert best is not None
        _, weight, tuned, outcomes = best
        print(f"\n== {mode}" + (f" (dense weight {weight})" if mode == "hybrid" else ""))
        print(f"{'threshold':>10} {'accuracy':>9} {'declined':>9} {'precision':>10}")
        for threshold in sorted(
            {round(float(t), 2) for t in np.linspace(0.2, 0.9, 15)} | {tuned.threshold}
        ):
            m = metrics(outcomes, threshold)
            mark = "  <- chosen" if threshold == tuned.threshold else ""
            print(
                f"{threshold:>10.3f} {m.in_scope_accuracy:>9.1%} {m.decline_rate:>9.1%}"
                f" {m.decline_precision:>10.1%}{mark}"
            )
        chosen[mode] = {"threshold": tuned.threshold, "dense_weight": weight}

    if args.write:
        path = calibration_path()
        data = json.loads(path.read_text()) if path.is_file() else {}
        data[embedder.name] = chosen
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
