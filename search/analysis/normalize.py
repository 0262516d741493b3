"""Orthographic normalization of Arabic text: pure ``str -> str`` steps and :func:`normalize`.

Lucene's ArabicNormalizer folds alef variants, alef maksura and teh marbuta and strips tashkeel and
tatweel; we also fold presentation forms (NFKC), drop zero-width and bidi controls, map every decimal
digit to ASCII and lowercase Latin, and fold the Persian-keyboard forms of Arabic letters (ی ک ە) and the
letters of foreign sounds (پ ڤ چ ژ گ) to the Arabic letter a reader types. Hamza on waw and yeh (ؤ ئ) is
kept, as Lucene keeps it.
"""

from __future__ import annotations

import re
import unicodedata

from search.analysis.chars import (
    ARABIC_THOUSANDS_SEPARATOR,
    COMBINING_MARKS,
    FOLD_TABLE,
    FORMAT_CONTROLS,
    TATWEEL,
)

_MARKS_TABLE = {ord(c): None for c in COMBINING_MARKS}
_TATWEEL_TABLE = {ord(TATWEEL): None}
_CONTROLS_TABLE = {ord(c): None for c in FORMAT_CONTROLS}
_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f]")
_THOUSANDS = re.compile(rf"(?<=\d)[,{ARABIC_THOUSANDS_SEPARATOR}](?=\d{{3}}(?!\d))")


def fold_compatibility(text: str) -> str:
    """Fold presentation forms and ligatures (ﻻ -> لا) with NFKC.

    >>> fold_compatibility("\ufefb")
    'لا'
    """
    return unicodedata.normalize("NFKC", text) if not text.isascii() else text


def strip_diacritics(text: str) -> str:
    """Remove Arabic combining marks (harakat, shadda, superscript alef, Quranic marks).

    >>> strip_diacritics("وَسَّعَتْ")
    'وسعت'
    """
    return text.translate(_MARKS_TABLE)


def strip_tatweel(text: str) -> str:
    """Remove tatweel (kashida).

    >>> strip_tatweel("روبرـــــت")
    'روبرت'
    """
    return text.translate(_TATWEEL_TABLE)


def strip_controls(text: str) -> str:
    """Remove zero-width joiners, non-joiners and bidi controls."""
    return text.translate(_CONTROLS_TABLE)


def fold_digits(text: str) -> str:
    """Map every Unicode decimal digit to ASCII and drop thousands separators.

    >>> fold_digits("١٢٣٤ و۱٬۰۰۰")
    '1234 و1000'
    """
    if not text.isascii():
        text = _NON_ASCII_DIGIT.sub(_ascii_digit, text)
    return _THOUSANDS.sub("", text)


def _ascii_digit(match: re.Match[str]) -> str:
    """Return the ASCII digit for one matched character, or the character itself."""
    char = match.group()
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def normalize(text: str) -> str:
    """Normalize Arabic text for indexing and search, step by step.

    >>> normalize("أَحْمَدُ وإبراهيم في المدرسةِ الكُبرى ١٢٣")
    'احمد وابراهيم في المدرسه الكبري 123'
    """
    if text.isascii():
        return fold_digits(text.lower())
    text = fold_compatibility(text)
    # One table does the rest of the per-character work in order: strip marks, tatweel and
    # controls; fold alef variants to alef, alef maksura to yeh, teh marbuta to heh, Persian-keyboard
    # and foreign-sound letters to the Arabic letter typed for them.
    text = text.translate(FOLD_TABLE)
    return fold_digits(text).lower()
