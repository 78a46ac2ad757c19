from __future__ import annotations

import pytest

from bot.sanitize import clean, one_line


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("\x1b[2J\x1b[HVNeID là gì?", "VNeID là gì?"),  # clear the screen, cursor home
        ("\x1b[31;1mđỏ\x1b[0m", "đỏ"),  # colours
        ("\x1b]0;pwned\x07tiêu đề", "tiêu đề"),  # set the window title
        ("\x1b]52;c;ZWNobyBoaQ==\x1b\\hỏi", "hỏi"),  # write to the clipboard
        ("\x1bP+q544e\x1b\\dcs", "dcs"),  # device control string
        ("\x9b31mC1\x9b0m", "C1"),  # 8-bit control sequence introducer
        ("a\x1b7b\x1b8c\x1bcd", "abcd"),  # save/restore cursor, reset
        ("\x1b[", ""),  # cut short
        ("sạch\x00\x07\x08\x7f\x85sẽ", "sạch\nsẽ"),  # NUL, bell, backspace, DEL; NEL breaks
        ("dòng 1\r\ndòng 2\rdòng 3", "dòng 1\ndòng 2\ndòng 3"),  # no overwriting a line
        ("abc\u202egnp.exe", "abcgnp.exe"),  # right-to-left override
        ("\u2066isolate\u2069", "isolate"),
    ],
)
def test_escape_sequences_and_control_characters_are_removed(typed: str, kept: str) -> None:
    assert clean(typed) == kept


def test_vietnamese_emoji_tabs_and_line_breaks_are_kept() -> None:
    text = "Cách kích hoạt VNeID mức 2? 👍🏽\n\tBước 1: mở ứng dụng; Đ đ ư ơ ễ ỹ — “ngoặc”"
    assert clean(text) == text


def test_one_line_puts_a_question_on_one_line_for_listings() -> None:
    assert one_line("  hỏi\n\nvề\t\x1b[1mVNeID\x1b[0m\r\n ") == "hỏi về VNeID"
