"""Personal data masked out of citizens' text before it is stored, logged or relayed.

People type their phone number, their CCCD number, the OTP a scammer asked them for, an
account or card number, or an e-mail address into a question. None of it helps to answer
or to improve the knowledge base, so it is replaced by a label ("[số điện thoại]") first.

What citizens ask *about* is kept: years and dates (2024, 22/12/2024), document numbers
(57-NQ/TW, 69/2024/NĐ-CP), hotlines (113, 5656, 1900 xxxx, 1800 xxxx: short and 1800/1900
numbers are public), percentages and amounts of money (5 triệu, 500.000đ, 200000 đồng).
So most rules need a number of a personal shape (a mobile or landline number, 9 or 12
digits, a 16-digit card) or a keyword before it ("mã OTP", "số tài khoản", "CCCD"); only a
bare six-digit number, the usual OTP, is masked without one.

Rules match on a shadow of the text: lower case, without diacritics, one character for one,
so "so tai khoan", "số tài khoản" and "SỐ TÀI KHOẢN" are the same and spans map back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .text import fold, nfc

DAY_SECONDS = 86400

PHONE = "[số điện thoại]"
ID_NUMBER = "[số CCCD]"
OTP = "[mã OTP]"
ACCOUNT = "[số tài khoản]"
EMAIL = "[email]"

# Groups of digits joined by one space, dot or dash; later groups have at least two digits,
# so "stk 0123456789 5 lần" keeps its "5".
_DIGITS = r"\d+(?:[ .\-]\d{2,})*"
# A number ends where no letter, digit, %, / or decimal part follows.
_END = r"(?![^\W_]|[%/_]|[.,\-]\d)"
_START = r"(?<![\w+/.,\-])"
# A run of nine or more digits is somebody's number even when a letter touches it ("0123…9A").
_LONG_START = r"(?<![\d+/.,\-])"
_LONG_END = r"(?![\d%/_]|[.,\-]\d)"
_MONEY = r"(?!\s*(?:dong|d|vnd|k|nghin|ngan|trieu|tr|ty|ti|usd|%)(?![a-z]))"
_SEP = r"[\s:=#.,()\-]"
# Up to four words between a keyword and its number: "số tài khoản Vietcombank của tôi là".
_GAP = rf"(?:{_SEP}+[^\W\d_]+){{0,4}}?{_SEP}*"

_ACCOUNT_KEYS = (
    r"so tai khoan|tai khoan ngan hang|stk|so tk|tk|so the|"
    r"the (?:atm|tin dung|ghi no|ngan hang|visa|master(?:card)?)|account|card number"
)
_ID_KEYS = (
    r"cccd|can cuoc(?: cong dan)?|cmnd|cmt|chung minh(?: nhan dan| thu)?|"
    r"(?:so|ma) dinh danh(?: ca nhan)?|dinh danh ca nhan|ho chieu|passport"
)
_OTP_KEYS = (
    r"otp|ma (?:xac (?:thuc|nhan|minh)|kich hoat|dang nhap|bao mat|pin|otp)|pin code|"
    r"passcode|verification code|code"
)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    label: Callable[[str, str, int], str | None]  # (digits, original text, start) -> label


def _digit_count(lo: int, hi: int, label: str) -> Callable[[str, str, int], str | None]:
    return lambda digits, text, start: label if lo <= len(digits) <= hi else None


def _keyword(keys: str, lo: int, hi: int, label: str) -> _Rule:
    pattern = re.compile(rf"(?<![a-z0-9])(?:{keys})(?![a-z]){_GAP}(?P<n>{_DIGITS}){_END}")
    return _Rule(pattern, _digit_count(lo, hi, label))


def _code_after_ma(digits: str, text: str, start: int) -> str | None:
    # The shadow's "ma" is also mà (but), má, mả, ma (ghost): only "mã", or "ma" typed
    # without diacritics, introduces a code.
    return OTP if 4 <= len(digits) <= 8 else None


def _long_number(digits: str, text: str, start: int) -> str | None:
    if digits.startswith(("1800", "1900")):
        return None  # a public hotline
    if len(digits) in (9, 12):
        return ID_NUMBER  # CMND (9) or CCCD (12)
    return ACCOUNT if len(digits) >= 10 else None


def _bare_six(digits: str, text: str, start: int) -> str | None:
    before = _shadow(text[max(0, start - 24) : start])
    return None if re.search(r"buu (?:chinh|dien)|zip|postal", before) else OTP


_RULES = [
    _Rule(
        re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),
        lambda digits, text, start: EMAIL,
    ),
    _keyword(_ACCOUNT_KEYS, 6, 19, ACCOUNT),
    _keyword(_ID_KEYS, 8, 12, ID_NUMBER),
    _keyword(_OTP_KEYS, 4, 8, OTP),
    _Rule(
        re.compile(
            rf"(?<![a-z0-9])(?P<ma>ma)(?:\s*:\s*|\s+(?:cua\s+(?:toi|em|minh|ban)\s+)?(?:la\s*)?)"
            rf"(?P<n>{_DIGITS}){_END}"
        ),
        _code_after_ma,
    ),
    # A card: four groups of four digits.
    _Rule(
        re.compile(rf"{_START}(?P<n>\d{{4}}([ \-])\d{{4}}\2\d{{4}}\2\d{{4}}){_END}"),
        lambda digits, text, start: ACCOUNT,
    ),
    # Mobile (0 + 9 digits) and landline (02x + 8 digits) numbers, also as +84 / 84.
    _Rule(
        re.compile(
            r"(?<![\w+(])(?P<n>(?:\(\+?84\)|\+84|84|0)[ .\-]?(?:[35789]|2\d)(?:[ .\-]?\d){8})"
            r"(?!\d)"
        ),
        lambda digits, text, start: PHONE,
    ),
    # A CCCD written in groups: 3-3-3-3 or 4-4-4.
    _Rule(
        re.compile(
            rf"{_START}(?P<n>\d{{3}}( )\d{{3}}\2\d{{3}}\2\d{{3}}|\d{{4}} \d{{4}} \d{{4}}){_END}"
        ),
        lambda digits, text, start: ID_NUMBER,
    ),
    _Rule(re.compile(rf"{_LONG_START}(?P<n>\d{{9,19}}){_LONG_END}{_MONEY}"), _long_number),
    _Rule(re.compile(rf"{_START}(?P<n>\d{{6}}){_END}{_MONEY}"), _bare_six),
]


@lru_cache(maxsize=8192)
def _shadow_char(char: str) -> str:
    folded = fold(char).lower()
    if len(folded) == 1:
        return folded
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def _shadow(text: str) -> str:
    """Lower case without diacritics, exactly one character for each of `text`."""
    return "".join(_shadow_char(char) for char in text)


def mask(text: str) -> str:
    """The text with phone, CCCD/CMND, OTP, account and card numbers and e-mail addresses
    replaced by labels."""
    if not any(char.isdigit() or char == "@" for char in text):
        return text
    text = nfc(text)  # one code point per letter, so "mã" is two characters, as in the shadow
    shadow = _shadow(text)
    for rule in _RULES:
        found: list[tuple[int, int, str]] = []
        for match in rule.pattern.finditer(shadow):
            group = "n" if "n" in rule.pattern.groupindex else 0
            start, end = match.span(group)
            if "ma" in rule.pattern.groupindex and text[match.start("ma") + 1] not in "ãaÃA":
                continue
            label = rule.label(re.sub(r"\D", "", shadow[start:end]), text, start)
            if label is not None:
                found.append((start, end, label))
        # Each rule sees the labels of the rules before it, as it would in masked text:
        # masking again then changes nothing.
        for start, end, label in reversed(found):
            text = text[:start] + label + text[end:]
            shadow = shadow[:start] + _shadow(label) + shadow[end:]
    return text


def retention_cutoff(days: int, now: float | None = None) -> float:
    """The time (epoch seconds) before which question text is no longer kept."""
    return (time.time() if now is None else now) - days * DAY_SECONDS
