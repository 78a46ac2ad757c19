"""How well and how fast `bot.gaps` groups questions by meaning, on the built index. Prints,
never asserts.

python benchmarks/bench_gaps.py [--records 3000]

1. Grouping: the FAQ phrasings of the knowledge base (every entry's 5-7 ways of asking one
   thing: accented, unaccented, teencode, voice-typed) and the single-part in-scope `tune`
   questions of the blind set, each labelled with the entry it expects (a gap question is a
   need of its own), embedded as `find_gaps` embeds them and clustered with each linkage and
   distance threshold. B-cubed precision: how much of a question's group shares its need;
   recall: how much of its need is in its group. The held-out split is never read.
2. Speed: `find_gaps` over `--records` records drawn from the same questions and the dev
   set, repeated as citizens repeat themselves, with every group looked up (min_count 1).
The numbers depend on the machine: its cores and its load.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from bot.answer import Answerer
from bot.engine import create_answerer
from bot.evaluation import load_cases
from bot.gaps import DISTANCE_THRESHOLD, EMBED_BATCH, find_gaps
from bot.knowledge import DECLINE_TOPIC
from bot.settings import Settings
from bot.text import normalize

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"
THRESHOLDS = (0.06, 0.08, 0.09, 0.10, 0.11, 0.12, 0.14)


def labelled_questions(answerer: Answerer) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for source in answerer.retriever.index.sources.values():
        if source.kind == "faq" and source.topic != DECLINE_TOPIC:
            texts += source.questions
            labels += [source.id] * len(source.questions)
    for case in load_cases(EVAL / "blind.jsonl"):
        one_need = not case.previous and case.kind != "two_part"
        if case.split == "tune" and case.expect in ("answer", "gap") and one_need:
            texts.append(case.question)
            labels.append(case.expected[0] if case.expected else f"gap:{case.id}")
    return texts, labels


def bcubed(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    together = predicted[:, None] == predicted[None, :]
    same = truth[:, None] == truth[None, :]
    both = (together & same).sum(axis=1)
    return float((both / together.sum(axis=1)).mean()), float((both / same.sum(axis=1)).mean())


def grouping(answerer: Answerer) -> None:
    texts, labels = labelled_questions(answerer)
    normalised = [normalize(t) for t in texts]
    vectors = np.vstack(
        [
            answerer.retriever.embed_questions(normalised[i : i + EMBED_BATCH])
            for i in range(0, len(normalised), EMBED_BATCH)
        ]
    )
    truth = np.array(labels)
    print(f"Grouping {len(texts)} questions of {len(set(labels))} needs")
    print("linkage   threshold groups largest precision recall")
    for linkage in ("complete", "average"):
        for threshold in THRESHOLDS:
            predicted = AgglomerativeClustering(
                n_clusters=None, metric="cosine", linkage=linkage, distance_threshold=threshold
            ).fit_predict(vectors)
            precision, recall = bcubed(predicted, truth)
            chosen = (
                " <- find_gaps" if (linkage, threshold) == ("complete", DISTANCE_THRESHOLD) else ""
            )
            sizes = np.bincount(predicted)
            print(
                f"{linkage:<9} {threshold:>9.2f} {len(sizes):>6} {sizes.max():>7} "
                f"{precision:>9.2f} {recall:>6.2f}{chosen}"
            )


def speed(answerer: Answerer, records: int) -> None:
    texts, _ = labelled_questions(answerer)
    texts += [case.question for case in load_cases(EVAL / "dev.jsonl")]
    rng = random.Random(0)
    now = time.time()
    drawn = [
        {
            "question": rng.choice(texts),
            "created_at": now - rng.uniform(0, 30 * 86400),
            "channel": rng.choice(["web", "telegram", "zalo-oa"]),
            "why": rng.choice(["declined", "unhelpful"]),
        }
        for _ in range(records)
    ]
    distinct = len({normalize(r["question"]) for r in drawn})
    start = time.perf_counter()
    gaps = find_gaps(drawn, answerer, min_count=1)
    seconds = time.perf_counter() - start
    print(
        f"\nfind_gaps: {records} records ({distinct} distinct questions) in {seconds:.1f} s "
        f"({seconds / distinct * 1000:.1f} ms a distinct question); {len(gaps)} groups left "
        f"unanswered; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    args = parser.parse_args()
    answerer = create_answerer(Settings())
    grouping(answerer)
    speed(answerer, args.records)


if __name__ == "__main__":
    main()
