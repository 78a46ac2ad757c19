"""Hybrid retrieval: dense (FAISS vectors) and lexical (BM25 over folded syllables and bigrams).

Both searches propose candidate rows; candidates are scored per source (an FAQ entry or a
document chunk) by a weighted sum of two scores that mean the same thing for every
question, so that one calibrated threshold can decide when to decline:
- dense: the best cosine between the question and the source's rows, rescaled to 0..1;
- lexical: the share of the question's information (IDF-weighted syllables and bigrams)
  that the source contains. Raw BM25 scores grow with question length and have no fixed
  scale, and mixing them in lowered accuracy on the dev set, so BM25 ranks candidates
  and the share of information scores them.
The "bm25" mode (for comparison) ranks by BM25 alone, squashed to 0..1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np

from .chunking import Chunk
from .diacritics import DiacriticRestorer
from .embedders import Embedder
from .index import Index, SourceInfo
from .text import has_diacritics, lexical_tokens, normalize

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
CANDIDATE_ROWS = 40
# e5 cosines of unrelated Vietnamese texts sit near 0.75; matches climb towards 1.
DENSE_FLOOR = 0.75
DEFAULT_DENSE_WEIGHT = 0.5
BM25_HALF = 10.0  # the BM25 score that "bm25" mode maps to a confidence of 0.5


@dataclass(frozen=True)
class Hit:
    source: SourceInfo
    chunk: Chunk  # the source's best row
    score: float  # the fused confidence, 0..1
    dense: float
    lexical: float


class Retriever:
    """Searches one opened index; cheap to call, safe to share between threads."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        mode: Mode = "hybrid",
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.dense_weight = dense_weight
        self._matrix = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        texts = [chunk.embed_text for chunk in index.chunks]
        self._row_tokens = [lexical_tokens(text) for text in texts]
        self._row_sets = [set(tokens) for tokens in self._row_tokens]
        # An FAQ entry is one unit: a question word found in any of its phrasings or in its
        # answer counts. A document chunk stands alone.
        entry_sets: dict[str, set[str]] = {}
        for chunk, tokens in zip(index.chunks, self._row_sets, strict=True):
            if chunk.kind == "faq":
                entry_sets.setdefault(chunk.source_id, set()).update(tokens)
        self._coverage_sets = [
            entry_sets[c.source_id] if c.kind == "faq" else tokens
            for c, tokens in zip(index.chunks, self._row_sets, strict=True)
        ]
        self._bm25 = bm25s.BM25()
        self._bm25.index(self._row_tokens, show_progress=False)
        self._idf = _idf(self._row_sets)
        self._unknown_idf = math.log(1 + len(self._row_sets))
        self.restorer = DiacriticRestorer(t for t in texts if has_diacritics(t))

    def embed_questions(self, questions: Sequence[str]) -> np.ndarray:
        """Query vectors for already-normalised questions (one batch)."""
        if self.mode == "bm25":
            return np.zeros((len(questions), self.embedder.dim), dtype=np.float32)
        return self.embedder.embed([self.restorer.restore(q) for q in questions], "question")

    def search(self, question: str, k: int = 5) -> list[Hit]:
        normalised = normalize(question)
        return self.search_vector(normalised, self.embed_questions([normalised])[0], k)

    def search_vector(self, normalised: str, vector: np.ndarray, k: int = 5) -> list[Hit]:
        """Rank sources for a normalised question and its query vector."""
        tokens = lexical_tokens(normalised)
        if not tokens or not self.index.chunks:
            return []
        rows: set[int] = set()
        cosines = np.zeros(len(self.index.chunks), dtype=np.float32)
        if self.mode != "bm25":
            query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
            _, nearest = self.index.vectors.search(query, CANDIDATE_ROWS)
            rows.update(int(i) for i in nearest[0] if i >= 0)
        bm25 = np.zeros(len(self.index.chunks), dtype=np.float32)
        if self.mode != "dense":
            bm25 = self._bm25.get_scores(tokens)
            top = np.argsort(-bm25)[:CANDIDATE_ROWS]
            rows.update(int(i) for i in top if bm25[i] > 0)
        query_weights = {t: self._idf.get(t, self._unknown_idf) for t in set(tokens)}
        total_weight = sum(query_weights.values()) or 1.0

        best: dict[str, tuple[float, float, float, int]] = {}
        if self.mode != "bm25":
            # Exact cosines for every candidate, the lexical ones included.
            candidates = np.fromiter(rows, dtype=np.int64)
            cosines[candidates] = self._matrix[candidates] @ vector
        for row in rows:
            dense = min(1.0, max(0.0, (float(cosines[row]) - DENSE_FLOOR) / (1 - DENSE_FLOOR)))
            covered = sum(w for t, w in query_weights.items() if t in self._coverage_sets[row])
            lexical = covered / total_weight
            score = self._fuse(dense, lexical, float(bm25[row]))
            source_id = self.index.chunks[row].source_id
            if source_id not in best or score > best[source_id][0]:
                best[source_id] = (score, dense, lexical, row)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:k]
        return [
            Hit(
                source=self.index.sources[source_id],
                chunk=self.index.chunks[row],
                score=round(score, 4),
                dense=round(dense, 4),
                lexical=round(lexical, 4),
            )
            for source_id, (score, dense, lexical, row) in ranked
        ]

    def _fuse(self, dense: float, lexical: float, bm25: float) -> float:
        if self.mode == "dense":
            return dense
        if self.mode == "bm25":
            return bm25 / (bm25 + BM25_HALF)
        return self.dense_weight * dense + (1 - self.dense_weight) * lexical

    def token_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """IDF of each token over the index (unknown tokens weigh the most)."""
        return {t: self._idf.get(t, self._unknown_idf) for t in tokens}


def _idf(row_sets: Sequence[set[str]]) -> dict[str, float]:
    frequency: dict[str, int] = {}
    for tokens in row_sets:
        for token in tokens:
            frequency[token] = frequency.get(token, 0) + 1
    n = len(row_sets)
    return {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
