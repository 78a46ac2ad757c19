"""Measuring answer quality on a labelled question set, and choosing the decline threshold.

A set is JSON lines: {"question", "expected_id" | null, "expected_phrases"?: [...],
"variant": "diacritics" | "no_diacritics" | "teencode", "in_scope": bool}. An in-scope
question is right when the bot answers it from the expected FAQ entry (or with every
expected phrase in the answer); an out-of-scope question is right when the bot declines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answer import Answerer
from .errors import CdsError
from .knowledge import DECLINE_TOPIC
from .search import Hit, Retriever
from .text import fold, normalize

VARIANTS = ("diacritics", "no_diacritics", "teencode")


@dataclass(frozen=True)
class Case:
    question: str
    expected_id: str | None
    expected_phrases: tuple[str, ...]
    variant: str
    in_scope: bool


@dataclass(frozen=True)
class Outcome:
    case: Case
    score: float  # the confidence of the top hit
    top_correct: bool  # the top hit (or the answer built from it) is the right one
    in_top3: bool
    declines: bool  # the top hit is an out-of-scope entry: the bot declines at any threshold

    def answered(self, threshold: float) -> bool:
        return self.score >= threshold and not self.declines


@dataclass(frozen=True)
class Metrics:
    threshold: float
    in_scope_accuracy: float
    by_variant: dict[str, float]
    decline_rate: float  # share of out-of-scope questions declined
    decline_precision: float  # share of declines that were out of scope
    retrieval_at_1: float
    recall_at_3: float
    in_scope: int
    out_of_scope: int


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            cases.append(
                Case(
                    question=raw["question"],
                    expected_id=raw.get("expected_id"),
                    expected_phrases=tuple(raw.get("expected_phrases") or ()),
                    variant=raw.get("variant", "diacritics"),
                    in_scope=bool(raw["in_scope"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CdsError(f"{path} (line {number}): bad evaluation case: {exc}") from None
    return cases


def _contains(text: str, phrase: str) -> bool:
    return fold(normalize(phrase)) in fold(normalize(text))


def _correct(case: Case, hit: Hit, answerer: Answerer) -> bool:
    if case.expected_id is not None:
        return hit.source.id == case.expected_id
    answer = answerer.compose(case.question, normalize(case.question), [hit], 1)
    return all(_contains(answer.answer, phrase) for phrase in case.expected_phrases)


def run(cases: Sequence[Case], answerer: Answerer) -> list[Outcome]:
    """Search every case once; thresholds are applied afterwards."""
    retriever: Retriever = answerer.retriever
    outcomes = []
    normalised = [normalize(c.question) for c in cases]
    vectors = retriever.embed_questions(normalised)
    for case, text, vector in zip(cases, normalised, vectors, strict=True):
        hits = retriever.search_vector(text, vector, k=3)
        if not hits:
            outcomes.append(Outcome(case, 0.0, False, False, True))
            continue
        ids = [h.source.id for h in hits]
        top_correct = _correct(case, hits[0], answerer) if case.in_scope else False
        in_top3 = case.expected_id in ids if case.expected_id else top_correct
        declines = hits[0].source.topic == DECLINE_TOPIC
        outcomes.append(Outcome(case, hits[0].score, top_correct, in_top3, declines))
    return outcomes


def _share(flags: Sequence[bool]) -> float:
    return float(np.mean(flags)) if len(flags) else 0.0


def metrics(outcomes: Sequence[Outcome], threshold: float) -> Metrics:
    """Quality when the bot answers only above `threshold`."""
    inside = [o for o in outcomes if o.case.in_scope]
    outside = [o for o in outcomes if not o.case.in_scope]
    right = {id(o): o.top_correct and o.answered(threshold) for o in inside}
    declined = [o for o in outcomes if not o.answered(threshold)]
    return Metrics(
        threshold=threshold,
        in_scope_accuracy=_share([right[id(o)] for o in inside]),
        by_variant={
            v: _share([right[id(o)] for o in inside if o.case.variant == v]) for v in VARIANTS
        },
        decline_rate=_share([not o.answered(threshold) for o in outside]),
        decline_precision=_share([not o.case.in_scope for o in declined]),
        retrieval_at_1=_share([o.top_correct for o in inside]),
        recall_at_3=_share([o.in_top3 for o in inside]),
        in_scope=len(inside),
        out_of_scope=len(outside),
    )


def best_threshold(outcomes: Sequence[Outcome]) -> Metrics:
    """The threshold with the best balance of in-scope accuracy and out-of-scope declines."""
    candidates = sorted({round(o.score, 3) for o in outcomes} | {0.0})
    best: Metrics | None = None
    for threshold in candidates:
        m = metrics(outcomes, threshold)
        key = (m.in_scope_accuracy + m.decline_rate, m.decline_rate)
        if best is None or key > (best.in_scope_accuracy + best.decline_rate, best.decline_rate):
            best = m
    assert best is not None
    # Sit halfway between the lowest score answered and the highest declined: the same
    # decisions on this set, with a margin on both sides for new questions.
    below = [o.score for o in outcomes if o.score < best.threshold and not o.declines]
    if below:
        best = metrics(outcomes, round((best.threshold + max(below)) / 2, 4))
    return best
