"""Putting diacritics back on questions typed without them, using the knowledge base's own words.

"lam sao kich hoat dinh danh muc 2" embeds poorly: the model learned Vietnamese with
diacritics. Each bare syllable is restored to the form the knowledge base uses most in
that context (a bigram model decoded with Viterbi), which is reliable because the
vocabulary of the questions and of the knowledge is the same. Words the knowledge base
does not know are left as typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from .text import fold

_SYLLABLE = re.compile(r"[^\W_]+", re.UNICODE)


def syllables(text: str) -> list[str]:
    return _SYLLABLE.findall(text.lower())


class DiacriticRestorer:
    """A bigram model of the knowledge base's syllables, keyed by their bare forms."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._unigrams: Counter[str] = Counter()
        self._bigrams: Counter[tuple[str, str]] = Counter()
        for text in texts:
            words = syllables(text)
            self._unigrams.update(words)
            self._bigrams.update(zip(words, words[1:], strict=False))
        self._forms: dict[str, list[str]] = defaultdict(list)
        for word in self._unigrams:
            self._forms[fold(word)].append(word)
        self._total = sum(self._unigrams.values()) or 1

    def _candidates(self, word: str) -> list[str]:
        if fold(word) != word:  # typed with diacritics: keep it
            return [word]
        return self._forms.get(word) or [word]

    def _log_p(self, previous: str | None, word: str) -> float:
        unigram = (self._unigrams[word] + 0.1) / self._total
        if previous is None:
            return math.log(unigram)
        pair = self._bigrams[(previous, word)]
        context = self._unigrams[previous]
        # Interpolated bigram: context when the pair was seen, frequency otherwise.
        return math.log(0.8 * pair / context + 0.2 * unigram) if context else math.log(unigram)

    def restore(self, text: str) -> str:
        """The text with bare syllables given their most likely diacritics (lower case)."""
        words = syllables(text)
        if not words:
            return text
        lattice = [self._candidates(w) for w in words]
        best: dict[str, tuple[float, list[str]]] = {
            c: (self._log_p(None, c), [c]) for c in lattice[0]
        }
        for candidates in lattice[1:]:
            step: dict[str, tuple[float, list[str]]] = {}
            for candidate in candidates:
                score, path = max(
                    ((s + self._log_p(prev, candidate), p) for prev, (s, p) in best.items()),
                    key=lambda item: item[0],
                )
                step[candidate] = (score, [*path, candidate])
            best = step
        return " ".join(max(best.values(), key=lambda item: item[0])[1])
