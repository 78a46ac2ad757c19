"""Write the embedding seed and the ranker shipped in bot/data/ for the bundled knowledge.

A fresh clone's first `make run` then builds its index from these instead of embedding every
chunk (a minute on 2 cores). The build here starts from an empty cache, so the seed holds
exactly the vectors of today's knowledge: run it (`make seed`) after large knowledge changes.
A stale seed is still correct, only slower: what it lacks is embedded at build time.

The shipped ranker is kept while it learned from most of the knowledge base's entries (see
bot/ranking.py, SHARED_ENTRIES); --retrain trains a new one on today's knowledge. Measure
with `make eval` before and after: retraining moves a few unrelated answers either way.

    .venv/bin/python scripts/write_seed.py [--retrain]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.embedders import make_embedder  # noqa: E402
from bot.index import SHIPPED_SEED, EmbeddingCache, build_index  # noqa: E402
from bot.ranking import RANKER_FILE, Ranker  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help="train a new shipped ranker")
    args = parser.parse_args()
    settings = Settings()
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "index"
        report = build_index(
            [settings.knowledge_dir], out, embedder, seed=None, retrain_ranker=args.retrain
        )
        cache = EmbeddingCache(out / "embeddings.sqlite")
        try:
            count = cache.write_seed(SHIPPED_SEED)
        finally:
            cache.close()
        shutil.copyfile(report.path / RANKER_FILE, SHIPPED_SEED.parent / RANKER_FILE)
    size = SHIPPED_SEED.stat().st_size / 1e6
    print(f"{SHIPPED_SEED.relative_to(ROOT)}: {count} vectors, {size:.1f} MB")
    ranker = Ranker.default()
    entries = len(ranker.trained_entries)
    print(f"bot/data/{RANKER_FILE}: trained on {ranker.trained_on} of {entries} entries")


if __name__ == "__main__":
    main()
