"""Shared Hypothesis settings and strategies for the property-based tests."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.text import abbreviations, rewrites


def examples(n: int) -> settings:
    """Modest example counts keep the suite fast; no example database is written."""
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


_VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
    "ùúủũụừứửữựỳýỷỹỵĐĂÂÊÔƠƯÀÁẢÃẠ"
)
_PIECES = [
    *sorted(abbreviations()),
    *abbreviations().values(),
    *sorted(" ".join(key) for key in rewrites().folded),  # "vc gi", "cu a ro"
    *("0", "12", "2024", "hoà", "hòa", "thuỷ", "khoẻ", "VNeID", "57-NQ/TW", "22/12/2024"),
    *("muc2", "mức2", "lv2", "0z", "5kg", "số", "tài", "khoản", "mã", "OTP", "CCCD"),
    *("0912345678", "001234567890", "a@b.vn", "1900", "113", "500.000đ"),
    "\u0301",  # a stray combining mark
    "\x1b[2J",
    "😀",
]

# Text as citizens type it (Vietnamese words, teencode, numbers, codes, odd marks and
# escapes), and any Unicode at all.
citizen_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list(_VIETNAMESE + " 0123456789/.-,?!%@:\n\t"))),
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)),
            st.sampled_from(["", " ", "  ", "\n", ".", "-", "/", ","]),
        ),
        max_size=12,
    ).map(lambda parts: "".join(word + gap for word, gap in parts)),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=16,
)


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# Bodies no parser should choke on: random bytes, deep nesting, huge and edge numbers.
hostile_bodies = st.one_of(
    st.binary(max_size=64),
    st.integers(min_value=1, max_value=5000).map(lambda d: b"[" * d + b"]" * d),
    st.integers(min_value=60, max_value=70).map(deep),
    st.integers(min_value=1, max_value=6000).map(lambda n: b'{"update_id": ' + b"9" * n + b"}"),
    st.sampled_from([b"NaN", b"[Infinity]", b"", b"null", b"\xff\xfe", b"{", b'"\\ud800"']),
)


def body_of(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()
