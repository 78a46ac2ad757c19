"""Answer quality on the dev set, for bm25-only, dense-only and hybrid search side by side.

python scripts/evaluate.py [--set tests/eval/dev.jsonl] [--index index/]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.answer import Answerer
from bot.embedders import make_embedder
from bot.engine import calibration
from bot.evaluation import VARIANTS, load_cases, metrics, run
from bot.index import open_index
from bot.search import MODES, Retriever
from bot.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="tests/eval/dev.jsonl", help="labelled questions (JSONL)")
    parser.add_argument("--index", help="index folder (default: CDS_INDEX_DIR or index/)")
    args = parser.parse_args()
    settings = Settings()
    cases = load_cases(Path(args.set))
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    index = open_index(Path(args.index) if args.index else settings.index_dir, embedder)

    rows = {}
    for mode in MODES:
        tuned = calibration(embedder.name, mode)
        retriever = Retriever(index, embedder, mode=mode, dense_weight=tuned["dense_weight"])
        outcomes = run(cases, Answerer(retriever, tuned["threshold"], cache_size=0))
        rows[mode] = metrics(outcomes, tuned["threshold"])

    inside, outside = rows["hybrid"].in_scope, rows["hybrid"].out_of_scope
    counts = {v: sum(1 for c in cases if c.in_scope and c.variant == v) for v in VARIANTS}
    print(
        f"Dev set {args.set}: {inside} in scope, {outside} out of scope; embedder {embedder.name}\n"
    )
    print(f"{'':34}" + "".join(f"{mode:>10}" for mode in MODES))
    lines = [
        ("threshold", lambda m: f"{m.threshold:.3f}"),
        ("in-scope accuracy", lambda m: f"{m.in_scope_accuracy:.1%}"),
        *[(f"  {v} ({counts[v]})", lambda m, v=v: f"{m.by_variant[v]:.1%}") for v in VARIANTS],
        ("out-of-scope declined", lambda m: f"{m.decline_rate:.1%}"),
        ("decline precision", lambda m: f"{m.decline_precision:.1%}"),
        ("retrieval@1 (no threshold)", lambda m: f"{m.retrieval_at_1:.1%}"),
        ("recall@3 (no threshold)", lambda m: f"{m.recall_at_3:.1%}"),
    ]
    for label, cell in lines:
        print(f"{label:34}" + "".join(f"{cell(rows[mode]):>10}" for mode in MODES))


if __name__ == "__main__":
    main()
