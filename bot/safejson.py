"""JSON from the network, parsed within limits on nesting depth and on the size of integers.

Python's json module recurses once per nesting level, so 100,000 opening brackets end in a
RecursionError, and it refuses integers of more than 4,300 digits with a bare ValueError;
either would escape as a 500. Here the depth is checked first, by one linear scan that skips
strings, and integers longer than any id a platform sends are refused while parsing. Every
refusal is a BadRequest("invalid_json", ...), which the server turns into a 400.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import BadRequest

# Telegram's deepest updates nest about ten levels; anything near this is not a real update.
MAX_DEPTH = 64
# A signed 64-bit integer, the widest id any platform (or SQLite) uses, has 19 digits.
MAX_INT_DIGITS = 19

# Depth counts brackets outside strings, whatever their kind: `{` and `}` become `[` and `]`.
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def loads(body: bytes | str) -> Any:
    """Parse a JSON body, refusing deep nesting, huge integers, NaN and malformed input."""
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    check_depth(data)
    try:
        return json.loads(data, parse_int=_int, parse_constant=_constant)
    except RecursionError:  # unreachable after check_depth; kept so no body can ever 500
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        raise BadRequest("invalid_json", "The request body must be valid JSON.") from None


def check_depth(data: bytes) -> None:
    """Raise BadRequest when arrays and objects nest deeper than MAX_DEPTH."""
    # All in C, in linear passes (a Python loop per bracket took seconds on a 1 MB body).
    # Escapes go first (`\\` before `\"`, as a parser reads them), so quotes delimit strings
    # and every other piece between quotes is outside them.
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    brackets = outside.translate(_SQUARE, _NOT_BRACKETS)
    # Each round deletes the innermost pairs, one level: MAX_DEPTH rounds empty a body that
    # nests at most MAX_DEPTH deep.
    for _ in range(MAX_DEPTH):
        inner = brackets.replace(b"[]", b"")
        if not inner or len(inner) == len(brackets):
            return  # within the limit, or unbalanced (which the parser refuses)
        brackets = inner
    if b"[]" in brackets:
        raise _too_deep()


def _too_deep() -> BadRequest:
    return BadRequest("invalid_json", f"JSON may nest at most {MAX_DEPTH} levels deep.")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadRequest("invalid_json", f"Integers may have at most {MAX_INT_DIGITS} digits.")
    return int(text)


def _constant(name: str) -> Any:
    raise BadRequest("invalid_json", f"{name} is not valid JSON.")
