"""Answer quality on dev and the blind tune and held-out sets, each search mode side by side.

    python scripts/evaluate.py [--index index/] [--modes bm25,dense,hybrid,ranked]
    python scripts/evaluate.py --show-failures tune     # what went wrong (dev, tune sets only)

Held-out figures are printed; held-out questions and failures never are (tests/eval/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.answer import Answer, Answerer
from bot.embedders import Embedder, Role, make_embedder
from bot.engine import create_answerer
from bot.evaluation import FIGURES, Case, Result, figures, load_cases, reliability, run
from bot.search import MODES
from bot.settings import Settings

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"
# Each blind batch after the first: its file, its tune half and its held-out half, with when
# it was written. Batch 2 is held out whole; batch 4 is two-message conversations only.
BATCHES: tuple[tuple[str, str | None, str], ...] = (
    ("blind-2.jsonl", None, "heldout-2"),  # 2026-12-01, after the knowledge base grew
    ("blind-3.jsonl", "tune-2", "heldout-3"),  # 2026-12-02
    ("blind-4.jsonl", "tune-3", "heldout-4"),  # follow-ups and changes of subject
    ("blind-5.jsonl", "tune-4", "heldout-5"),  # every kind again
    ("blind-6.jsonl", "tune-5", "heldout-6"),  # after the chuyen-doi-so topic
    ("blind-7.jsonl", "tune-6", "heldout-7"),  # 2026-12-02, evening
    ("blind-8.jsonl", "tune-7", "heldout-8"),  # 2026-12-02, night
    ("blind-9.jsonl", "tune-8", "heldout-9"),  # 2026-12-02, late night
    ("blind-10.jsonl", "tune-9", "heldout-10"),  # after the VNeID fee and hotline entries
    ("blind-11.jsonl", "tune-10", "heldout-11"),  # after household health insurance
    ("blind-12.jsonl", "tune-11", "heldout-12"),  # 2026-12-03, morning
    ("blind-13.jsonl", "tune-12", "heldout-13"),  # 2026-12-03, more two-part messages
    ("blind-14.jsonl", "tune-13", "heldout-14"),  # 2026-12-03, afternoon
    ("blind-15.jsonl", "tune-14", "heldout-15"),  # 2026-12-03, late afternoon
    ("blind-16.jsonl", "tune-15", "heldout-16"),  # 2026-12-03, evening
    ("blind-17.jsonl", "tune-16", "heldout-17"),  # 2026-12-03, night
    ("blind-18.jsonl", "tune-17", "heldout-18"),  # 2026-12-03, late night
    ("blind-19.jsonl", "tune-18", "heldout-19"),  # 2026-12-04, night
    ("blind-20.jsonl", "tune-19", "heldout-20"),  # 2026-12-04, morning
    ("blind-21.jsonl", "tune-20", "heldout-21"),  # 2026-12-04, afternoon
    ("blind-22.jsonl", "tune-21", "heldout-22"),  # 2026-12-04, evening
    ("blind-23.jsonl", "tune-22", "heldout-23"),  # 2026-12-04, late evening
    ("blind-24.jsonl", "tune-23", "heldout-24"),  # 2026-12-04, night
    ("blind-25.jsonl", "tune-24", "heldout-25"),  # 2026-12-04, late night
    ("blind-26.jsonl", "tune-25", "heldout-26"),  # 2026-12-04, after that night's changes
    ("blind-27.jsonl", "tune-26", "heldout-27"),  # 2026-12-04, a new session
    ("blind-28.jsonl", "tune-27", "heldout-28"),  # 2026-12-05, a new session
    ("blind-29.jsonl", "tune-28", "heldout-29"),  # 2026-12-05, later that session
    ("blind-30.jsonl", "tune-29", "heldout-30"),  # 2026-12-05, a new session
    ("blind-31.jsonl", "tune-30", "heldout-31"),  # 2026-12-05, later that session
    ("blind-32.jsonl", "tune-31", "heldout-32"),  # 2026-12-05, at the end of that session
    ("blind-33.jsonl", "tune-32", "heldout-33"),  # 2026-12-05, a new session
    ("blind-34.jsonl", "tune-33", "heldout-34"),  # 2026-12-05, a new session
    ("blind-35.jsonl", "tune-34", "heldout-35"),  # 2026-12-05, a new session
    ("blind-36.jsonl", "tune-35", "heldout-36"),  # 2026-12-05, a new session
    ("blind-37.jsonl", "tune-36", "heldout-37"),  # 2026-12-05, a new session
    ("blind-38.jsonl", "tune-37", "heldout-38"),  # 2026-12-05, a new session
    ("blind-39.jsonl", "tune-38", "heldout-39"),  # 2026-12-05, a new session
)
SETS = (
    "dev",
    "tune",
    *(tune for _, tune, _ in BATCHES if tune),
    "heldout",
    *(heldout for _, _, heldout in BATCHES),
)


class MemoEmbedder:
    """The embedder, remembering vectors: every mode and set embeds a question once."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name, self.dim = inner.name, inner.dim
        self._memo: dict[tuple[str, str], np.ndarray] = {}

    @property
    def fingerprint(self) -> str:
        return self._inner.fingerprint

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if (role, t) not in self._memo))
        if missing:
            for text, vector in zip(missing, self._inner.embed(missing, role), strict=True):
                self._memo[(role, text)] = vector
        return np.stack([self._memo[(role, t)] for t in texts])


def load_sets() -> dict[str, list[Case]]:
    """Every set by name: dev, then the tune halves, then the held-out ones (never looked at
    while tuning)."""
    blind = load_cases(EVAL / "blind.jsonl")
    sets = {
        "dev": load_cases(EVAL / "dev.jsonl"),
        "tune": [c for c in blind if c.split == "tune"],
        "heldout": [c for c in blind if c.split == "heldout"],
    }
    for file, tune, heldout in BATCHES:
        cases = load_cases(EVAL / file)
        if tune is None:
            sets[heldout] = cases
        else:
            sets[tune] = [c for c in cases if c.split == tune]
            sets[heldout] = [c for c in cases if c.split == heldout]
    return {name: sets[name] for name in SETS}


def cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def print_table(name: str, by_mode: dict[str, list[Result]]) -> None:
    any_results = next(iter(by_mode.values()))
    print(f"\n== {name} ({len(any_results)} questions)")
    print(f"{'':40}{'n':>5}" + "".join(f"{mode:>10}" for mode in by_mode))
    values = {mode: figures(results) for mode, results in by_mode.items()}
    for key, label, _, _ in FIGURES:
        n = values[next(iter(values))].counts[key]
        if n == 0:
            continue
        row = "".join(f"{cell(values[mode].values[key]):>10}" for mode in by_mode)
        print(f"{label:40}{n:>5}{row}")


def print_reliability(name: str, mode: str, results: list[Result], threshold: float) -> None:
    print(f"\n   reliability of {mode} answers on {name} (threshold {threshold:.3f}):")
    print(f"   {'confidence':>12} {'answers':>8} {'right':>8}")
    for low, high, n, share in reliability(results):
        if n:
            print(f"   {low:>5.2f}–{high:<5.2f} {n:>8} {cell(share):>8}")


def show_failures(results: list[Result]) -> None:
    for r in results:
        ok = {
            "answer": r.right and (not r.case.fact or r.fact_early),
            "gap": r.declined,
            "decline": r.declined,
            "refuse": r.refused_cleanly,
            "emergency": r.points_to_emergency,
            "privacy": r.privacy_refusal,
        }[r.case.expect]
        if ok:
            continue
        a = r.answer
        got = [s.id + (f"#{s.section}" if s.section else "") for s in a.sources]
        print(f"\n[{r.case.id} {r.case.kind}/{r.case.style}] {r.case.question}")
        if r.case.previous:
            print(f"   previous: {r.case.previous}")
        print(f"   expect {r.case.expect} {list(r.case.expected)} fact={list(r.case.fact)}")
        print(f"   got answered={a.answered} score={a.score:.3f} intent={a.intent} {got}")
        print("   " + a.answer[:300].replace("\n", " | "))


def print_safety(answerer: Answerer) -> None:
    """Refusals on the safety probes (tests/eval/README.md): requests a government bot must
    refuse and legitimate look-alikes, written blind by others. The tuned batches together,
    then each held-out batch: batch 5 chose the learned model's cutoffs, 6 and 7 never did."""
    probes = [json.loads(line) for line in (EVAL / "safety-probes.jsonl").open(encoding="utf-8")]
    print("\n== safety probes (ranked): refused = a harmful or privacy refusal")
    print(f"{'':28}{'harmful':>8}{'refused':>9}{'answered':>10}{'benign':>8}{'refused':>9}")
    held = sorted({p["batch"] for p in probes if p["split"] == "heldout"})
    groups = [("tune", [p for p in probes if p["split"] == "tune"])]
    groups += [("heldout", [p for p in probes if p["batch"] == b]) for b in held]
    for split, chosen in groups:
        answers = answerer.answer_many([p["text"] for p in chosen])
        harmful = [a for p, a in zip(chosen, answers, strict=True) if p["label"] == "harmful"]
        benign = [a for p, a in zip(chosen, answers, strict=True) if p["label"] == "benign"]
        batches = sorted({p["batch"] for p in chosen})
        name = f"{split} (batch {', '.join(map(str, batches))})"
        print(
            f"{name:28}{len(harmful):>8}{cell(_share(harmful, _refused)):>9}"
            f"{cell(_share(harmful, _answered)):>10}{len(benign):>8}"
            f"{cell(_share(benign, _refused)):>9}"
        )


def _refused(answer: Answer) -> bool:
    return answer.intent in ("harmful", "privacy")


def _answered(answer: Answer) -> bool:
    return answer.answered


def _share(answers: list[Answer], test: Callable[[Answer], bool]) -> float | None:
    return sum(map(test, answers)) / len(answers) if answers else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index folder (default: CDS_INDEX_DIR or index/)")
    parser.add_argument(
        "--modes", default=",".join(reversed(MODES)), help="comma-separated search modes"
    )
    parser.add_argument(
        "--show-failures",
        choices=[name for name in SETS if not name.startswith("heldout")],
        help="print failures",
    )
    args = parser.parse_args()
    settings = Settings(CDS_ANSWER_CACHE_SIZE=0)
    index_dir = Path(args.index) if args.index else None
    modes = [m for m in args.modes.split(",") if m]
    sets = load_sets()
    if args.show_failures:
        sets = {args.show_failures: sets[args.show_failures]}
        modes = modes[-1:]

    embedder = MemoEmbedder(make_embedder(settings.embedder, settings.embed_threads))
    answerers = {
        mode: create_answerer(settings, index_dir, mode=mode, embedder=embedder)  # type: ignore[arg-type]
        for mode in modes
    }
    thresholds = ", ".join(f"{m} {a.threshold:.3f}" for m, a in answerers.items())
    print(f"Embedder {settings.embedder}; thresholds {thresholds}")

    for name, cases in sets.items():
        by_mode = {mode: run(cases, answerer) for mode, answerer in answerers.items()}
        if args.show_failures:
            show_failures(by_mode[modes[-1]])
            return
        print_table(f"{name} set", by_mode)
        best = modes[-1]
        print_reliability(name, best, by_mode[best], answerers[best].threshold)
    if "ranked" in answerers:
        print_safety(answerers["ranked"])
    sys.stdout.flush()


if __name__ == "__main__":
    main()
