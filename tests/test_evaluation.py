"""How answers are judged: the figures `make eval` prints must mean what they say."""

from bot.answer import Answer, SourceRef
from bot.evaluation import Case, Result

TEAM = SourceRef("tcns-tim-o-dau", "Tìm Tổ công nghệ số", "", None)


def _case(expected: tuple[str, ...]) -> Case:
    return Case("x1", "muốn nói chuyện với người thật", "answer", expected, split="tune")


def test_a_request_for_a_person_handed_over_counts_as_first_and_right() -> None:
    handed_over = Answer("q", True, "Tôi đã ghi nhận…", "none", 1.0, [], intent="handover")
    result = Result(_case(("bot-gap-can-bo",)), handed_over)
    assert result.right_first and result.right


def test_a_canned_reply_that_is_not_what_was_asked_is_wrong() -> None:
    about = Answer("q", True, "Tôi là trợ lý…", "none", 1.0, [], intent="about")
    result = Result(_case(("bot-gap-can-bo",)), about)
    assert not result.right_first and not result.right


def test_a_searched_answer_is_first_when_its_best_source_is_expected() -> None:
    found = Answer("q", False, "Xin lỗi…", "none", 0.3, [TEAM])
    result = Result(_case(("tcns-tim-o-dau",)), found)
    assert result.right_first and not result.right
