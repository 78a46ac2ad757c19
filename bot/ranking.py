"""The learned ranker: which candidate answers a question, and how sure that is.

A logistic model over the features `search.Retriever.candidates` computes for each candidate
(FEATURES below). It is trained when the index is built, on the knowledge base's own FAQ
phrasings, each held out in turn: the phrasing is asked as a question with its own rows
hidden, and the model learns to pick its entry from the neighbours. The features are
scale-free, so the same model shape serves any knowledge base; a knowledge base with too few
phrasings to learn from gets the model shipped in `bot/data/ranker.json`, and so does one that
is mostly the knowledge that model learned from (SHARED_ENTRIES).

Training needs scikit-learn; scoring is a dot product, so serving needs only NumPy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .search import Retriever

log = logging.getLogger(__name__)

FEATURES = (
    "dense",  # best cosine of any row of the unit, rescaled to 0..1
    "dense_phrasing",  # best cosine of an FAQ phrasing
    "dense_phrasing3",  # mean of the best three phrasings: do they agree?
    "dense_passage",  # cosine of the answer text or document chunk
    "coverage",  # IDF share of the question found anywhere in the unit
    "coverage_phrasing",  # ... in its single best phrasing
    "coverage_passage",  # ... in its answer or chunk
    "missing_key_terms",  # IDF share of the unit's distinguishing terms the question lacks
    "bm25",  # BM25 of the best row, over the best of any row
    "bm25_raw",  # BM25 of the best row
    "bm25_rank",  # 1 / (1 + rank of the unit's best row by BM25)
    "is_document",
    "declines",  # an out-of-scope entry
    "dense_gap",  # dense minus the best other candidate's
    "dense_rank",  # 1 / (1 + rank by dense)
    # Ranks rather than gaps for the lexical signals: one entry whose answer happens to quote
    # the question's words must not push every other candidate down by a wide margin.
    "coverage_rank",
    "coverage_phrasing_rank",
    "dense_passage_rank",
)
# Raw BM25 grows with the question's length and the corpus; only its ratios generalise.
UNUSED = frozenset({"bm25_raw"})
RANKER_FILE = "ranker.json"
# Raised whenever training changes (what is asked, how it is fitted): a shipped ranker trained
# by an older version is then retrained rather than reused.
TRAINING_VERSION = 3
MIN_TRAINING_PHRASINGS = 150
# An entry is learned from when it has this many phrasings: one is held out, one stays.
MIN_ENTRY_PHRASINGS = 2
# A knowledge base that shares this much of its FAQ entries with the one a ranker learned from,
# under the same embedding model, keeps that ranker. Retrained after each edit, the weights move
# enough to flip a few unrelated answers either way (one new out-of-scope entry: 11 of 926
# measured questions changed, 4 more wrong), so an editor's new entry would change answers it
# has nothing to do with. A largely new knowledge base trains its own.
SHARED_ENTRIES = 0.8


@dataclass(frozen=True)
class Ranker:
    """Logistic weights over standardised features."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    trained_on: str = ""
    # Share of the held-out phrasings put first: by this ranker, and by each signal alone.
    held_out_first: dict[str, float] = field(default_factory=dict)
    # What it was trained on (index.training_digest: knowledge, model, features), so that a
    # build of the very same knowledge can take the shipped ranker instead of training one.
    trained_for: str = ""
    # The FAQ entries whose phrasings it learned from, and the embedding model's fingerprint.
    trained_entries: tuple[str, ...] = ()
    trained_model: str = ""

    def learned_from(self, entries: Collection[str], model: str) -> bool:
        """Whether this ranker learned from most of these FAQ entries, with this model."""
        if not entries or model != self.trained_model:
            return False
        return len(set(entries) & set(self.trained_entries)) >= SHARED_ENTRIES * len(set(entries))

    def score(self, features: np.ndarray) -> np.ndarray:
        """The probability that each candidate (a row of FEATURES values) answers."""
        columns = [FEATURES.index(n) for n in self.names]
        x = (features[:, columns] - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias)))

    def to_json(self) -> str:
        return json.dumps(
            {
                "names": list(self.names),
                "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(),
                "weights": self.weights.round(6).tolist(),
                "bias": round(self.bias, 6),
                "trained_on": self.trained_on,
                "held_out_first": self.held_out_first,
                "trained_for": self.trained_for,
                "trained_model": self.trained_model,
                "trained_entries": list(self.trained_entries),
            },
            indent=2,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Ranker:
        data = json.loads(text)
        return cls(
            names=tuple(data["names"]),
            mean=np.asarray(data["mean"], dtype=np.float32),
            scale=np.asarray(data["scale"], dtype=np.float32),
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),
            trained_on=str(data.get("trained_on", "")),
            held_out_first=dict(data.get("held_out_first", {})),
            trained_for=str(data.get("trained_for", "")),
            trained_entries=tuple(data.get("trained_entries", ())),
            trained_model=str(data.get("trained_model", "")),
        )

    @classmethod
    def default(cls) -> Ranker:
        """The model shipped with cds-bot, trained on its own knowledge base."""
        return cls.from_json(resources.files("bot").joinpath(f"data/{RANKER_FILE}").read_text())

    @classmethod
    def for_index(cls, build: Path) -> Ranker:
        """The ranker trained with an index build, or the shipped one (also when the build's
        was trained on features this version no longer computes: rebuild to retrain it)."""
        path = build / RANKER_FILE
        if path.is_file():
            ranker = cls.from_json(path.read_text())
            if set(ranker.names) <= set(FEATURES):
                return ranker
            log.warning("%s was trained on other features; using the shipped ranker", path)
        return cls.default()


@dataclass(frozen=True)
class TrainingSet:
    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray  # which question each candidate belongs to
    questions: int
    entries: tuple[str, ...] = ()  # the FAQ entries whose phrasings were asked


def held_out_phrasings(
    retriever: Retriever, embed: Callable[[Sequence[str]], np.ndarray] | None = None
) -> TrainingSet:
    """Every FAQ phrasing asked as a question with its own rows hidden; the candidates'
    features, labelled 1 for the phrasing's entry."""
    from .text import normalize

    # Refusal and out-of-scope entries are asked too: were they only ever wrong candidates,
    # the ranker would learn that being one is wrong, and never let a refusal win.
    asks: list[tuple[str, str, list[int]]] = []
    for source in retriever.index.sources.values():
        if source.kind != "faq" or len(source.questions) < MIN_ENTRY_PHRASINGS:
            continue
        for phrasing, rows in retriever.phrasing_rows(source.id).items():
            asks.append((source.id, normalize(phrasing), rows))
    vectors = (embed or retriever.embed_questions)([q for _, q, _ in asks])
    features, labels, groups = [], [], []
    for group, ((source_id, question, rows), vector) in enumerate(zip(asks, vectors, strict=True)):
        found = retriever.candidates(question, vector, exclude=rows)
        if found is None:
            continue
        sources = [retriever.index.chunks[r].source_id for r in found.rows]
        if source_id not in sources:
            continue  # not proposed at all: nothing for a ranker to learn here
        features.append(found.features)
        labels.append(np.array([s == source_id for s in sources], dtype=np.int8))
        groups.append(np.full(len(sources), group))
    if not features:
        return TrainingSet(np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0), 0)
    return TrainingSet(
        np.concatenate(features),
        np.concatenate(labels),
        np.concatenate(groups),
        len(features),
        tuple(sorted({source_id for source_id, _, _ in asks})),
    )


def fit(data: TrainingSet, trained_on: str, c: float = 1.0) -> Ranker:
    """A logistic ranker fitted to a training set (needs scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    names = tuple(n for n in FEATURES if n not in UNUSED)
    columns = [FEATURES.index(n) for n in names]
    x = data.features[:, columns].astype(np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, data.labels)
    return Ranker(
        names=names,
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        weights=model.coef_[0].astype(np.float32),
        bias=float(model.intercept_[0]),
        trained_on=trained_on,
    )


def top1(scores: np.ndarray, data: TrainingSet) -> float:
    """Share of training questions whose entry gets the best score."""
    right = 0
    for group in np.unique(data.groups):
        members = data.groups == group
        right += int(data.labels[members][np.argmax(scores[members])] == 1)
    return right / max(len(np.unique(data.groups)), 1)


def train_for_build(
    retriever: Retriever,
    build: Path,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
    trained_for: str = "",
    model: str = "",
) -> Ranker | None:
    """Train a ranker on a new build's own phrasings and save it there; None (the shipped
    model serves) when the knowledge base has too few phrasings to learn from."""
    data = held_out_phrasings(retriever, embed)
    if data.questions < MIN_TRAINING_PHRASINGS:
        log.info("%d phrasings: too few to train a ranker; the shipped one serves", data.questions)
        return None
    ranker = fit(data, trained_on=f"{data.questions} held-out phrasings")
    column = {name: data.features[:, i] for i, name in enumerate(FEATURES)}
    ranker = replace(
        ranker,
        held_out_first={
            "ranker": round(top1(ranker.score(data.features), data), 4),
            "dense": round(top1(column["dense"], data), 4),
            "coverage": round(top1(column["coverage"], data), 4),
            "bm25": round(top1(column["bm25"], data), 4),
        },
        trained_for=trained_for,
        trained_entries=data.entries,
        trained_model=model,
    )
    (build / RANKER_FILE).write_text(ranker.to_json())
    log.info("ranker trained: held-out phrasings put first %s", ranker.held_out_first)
    return ranker
