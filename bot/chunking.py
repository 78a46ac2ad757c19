"""Cutting knowledge into the units that are embedded and searched.

A document chunk stays inside one section and carries the section's heading path; long
sections are split at sentence boundaries with a one-sentence overlap. An FAQ entry is one
unit reached through several rows: each phrasing (and its form without diacritics, which is
how many people type) plus the answer itself. A phrasing written the way villagers type it
("nq57 noi ve cai gi") gets one more row: the form a citizen's question takes before it is
embedded (normalised, diacritics restored: "nghị quyết 57 nói về cái gì"), so that the two
meet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from .diacritics import DiacriticRestorer
from .knowledge import Document, FaqEntry, Knowledge
from .text import fold, has_diacritics, normalize

# About 1.6 tokens a Vietnamese syllable in the e5/XLM-R vocabulary: 260 words stay well
# inside the 512-token window even with the heading path prepended.
MAX_WORDS = 260
OVERLAP_SENTENCES = 1

_SENTENCE_END = re.compile(r"(?<=[.!?;:…])\s+(?=[\"“(\-–•*+0-9A-ZÀ-Ỹ])")


_ENUMERATOR = re.compile(r"^([-*+•]\s*)?(\d{1,2}|[a-zđ]|[IVX]{1,4})[.)]$")


@dataclass(frozen=True)
class Chunk:
    source_id: str
    kind: Literal["faq", "document"]
    role: Literal["question", "passage"]  # how it is embedded (e5: "query: " / "passage: ")
    title: str
    section: str
    text: str

    @property
    def embed_text(self) -> str:
        if self.kind == "document" and self.section:
            return f"{self.title} › {self.section}\n{self.text}"
        return self.text


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a block of text."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[-*+•] )|\n(?=\s*\d+[.)] )", text):
        block = " ".join(block.split())
        if not block:
            continue
        pieces = [s.strip() for s in _SENTENCE_END.split(block) if s.strip()]
        for piece in pieces:
            # "1." or "b)" opening a list item is not a sentence of its own.
            if units and _ENUMERATOR.match(units[-1]):
                units[-1] = f"{units[-1]} {piece}"
            else:
                units.append(piece)
    return units


def _word_count(text: str) -> int:
    return len(text.split())


def _split_long(sentence: str, max_words: int) -> list[str]:
    words = sentence.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]


def chunk_text(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Pack sentences into chunks of at most `max_words`, overlapping by one sentence."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        sentences.extend(_split_long(sentence, max_words))
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and _word_count(" ".join([*current, sentence])) > max_words:
            chunks.append(" ".join(current))
            overlap = current[-OVERLAP_SENTENCES:]
            fits = _word_count(" ".join([*overlap, sentence])) <= max_words
            current = overlap if fits else []
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def document_chunks(document: Document, max_words: int = MAX_WORDS) -> list[Chunk]:
    return [
        Chunk(document.id, "document", "passage", document.title, section.path, text)
        for section in document.sections
        for text in chunk_text(section.text, max_words)
    ]


def faq_chunks(entry: FaqEntry, restore: Callable[[str], str] | None = None) -> list[Chunk]:
    rows: list[Chunk] = []
    seen: set[str] = set()
    for question in entry.questions:
        forms = [question, fold(question)]
        if restore is not None and not has_diacritics(question):
            forms.append(restore(normalize(question)))
        for form in forms:
            if form.lower() not in seen:
                seen.add(form.lower())
                rows.append(Chunk(entry.id, "faq", "question", entry.questions[0], "", form))
    rows.append(
        Chunk(
            entry.id,
            "faq",
            "passage",
            entry.questions[0],
            "",
            f"{entry.questions[0]}\n{entry.answer}",
        )
    )
    return rows


def knowledge_chunks(knowledge: Knowledge, max_words: int = MAX_WORDS) -> list[Chunk]:
    """All rows to index, FAQ first, in a stable order."""
    restorer = DiacriticRestorer(
        text
        for entry in knowledge.faqs
        for text in (*entry.questions, entry.answer)
        if has_diacritics(text)
    )
    chunks: list[Chunk] = []
    for entry in knowledge.faqs:
        chunks.extend(faq_chunks(entry, restorer.restore))
    for document in knowledge.documents:
        chunks.extend(document_chunks(document, max_words))
    return chunks


def count_by_source(chunks: Iterable[Chunk]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.source_id] = counts.get(chunk.source_id, 0) + 1
    return counts
