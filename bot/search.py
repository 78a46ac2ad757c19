"""Retrieval: dense (FAISS vectors) and lexical (BM25 over folded syllables and bigrams)
candidates, described by features and ranked.

A *unit* is what can answer: an FAQ entry (reached through every phrasing and its answer) or
one document chunk. Both searches propose candidate rows; their units are described by
features that mean the same for every question (cosines rescaled to 0..1, the IDF-weighted
share of the question a unit covers, the share of a unit's own distinguishing terms the
question lacks, how a unit compares with the best other candidate), so that one model and
one threshold serve any question. Modes:
- "ranked" (default): a small model over the features (bot/ranking.py), trained on the
  knowledge base's own phrasings, each held out in turn;
- "hybrid": a calibrated weighted sum of the dense cosine and the lexical share;
- "dense", "bm25": one signal alone, for comparison.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

import bm25s
import numpy as np
from scipy import sparse

from .chunking import Chunk
from .diacritics import DiacriticRestorer
from .embedders import Embedder
from .index import Index, SourceInfo
from .knowledge import declines
from .ranking import FEATURES, Ranker
from .text import fold, has_diacritics, lexical_tokens, normalize

Mode = Literal["ranked", "hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("ranked", "hybrid", "dense", "bm25")
CANDIDATE_ROWS = 40
# e5 cosines of unrelated Vietnamese texts sit near 0.75; matches climb towards 1.
DENSE_FLOOR = 0.75
DEFAULT_DENSE_WEIGHT = 0.5
BM25_HALF = 10.0  # the BM25 score that "bm25" mode maps to a confidence of 0.5
# A term distinguishes an FAQ entry when at least this share of its phrasings use it.
KEY_TERM_SHARE = 0.5


@dataclass(frozen=True)
class Hit:
    source: SourceInfo
    chunk: Chunk  # the unit's best row (for a document, its chunk)
    score: float  # the confidence, 0..1
    dense: float
    lexical: float
    features: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Candidates:
    """The candidate units of one question: their best rows and feature matrix."""

    units: list[int]
    rows: list[int]  # the best row of each unit, for citing
    features: np.ndarray  # (units, len(FEATURES))

    def column(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]


class Retriever:
    """Searches one opened index; cheap to call, safe to share between threads."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        mode: Mode = "ranked",
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
        ranker: Ranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.dense_weight = dense_weight
        self.ranker = ranker or Ranker.for_index(index.path)
        chunks = index.chunks
        self._matrix = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        texts = [chunk.embed_text for chunk in chunks]
        self._row_tokens = [lexical_tokens(text) for text in texts]
        self._row_sets = [set(tokens) for tokens in self._row_tokens]
        # Units: an FAQ entry is one unit over all its rows; a document chunk is its own.
        unit_of_source: dict[str, int] = {}
        self._unit_rows: list[list[int]] = []
        self._row_unit = np.zeros(len(chunks), dtype=np.int64)
        for row, chunk in enumerate(chunks):
            if chunk.kind == "faq" and chunk.source_id in unit_of_source:
                unit = unit_of_source[chunk.source_id]
            else:
                unit = len(self._unit_rows)
                self._unit_rows.append([])
                if chunk.kind == "faq":
                    unit_of_source[chunk.source_id] = unit
            self._unit_rows[unit].append(row)
            self._row_unit[row] = unit
        self._unit_source = [chunks[rows[0]].source_id for rows in self._unit_rows]
        self._unit_is_doc = np.array([chunks[r[0]].kind == "document" for r in self._unit_rows])
        self._unit_declines = np.array(
            [declines(index.sources[s].topic) for s in self._unit_source]
        )
        self._idf = _idf(self._row_sets)
        self._unknown_idf = math.log(1 + len(self._row_sets))
        # Token incidence as sparse matrices, so that a question's coverage of every candidate
        # row and unit is one product: rows x tokens, units x tokens, and each FAQ entry's
        # distinguishing terms (in at least KEY_TERM_SHARE of its phrasings) weighted by IDF.
        self._vocab = {t: i for i, t in enumerate(sorted(self._idf))}
        self._row_matrix = _incidence([self._row_sets[r] for r in range(len(chunks))], self._vocab)
        self._unit_matrix = _incidence(
            [set().union(*(self._row_sets[r] for r in rows)) for rows in self._unit_rows],
            self._vocab,
        )
        self._key_matrix = _incidence(
            [self._key_terms(self._phrasings(rows)) for rows in self._unit_rows],
            self._vocab,
            weights=self._idf,
        )
        self._key_total = np.asarray(self._key_matrix.sum(axis=1)).ravel()
        self._is_phrasing = np.array([c.role == "question" for c in chunks])
        self._bm25 = bm25s.BM25()
        self._bm25.index(self._row_tokens, show_progress=False)
        self.restorer = DiacriticRestorer(t for t in texts if has_diacritics(t))
        self._rows_by_topics: dict[frozenset[str], np.ndarray] = {}

    # Queries ----------------------------------------------------------------------------

    def embed_questions(self, questions: Sequence[str]) -> np.ndarray:
        """Query vectors for already-normalised questions (one batch)."""
        if self.mode == "bm25":
            return np.zeros((len(questions), self.embedder.dim), dtype=np.float32)
        return self.embedder.embed([self.restorer.restore(q) for q in questions], "question")

    def search(self, question: str, k: int = 5, without: Collection[str] = ()) -> list[Hit]:
        normalised = normalize(question)
        return self.search_vector(normalised, self.embed_questions([normalised])[0], k, without)

    def search_vector(
        self, normalised: str, vector: np.ndarray, k: int = 5, without: Collection[str] = ()
    ) -> list[Hit]:
        """Rank sources for a normalised question and its query vector; entries of the topics
        `without` are left out before ranking, so that the others are weighed among themselves."""
        found = self.candidates(normalised, vector, without=without)
        if found is None:
            return []
        scores = self.score(found)
        best: dict[str, int] = {}  # a document is cited once, by its best chunk
        for i in np.argsort(-scores, kind="stable"):
            source = self._unit_source[found.units[i]]
            if source not in best:
                best[source] = int(i)
            if len(best) == k:
                break
        dense, lexical = found.column("dense"), found.column("coverage")
        return [
            Hit(
                source=self.index.sources[source],
                chunk=self.index.chunks[found.rows[i]],
                score=round(float(scores[i]), 4),
                dense=round(float(dense[i]), 4),
                lexical=round(float(lexical[i]), 4),
                features=dict(zip(FEATURES, map(float, found.features[i]), strict=True)),
            )
            for source, i in best.items()
        ]

    def score(self, found: Candidates) -> np.ndarray:
        """Each candidate's confidence, 0..1, by the retriever's mode."""
        dense, lexical = found.column("dense"), found.column("coverage")
        if self.mode == "dense":
            return dense
        if self.mode == "bm25":
            bm25 = found.column("bm25_raw")
            return bm25 / (bm25 + BM25_HALF)
        if self.mode == "hybrid":
            return self.dense_weight * dense + (1 - self.dense_weight) * lexical
        return self.ranker.score(found.features)

    # Features ---------------------------------------------------------------------------

    def candidates(
        self,
        normalised: str,
        vector: np.ndarray,
        exclude: Collection[int] = (),
        without: Collection[str] = (),
    ) -> Candidates | None:
        """The units either search proposes, with their features. `exclude` hides rows (an
        FAQ phrasing held out to train the ranker); `without` hides whole topics."""
        tokens = lexical_tokens(normalised)
        if not tokens or not self.index.chunks:
            return None
        excluded = sorted(set(exclude))
        hidden = self._topic_rows(frozenset(without))
        rows: set[int] = set()
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        dense_mode = self.mode != "bm25"
        if dense_mode:
            wanted = CANDIDATE_ROWS + len(excluded) + len(hidden)
            _, nearest = self.index.vectors.search(query[None, :], wanted)
            rows.update(int(i) for i in nearest[0] if i >= 0)
        bm25 = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        bm25[excluded] = 0.0
        bm25[hidden] = 0.0
        top = np.argsort(-bm25)[:CANDIDATE_ROWS]
        if self.mode != "dense":
            rows.update(int(i) for i in top if bm25[i] > 0)
        rows.difference_update(excluded)
        rows.difference_update(hidden.tolist())
        if not rows:
            return None
        units = np.array(sorted({int(self._row_unit[r]) for r in rows}))
        weights = {t: self._idf.get(t, self._unknown_idf) for t in set(tokens)}
        total = sum(weights.values()) or 1.0
        question = np.zeros(len(self._vocab), dtype=np.float32)
        for t, w in weights.items():
            if t in self._vocab:
                question[self._vocab[t]] = w

        # Every row of every candidate unit, unit after unit (a unit's rows are contiguous).
        sizes = np.array([len(self._unit_rows[u]) for u in units])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        all_rows = np.concatenate([self._unit_rows[u] for u in units])
        held = np.isin(all_rows, excluded)
        cosines = self._matrix[all_rows] @ query if dense_mode else np.zeros(len(all_rows))
        rescaled = np.clip((cosines - DENSE_FLOOR) / (1 - DENSE_FLOOR), 0.0, 1.0)
        row_cover = (self._row_matrix[all_rows] @ question) / total
        row_bm25 = bm25[all_rows]
        rank = np.full(len(bm25), CANDIDATE_ROWS, dtype=np.float32)
        rank[top] = np.arange(len(top))
        row_rank = rank[all_rows]
        phrasing = self._is_phrasing[all_rows] & ~held
        passage = ~self._is_phrasing[all_rows] & ~held
        rescaled[held], row_cover[held], row_bm25[held], row_rank[held] = 0, 0, 0, CANDIDATE_ROWS

        def per_unit(values: np.ndarray, mask: np.ndarray, how: np.ufunc) -> np.ndarray:
            masked = np.where(mask, values, 0.0 if how is np.maximum else CANDIDATE_ROWS)
            return how.reduceat(masked, starts)

        every = ~held
        coverage = (self._unit_matrix[units] @ question) / total
        key_present = self._key_matrix[units] @ (question > 0).astype(np.float32)
        key_total = self._key_total[units].copy()
        if excluded:  # the held-out unit: its coverage and key terms without those rows
            unit = int(self._row_unit[excluded[0]])
            kept = [r for r in self._unit_rows[unit] if r not in set(excluded)]
            n = int(np.searchsorted(units, unit))
            if n < len(units) and units[n] == unit:
                kept_tokens = set().union(*(self._row_sets[r] for r in kept))
                coverage[n] = sum(w for t, w in weights.items() if t in kept_tokens) / total
                key = self._key_terms(self._phrasings(kept))
                key_total[n] = sum(self._idf[t] for t in key)
                key_present[n] = sum(self._idf[t] for t in key if t in weights)
        missing = np.where(key_total > 0, 1 - key_present / np.maximum(key_total, 1e-9), 0.0)

        # Units as rows of a padded table (a unit's rows side by side), so that per-unit
        # top-3 means and arg-maxes are one numpy call each rather than a loop over units.
        width = int(sizes.max())
        unit_of_row = np.repeat(np.arange(len(units)), sizes)
        slot = np.arange(len(all_rows)) - np.repeat(starts, sizes)

        def table(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
            padded = np.full((len(units), width), -np.inf, dtype=np.float32)
            padded[unit_of_row, slot] = np.where(mask, values, -np.inf)
            return padded

        top3 = np.sort(table(rescaled, phrasing), axis=1)[:, -3:]
        kept = np.isfinite(top3)
        best_phrasings = (
            np.where(kept, top3, 0.0).sum(axis=1) / np.maximum(kept.sum(axis=1), 1)
        ).astype(np.float32)
        best_local = np.argmax(table(rescaled if dense_mode else row_cover, every), axis=1)
        best_rows = [int(r) for r in all_rows[starts + best_local]]
        bm25_best = per_unit(row_bm25, every, np.maximum)
        features = np.zeros((len(units), len(FEATURES)), dtype=np.float32)
        column = {name: i for i, name in enumerate(FEATURES)}
        features[:, column["dense"]] = per_unit(rescaled, every, np.maximum)
        features[:, column["dense_phrasing"]] = per_unit(rescaled, phrasing, np.maximum)
        features[:, column["dense_phrasing3"]] = best_phrasings
        features[:, column["dense_passage"]] = per_unit(rescaled, passage, np.maximum)
        features[:, column["coverage"]] = coverage
        features[:, column["coverage_phrasing"]] = per_unit(row_cover, phrasing, np.maximum)
        features[:, column["coverage_passage"]] = per_unit(row_cover, passage, np.maximum)
        features[:, column["missing_key_terms"]] = missing
        features[:, column["bm25"]] = bm25_best / (float(bm25.max()) or 1.0)
        features[:, column["bm25_raw"]] = bm25_best
        features[:, column["bm25_rank"]] = 1.0 / (1 + per_unit(row_rank, every, np.minimum))
        features[:, column["is_document"]] = self._unit_is_doc[units]
        features[:, column["declines"]] = self._unit_declines[units]
        features[:, column["dense_gap"]] = features[:, column["dense"]] - _best_other(
            features[:, column["dense"]]
        )
        for name, base in (
            ("dense_rank", "dense"),
            ("coverage_rank", "coverage"),
            ("coverage_phrasing_rank", "coverage_phrasing"),
            ("dense_passage_rank", "dense_passage"),
        ):
            features[:, column[name]] = _reciprocal_rank(features[:, column[base]])
        return Candidates([int(u) for u in units], best_rows, features)

    def _topic_rows(self, topics: frozenset[str]) -> np.ndarray:
        """The rows of every unit of these topics (a handful of topic sets: kept)."""
        found = self._rows_by_topics.get(topics)
        if found is None:
            found = np.array(
                [
                    row
                    for unit, rows in enumerate(self._unit_rows)
                    if self.index.sources[self._unit_source[unit]].topic in topics
                    for row in rows
                ],
                dtype=np.int64,
            )
            self._rows_by_topics[topics] = found
        return found

    def _phrasings(self, rows: Sequence[int]) -> list[int]:
        return [r for r in rows if self.index.chunks[r].role == "question"]

    def _key_terms(self, phrasing_rows: Sequence[int]) -> set[str]:
        """A unit's distinguishing syllables: in most of its phrasings. A question about the
        password lacks the passcode entry's "passcode"; that counts against the entry."""
        if len(phrasing_rows) < 2:
            return set()
        counts = Counter(t for r in phrasing_rows for t in self._row_sets[r] if "_" not in t)
        return {t for t, c in counts.items() if c >= KEY_TERM_SHARE * len(phrasing_rows)}

    def unit_of(self, source_id: str) -> list[int]:
        """The units of a source (one for an FAQ entry, one per chunk for a document)."""
        return [u for u, s in enumerate(self._unit_source) if s == source_id]

    def phrasing_rows(self, source_id: str) -> dict[str, list[int]]:
        """An FAQ entry's phrasings, each with its rows: the phrasing, its unaccented form, its
        restored form, and those of any phrasing that reads the same once normalised."""

        def keys(text: str) -> set[str]:
            return {fold(text).lower(), fold(normalize(text)).lower()}

        entry = self.index.sources[source_id]
        phrasings: dict[str, list[str]] = {}
        for question in entry.questions:
            for key in keys(question):
                phrasings.setdefault(key, []).append(question)
        found: dict[str, list[int]] = {}
        for unit in self.unit_of(source_id):
            for row in self._unit_rows[unit]:
                chunk = self.index.chunks[row]
                if chunk.role != "question":
                    continue
                owners = {q for key in keys(chunk.text) for q in phrasings.get(key, [])}
                for phrasing in owners:
                    found.setdefault(phrasing, []).append(row)
        return found

    def token_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """IDF of each token over the index (unknown tokens weigh the most)."""
        return {t: self._idf.get(t, self._unknown_idf) for t in tokens}


def _incidence(
    sets: Sequence[set[str]], vocab: dict[str, int], weights: dict[str, float] | None = None
) -> sparse.csr_matrix:
    """A sparse (len(sets) x vocabulary) matrix: 1 (or the token's weight) where a set holds it."""
    indptr: list[int] = [0]
    indices: list[int] = []
    data: list[float] = []
    for tokens in sets:
        known = sorted((vocab[t], t) for t in tokens if t in vocab)
        indices.extend(i for i, _ in known)
        data.extend(weights[t] if weights else 1.0 for _, t in known)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.asarray(data, dtype=np.float32), indices, indptr), shape=(len(sets), len(vocab))
    )


def _reciprocal_rank(values: np.ndarray) -> np.ndarray:
    """1 for the best value, 1/2 for the second, and so on."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return 1.0 / (1 + ranks)


def _best_other(values: np.ndarray) -> np.ndarray:
    """For each candidate, the best value among the others."""
    if len(values) < 2:
        return np.zeros_like(values)
    order = np.argsort(-values)
    first, second = values[order[0]], values[order[1]]
    out = np.full_like(values, first)
    out[order[0]] = second
    return out


def _idf(row_sets: Sequence[set[str]]) -> dict[str, float]:
    frequency: dict[str, int] = {}
    for tokens in row_sets:
        for token in tokens:
            frequency[token] = frequency.get(token, 0) + 1
    n = len(row_sets)
    return {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
