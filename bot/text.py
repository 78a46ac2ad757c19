"""Vietnamese text normalisation: one place for Unicode, tone marks, abbreviations and folding.

Citizens type in NFC or NFD, with old or new tone placement (hoà / hòa), without
diacritics, and in teencode ("ko dc", "tk", "mk"). Questions and knowledge pass through
the same functions so that all of these meet in one form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng

# Open syllables ending in oa, oe, uy: the new style puts the tone on the last vowel
# (hoà, khoẻ, thuỷ), the traditional style used by official documents on the first
# (hòa, khỏe, thủy). "qu" is a consonant, so quý/quả are the same in both styles.
_NEW_STYLE = re.compile(
    r"(?<![qQ])([oO])([aAeE])([\u0300\u0301\u0303\u0309\u0323])(?![\w\u0300-\u036f])"
    r"|(?<![qQ])([uU])([yY])([\u0300\u0301\u0303\u0309\u0323])(?![\w\u0300-\u036f])"
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


def fold(text: str) -> str:
    """Strip diacritics (and đ → d) for matching text typed without them."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


def words(text: str) -> list[str]:
    """Words of the text, dropping emoji and stray punctuation; keeps 57-NQ/TW and 22/12/2024."""
    return _WORD.findall(text)


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """The abbreviation table (bot/data/abbreviations.tsv), keyed by the folded abbreviation."""
    table: dict[str, str] = {}
    text = resources.files("bot").joinpath("data/abbreviations.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        short, _, expansion = line.partition("\t")
        if expansion.strip():
            table[fold(short.strip().lower())] = nfc(expansion.strip())
    return table


def _split_letters_digits(word: str) -> str:
    # "muc2" / "mức2" / "lv2" → "muc 2"; keeps codes such as 57-nq/tw and 22/12/2024 whole.
    if "/" in word or "-" in word or "." in word:
        return word
    return re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", word)


def normalize(text: str) -> str:
    """Canonical form of a question or passage: NFC, lower case, traditional tones,
    abbreviations expanded, emoji and stray punctuation removed."""
    lowered = traditional_tones(nfc(text).lower())
    table = abbreviations()
    out: list[str] = []
    for word in words(lowered):
        expanded = table.get(fold(word))
        if expanded is None and word.isalnum():
            split = _split_letters_digits(word)
            parts = split.split()
            if split != word and fold(parts[0]) in table:
                expanded = table[fold(parts[0])]
            elif split != word and not any(fold(part) in table for part in parts[1:]):
                # "0z" or "5kg" stay whole: split, their "z" and "kg" would be expanded by
                # the next normalisation, and a normalised text must already be final.
                expanded = split
        out.append(expanded if expanded is not None else word)
    return " ".join(out)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic."""
    return fold(text) != text


def lexical_tokens(text: str) -> list[str]:
    """Folded syllables and syllable bigrams, for BM25."""
    syllables = _FOLD_TOKEN.findall(fold(normalize(text)))
    bigrams = [f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False)]
    return syllables + bigrams
