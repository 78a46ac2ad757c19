from __future__ import annotations

import json

import pytest

from bot.errors import BadRequest
from bot.safejson import MAX_DEPTH, loads


def nested(depth: int) -> bytes:
    return b'{"a": ' * (depth - 1) + b"[1]" + b"}" * (depth - 1)


def test_json_nested_to_the_limit_is_read_and_one_level_more_is_refused() -> None:
    assert loads(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    with pytest.raises(BadRequest, match="at most 64 levels"):
        loads(nested(MAX_DEPTH + 1))


def test_brackets_and_escaped_quotes_inside_strings_do_not_count_as_nesting() -> None:
    text = '"[[{' * 100 + "\\\\" + "]]}"
    body = json.dumps({"q": text, "r": ["\\", "[" * 200]}).encode()
    assert loads(body) == {"q": text, "r": ["\\", "[" * 200]}


def test_unclosed_deep_nesting_is_refused_as_json_not_a_crash() -> None:
    with pytest.raises(BadRequest) as refused:
        loads(b"[" * 100_000)
    assert refused.value.code == "invalid_json"


@pytest.mark.parametrize("body", [b"NaN", b"[Infinity]", b"{'a': 1}", b"\xff\xfe{", b""])
def test_what_is_not_strict_json_is_refused(body: bytes) -> None:
    with pytest.raises(BadRequest) as refused:
        loads(body)
    assert refused.value.code == "invalid_json"


def test_integers_up_to_64_bits_are_read_longer_ones_refused() -> None:
    assert loads(b"[9223372036854775807, -9223372036854775808]") == [2**63 - 1, -(2**63)]
    with pytest.raises(BadRequest, match="19 digits"):
        loads(b"[12345678901234567890]")
    assert loads(b"[1e400, 0.5]") == [float("inf"), 0.5]  # floats have no digit limit to hit
