"""A learned second opinion on harmful requests, for the wordings the rules miss.

The rules of `safety.tsv` pair a wrongdoing with its object, and a new wording of an old
wrong ("nghe nói có cách mượn mặt người khác để qua bước xác thực…") slips past them: on
requests written blind by people trying many wordings they refused about half. This model
reads the whole message: a logistic regression over character n-grams of each word (which
survive teencode and missing diacritics) and word uni- and bigrams, TF-IDF weighted.

It is trained by `scripts/train_harm_model.py` (`make seed`) on the knowledge base's refusal
phrasings against its other phrasings, the tuned halves of the evaluation sets and the tuned
batches of the safety probes, and shipped as `bot/data/harm-model.json`. Serving needs only
the standard library; training needs scikit-learn.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .text import fold, normalize

MODEL_FILE = "harm-model.json"
CHAR_SIZES = range(2, 6)
_WORD = re.compile(r"\b\w\w+\b")


def char_grams(text: str) -> Counter[str]:
    """Character 2- to 5-grams of each word, padded with a space on both sides."""
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for size in CHAR_SIZES:
            if size >= len(padded):
                grams[padded] += 1
                break
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


def word_grams(text: str) -> Counter[str]:
    """Words of two letters or more, and each pair of neighbouring words."""
    tokens = _WORD.findall(text)
    return Counter(tokens) + Counter(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))


GROUPS = {"char": char_grams, "word": word_grams}


def prepare(message: str) -> str:
    """The form the model reads: normalised (abbreviations expanded), without diacritics."""
    return fold(normalize(message))


@dataclass(frozen=True)
class Group:
    """One family of features: for each known n-gram its IDF and its weight in the model."""

    idf: dict[str, float]
    weight: dict[str, float]

    def score(self, grams: Counter[str]) -> float:
        return sum(v * self.weight.get(g, 0.0) for g, v in tfidf(grams, self.idf).items())


def tfidf(grams: Counter[str], idf: Mapping[str, float]) -> dict[str, float]:
    """Sublinear TF times IDF of the known n-grams, normalised to unit length: the features
    both training and serving compute."""
    values = {g: (1.0 + math.log(n)) * idf[g] for g, n in grams.items() if g in idf}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {g: v / norm for g, v in values.items()} if norm else {}


@dataclass(frozen=True)
class HarmModel:
    """The trained model and the probabilities at which `safety.model_reading` acts on it."""

    groups: dict[str, Group]
    intercept: float
    cutoff: float  # at and above this probability a message is refused
    clear: float  # below this, a message is legitimate even if a refusal entry matches it
    sure: float  # at and above this, harmful even in a victim's words
    # Shorter messages are not read at all: without a context to read intent from, a plain
    # "cách quét mã QR để trả tiền" scored near the cutoff, and the model never caught a
    # harmful request of fewer than 17 words that the rules and refusal entries had missed.
    min_words: int
    trained_on: str = ""

    def reads(self, message: str) -> bool:
        return len(message.split()) >= self.min_words

    def probability(self, message: str) -> float:
        text = prepare(message)
        z = self.intercept + sum(
            group.score(GROUPS[name](text)) for name, group in self.groups.items()
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> str:
        groups = {
            name: {
                g: [round(group.idf[g], 4), round(group.weight.get(g, 0.0), 5)] for g in group.idf
            }
            for name, group in self.groups.items()
        }
        raw = {
            "intercept": self.intercept,
            "cutoff": self.cutoff,
            "clear": self.clear,
            "sure": self.sure,
            "min_words": self.min_words,
            "trained_on": self.trained_on,
            "groups": groups,
        }
        return json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> HarmModel:
        raw: dict[str, Any] = json.loads(text)
        groups = {
            name: Group(
                idf={g: float(v[0]) for g, v in grams.items()},
                weight={g: float(v[1]) for g, v in grams.items() if v[1]},
            )
            for name, grams in raw["groups"].items()
        }
        return cls(
            groups,
            float(raw["intercept"]),
            float(raw["cutoff"]),
            float(raw["clear"]),
            float(raw["sure"]),
            int(raw["min_words"]),
            raw.get("trained_on", ""),
        )


@lru_cache(maxsize=1)
def shipped_model() -> HarmModel | None:
    """The model in bot/data/, or None where it was not shipped (the rules then work alone)."""
    path = resources.files("bot") / "data" / MODEL_FILE
    if not path.is_file():
        return None
    return HarmModel.from_json(path.read_text("utf-8"))


def fit(
    messages: Sequence[str],
    harmful: Sequence[bool],
    weights: Sequence[float],
    cutoff: float,
    clear: float,
    sure: float,
    min_words: int,
    trained_on: str = "",
    min_char_count: int = 2,
) -> HarmModel:
    """Train on labelled messages. Character n-grams seen in fewer than `min_char_count`
    messages are dropped: they are misspellings the model would otherwise learn by heart."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    texts = [prepare(m) for m in messages]
    counted = {name: [extract(t) for t in texts] for name, extract in GROUPS.items()}
    idfs: dict[str, dict[str, float]] = {}
    matrices = []
    for name, rows in counted.items():
        df: Counter[str] = Counter(g for row in rows for g in row)
        least = min_char_count if name == "char" else 1
        vocabulary = sorted(g for g, n in df.items() if n >= least)
        idfs[name] = {g: math.log((1 + len(rows)) / (1 + df[g])) + 1.0 for g in vocabulary}
        matrices.append(_matrix(rows, idfs[name]))
    features = csr_matrix(hstack(matrices))
    model = LogisticRegression(C=4.0, max_iter=5000, class_weight="balanced")
    model.fit(features, np.asarray(harmful, dtype=int), sample_weight=np.asarray(weights))
    coefficients = model.coef_[0]
    groups, start = {}, 0
    for name in GROUPS:
        idf = idfs[name]
        part = coefficients[start : start + len(idf)]
        start += len(idf)
        weight = {g: float(w) for g, w in zip(idf, part, strict=True) if w}
        groups[name] = Group(idf=idf, weight=weight)
    return HarmModel(groups, float(model.intercept_[0]), cutoff, clear, sure, min_words, trained_on)


def _matrix(rows: Iterable[Counter[str]], idf: dict[str, float]) -> Any:
    """The rows' features as a sparse matrix, one column per n-gram of `idf`, in its order."""
    import numpy as np
    from scipy.sparse import csr_matrix

    position = {g: i for i, g in enumerate(idf)}
    data: list[float] = []
    columns: list[int] = []
    pointers = [0]
    for row in rows:
        for g, value in tfidf(row, idf).items():
            columns.append(position[g])
            data.append(value)
        pointers.append(len(columns))
    return csr_matrix(
        (np.asarray(data), np.asarray(columns, dtype=np.int64), np.asarray(pointers)),
        shape=(len(pointers) - 1, len(position)),
    )
