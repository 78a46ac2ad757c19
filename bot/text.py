"""Vietnamese text normalisation: Unicode, tone marks, abbreviations, spoken numbers, folding.

Citizens type in NFC or NFD, with old or new tone placement (hoà / hòa), without
diacritics, in teencode ("ko dc", "tk", "mk"), and by voice, which spells acronyms as they
sound ("vê en ai đi" for VNeID, "ô tê pê" for OTP). Questions and knowledge pass through
the same functions so that all of these meet in one form.

Rewrites come from two data files editors extend, `bot/data/abbreviations.tsv` and
`bot/data/phonetic.tsv`. A one-word key matches that word exactly ("hong" is teencode for
"không"; "hồng" is a colour). A key of several words typed without diacritics also matches
the words typed with them ("quen mk" matches "quên mk"); one with diacritics matches only
exactly ("nghị quyết năm bảy"). The longest key wins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng

# Open syllables ending in oa, oe, uy: the new style puts the tone on the last vowel
# (hoà, khoẻ, thuỷ), the traditional style used by official documents on the first
# (hòa, khỏe, thủy). "qu" is a consonant, so quý/quả are the same in both styles. A digit
# ends a syllable too: "uỳ0" is read as "ùy 0".
_NEW_STYLE = re.compile(
    r"(?<![qQ])([oO])([aAeE])([\u0300\u0301\u0303\u0309\u0323])(?![^\W\d_]|[\u0300-\u036f])"
    r"|(?<![qQ])([uU])([yY])([\u0300\u0301\u0303\u0309\u0323])(?![^\W\d_]|[\u0300-\u036f])"
)

_WORD = re.compile(r"[^\W_]+(?:[/.\-][^\W_]+)*", re.UNICODE)
_FOLD_TOKEN = re.compile(r"[a-z0-9]+")


def nfc(text: str) -> str:
    """Unicode NFC: one code point per accented letter."""
    return unicodedata.normalize("NFC", text)


def _move_tone(match: re.Match[str]) -> str:
    first, second, tone = (g for g in match.groups() if g is not None)
    return first + tone + second


def traditional_tones(text: str) -> str:
    """Move tone marks to the traditional position (hoà → hòa, thuỷ → thủy)."""
    decomposed = unicodedata.normalize("NFD", text)
    if not any(mark in decomposed for mark in _TONE_MARKS):
        return nfc(text)
    moved = _NEW_STYLE.sub(_move_tone, decomposed)
    return nfc(moved)


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


# Every accented Latin letter (Vietnamese's among them), folded one by one: a question is
# folded dozens of times per answer, and str.translate does it without decomposing.
_FOLDED_LETTERS = {
    code: _fold_slowly(chr(code))
    for block in (range(0xC0, 0x250), range(0x1E00, 0x1F00))
    for code in block
    if _fold_slowly(chr(code)) != chr(code)
}


def fold(text: str) -> str:
    """Strip diacritics (and đ → d) for matching text typed without them."""
    if text.isascii():
        return text
    folded = text.translate(_FOLDED_LETTERS)
    # What the table does not know (combining marks typed apart, other scripts): the long way.
    return folded if folded.isascii() else _fold_slowly(folded)


def words(text: str) -> list[str]:
    """Words of the text, dropping emoji and stray punctuation; keeps 57-NQ/TW and 22/12/2024."""
    return _WORD.findall(text)


REWRITE_FILES = ("data/abbreviations.tsv", "data/phonetic.tsv")


@dataclass(frozen=True)
class Rewrites:
    """Word-sequence rewrites: keys as tuples of words, folded or exact."""

    folded: dict[tuple[str, ...], str]
    exact: dict[tuple[str, ...], str]
    longest: int


def _read_rewrites(text: str, folded: dict, exact: dict) -> None:
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, expansion = line.partition("\t")
        words_of_key = tuple(traditional_tones(nfc(key.strip().lower())).split())
        if not expansion.strip() or not words_of_key:
            continue
        unaccented = all(fold(w) == w for w in words_of_key)
        table = folded if unaccented and len(words_of_key) > 1 else exact
        table[words_of_key] = nfc(expansion.strip())


@lru_cache(maxsize=1)
def rewrites() -> Rewrites:
    """The abbreviation and spoken-spelling tables, read once."""
    folded: dict[tuple[str, ...], str] = {}
    exact: dict[tuple[str, ...], str] = {}
    for name in REWRITE_FILES:
        _read_rewrites(resources.files("bot").joinpath(name).read_text("utf-8"), folded, exact)
    longest = max((len(k) for k in [*folded, *exact]), default=1)
    return Rewrites(folded, exact, longest)


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """The one-word rewrites, keyed by the word (read-only: shared by every caller)."""
    return {k[0]: v for k, v in rewrites().exact.items() if len(k) == 1}


def _rewrite(words_in: list[str]) -> list[str]:
    table = rewrites()
    folded = [fold(w) for w in words_in]
    out: list[str] = []
    i = 0
    while i < len(words_in):
        for size in range(min(table.longest, len(words_in) - i), 0, -1):
            exact = table.exact.get(tuple(words_in[i : i + size]))
            found = exact if exact is not None else table.folded.get(tuple(folded[i : i + size]))
            if found is not None:
                out.append(found)
                i += size
                break
        else:
            out.append(words_in[i])
            i += 1
    return out


def _split_letters_digits(word: str) -> str:
    # "muc2" / "mức2" / "lv2" → "muc 2"; keeps codes such as 57-nq/tw and 22/12/2024 whole.
    if "/" in word or "-" in word or "." in word:
        return word
    return re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", word)


# Acronyms that are Vietnamese words once lower-cased ("về AI" is not "về ai", about whom):
# read by their capitals, except in a message typed all in capitals.
_CASED_ACRONYMS = {"AI": "trí tuệ nhân tạo"}
_CASED_ACRONYM = re.compile(r"\b(" + "|".join(_CASED_ACRONYMS) + r")\b")


# A question is normalised by several steps of one answer (search, safety, composing), and
# FAQ traffic repeats questions: the work is done once per distinct text.
@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Canonical form of a question or passage: NFC, lower case, traditional tones,
    abbreviations expanded, emoji and stray punctuation removed."""
    if not text.isupper():
        text = _CASED_ACRONYM.sub(lambda m: _CASED_ACRONYMS[m.group(1)], text)
    # One rewrite can complete another's key ("wen pass1800" → "wen mật khẩu", which is
    # "quên mật khẩu"): rewriting again until nothing changes keeps a normalised text final.
    normalised, rewritten = _normalize_once(text)
    for _ in range(3):
        if not rewritten:
            break
        normalised, rewritten = _normalize_once(normalised)
    return normalised


def _normalize_once(text: str) -> tuple[str, bool]:
    """The text normalised once, and whether a rewrite changed any of its words."""
    lowered = traditional_tones(nfc(text).lower())
    table = abbreviations()
    pieces: list[str] = []
    expanded = False
    for word in words(lowered):
        split = _split_letters_digits(word) if word.isalnum() else word
        parts = split.split()
        if split != word and word not in table and parts[0] in table:
            pieces.append(table[parts[0]])  # "lv2" → "mức 2"
            expanded = True
        elif split != word and word not in table and not any(p in table for p in parts[1:]):
            pieces.extend(parts)
        else:
            # "0z" or "5kg" stay whole: split, their "z" and "kg" would be expanded by the
            # next normalisation, and a normalised text must already be final.
            pieces.append(word)
    rewritten = _spoken_numbers(_rewrite(pieces))
    return " ".join(rewritten), expanded or rewritten != pieces


# Numbers said aloud, as voice typing writes them ("bảy mươi hai tuổi", "mười triệu", "năm hai
# không ba mươi"): the knowledge base writes digits. Only accented words are read (a
# recogniser always writes marks; unaccented "muoi" may be "muối"), and only runs that hold
# mươi, mười, trăm or nghìn, or a year begun "hai không": a lone "một" or "hai" is a word as
# often as a number. "năm" after mươi/mười is "year" ("hai mươi năm"), so 5 there is "lăm".
_DIGITS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
           "tám": 8, "chín": 9}  # fmt: skip
_LAST_DIGITS = {**_DIGITS, "mốt": 1, "tư": 4, "lăm": 5}
del _LAST_DIGITS["năm"]
_DIGITS_READ_ONE_BY_ONE = {**_DIGITS, **_LAST_DIGITS, "không": 0}


def _tens(w: list[str], i: int) -> tuple[int, int] | None:
    """A number below 100 with "mười" or "mươi" at w[i:], and where it ends."""
    if i < len(w) and w[i] == "mười":
        value, i = 10, i + 1
    elif i + 1 < len(w) and w[i] in _DIGITS and w[i] != "một" and w[i + 1] == "mươi":
        value, i = 10 * _DIGITS[w[i]], i + 2
    else:
        return None
    if i < len(w) and w[i] in _LAST_DIGITS and not (value == 10 and w[i] == "mốt"):
        value, i = value + _LAST_DIGITS[w[i]], i + 1
    return value, i


def _below_thousand(w: list[str], i: int) -> tuple[int, int] | None:
    """A number below 1000 said at w[i:] ("hai trăm linh năm", "ba mươi"), and where it ends."""
    if i + 1 < len(w) and w[i + 1] == "trăm" and (w[i] in _DIGITS or w[i] == "không"):
        value, i = 100 * _DIGITS.get(w[i], 0), i + 2
        if i + 1 < len(w) and w[i] in ("linh", "lẻ") and w[i + 1] in _DIGITS:
            return value + _DIGITS[w[i + 1]], i + 2
        tens = _tens(w, i)
        return (value + tens[0], tens[1]) if tens else (value, i)
    return _tens(w, i)


def _year_read_by_digits(w: list[str], i: int) -> tuple[int, int] | None:
    """A year of this century said "hai không" then two digits or tens ("hai không hai lăm",
    "hai không ba mươi"), and where it ends."""
    if w[i : i + 2] != ["hai", "không"]:
        return None
    tens = _tens(w, i + 2)
    if tens:
        return 2000 + tens[0], tens[1]
    digits = [_DIGITS_READ_ONE_BY_ONE.get(d) for d in w[i + 2 : i + 4]]
    if len(digits) < 2 or None in digits:
        return None
    return 2000 + 10 * (digits[0] or 0) + (digits[1] or 0), i + 4


def _spoken_number(w: list[str], i: int) -> tuple[int, int] | None:
    """The number said at w[i:] (below a million), and where it ends; None if none is."""
    year = _year_read_by_digits(w, i)
    if year:
        return year
    head = _below_thousand(w, i)
    if head is None and i + 1 < len(w) and w[i] in _DIGITS and w[i + 1] in ("nghìn", "ngàn"):
        head = _DIGITS[w[i]], i + 1
    if head is None or head[0] == 0:
        return None
    value, end = head
    if end < len(w) and w[end] in ("nghìn", "ngàn"):
        rest = _below_thousand(w, end + 1)
        return (value * 1000 + rest[0], rest[1]) if rest else (value * 1000, end + 1)
    return head


def _spoken_numbers(words_in: list[str]) -> list[str]:
    """Numbers said in words written in digits: "năm mươi tám tuổi" → "58 tuổi"."""
    out: list[str] = []
    i = 0
    while i < len(words_in):
        found = _spoken_number(words_in, i)
        if found is None:
            out.append(words_in[i])
            i += 1
        else:
            out.append(str(found[0]))
            i = found[1]
    return out


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic."""
    return fold(text) != text


def lexical_tokens(text: str) -> list[str]:
    """Folded syllables and syllable bigrams, for BM25."""
    syllables = _FOLD_TOKEN.findall(fold(normalize(text)))
    bigrams = [f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False)]
    return syllables + bigrams
