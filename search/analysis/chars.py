"""Arabic character data: named sets, ranges and translation tables, nothing else.

Built from :mod:`pyarabic.araby` names; the few code-point ranges pyarabic does not name
are spelled once here, each with its Unicode block in a comment.
"""

from __future__ import annotations

import unicodedata

from pyarabic import araby

#: Tashkeel Lucene strips: fathatan .. sukun (U+064B..U+0652).
HARAKAT = frozenset(araby.TASHKEEL)
#: Every Arabic combining mark we strip: U+064B..U+065F (harakat, maddah, hamza above/below,
#: subscript alef, ...), the superscript alef U+0670 and the Quranic annotation marks U+06D6..U+06ED.
COMBINING_MARKS = frozenset(
    [chr(c) for c in range(ord(araby.FATHATAN), ord(araby.FATHATAN) + 21)]
    + [araby.MINI_ALEF]
    + [chr(c) for c in range(0x06D6, 0x06EE) if c not in (0x06E5, 0x06E6, 0x06E9)]
)
TATWEEL = araby.TATWEEL
#: Zero-width joiners/non-joiners, LRM/RLM, bidi embeddings, overrides and isolates, BOM.
FORMAT_CONTROLS = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u061c"
)

#: Alef variants folded to bare alef (Lucene): madda, hamza above, hamza below, wasla.
ALEF_VARIANTS = frozenset(
    [araby.ALEF_MADDA, araby.ALEF_HAMZA_ABOVE, araby.ALEF_HAMZA_BELOW, araby.ALEF_WASLA]
)

#: Letters of Persian, Urdu and Kurdish keyboards that Arabic text copied from them carries under
#: another code point: the same letter to a reader (ی and ي look alike inside a word), so folded.
SAME_LETTER_FOLDS = {
    "ARABIC LETTER FARSI YEH": araby.YEH,
    "ARABIC LETTER YEH BARREE": araby.YEH,
    "ARABIC LETTER KEHEH": araby.KAF,
    "ARABIC LETTER HEH GOAL": araby.HEH,
    "ARABIC LETTER HEH DOACHASHMEE": araby.HEH,
    "ARABIC LETTER AE": araby.HEH,
    "ARABIC LETTER TEH MARBUTA GOAL": araby.HEH,
    "ARABIC LETTER HEH WITH YEH ABOVE": araby.HEH,
}
#: Letters written for sounds Arabic lacks (p, v, ch, zh, g) in foreign names (إسپانيا, ڤيينا,
#: إنگلاند), folded to the letter a reader types instead (a g then meets its other spellings through
#: search.query.variants.G_LETTERS).
FOREIGN_SOUND_FOLDS = {
    "ARABIC LETTER PEH": araby.BEH,
    "ARABIC LETTER VEH": araby.FEH,
    "ARABIC LETTER TCHEH": araby.JEEM,
    "ARABIC LETTER JEH": araby.ZAIN,
    "ARABIC LETTER GAF": araby.JEEM,
    "ARABIC LETTER QAF WITH THREE DOTS ABOVE": araby.QAF,
    "ARABIC LETTER NG": araby.JEEM,
}
_LETTER_FOLDS = {
    unicodedata.lookup(name): letter for name, letter in {**SAME_LETTER_FOLDS, **FOREIGN_SOUND_FOLDS}.items()
}

#: Arabic decimal separator and thousands separator, folded to "." and dropped in numbers.
ARABIC_DECIMAL_SEPARATOR = "\u066b"
ARABIC_THOUSANDS_SEPARATOR = "\u066c"

#: One translation table for the per-character steps of :func:`search.analysis.normalize.normalize`.
FOLD_TABLE: dict[int, str | None] = {
    **{ord(c): None for c in COMBINING_MARKS | FORMAT_CONTROLS | {TATWEEL}},
    **{ord(c): araby.ALEF for c in ALEF_VARIANTS},
    **{ord(c): letter for c, letter in _LETTER_FOLDS.items()},
    ord(araby.ALEF_MAKSURA): araby.YEH,
    ord(araby.TEH_MARBUTA): araby.HEH,
    ord(ARABIC_DECIMAL_SEPARATOR): ".",
}

# Character classes for the tokenizer (regular-expression fragments).
#: Arabic letters of the Arabic, Arabic Supplement and Extended-A blocks and the presentation forms.
_ARABIC_LETTER_RANGES = (
    "\u0621-\u063f\u0641-\u064a"  # Arabic: hamza .. yeh, tatweel excluded
    "\u066e-\u066f\u0671-\u06d3\u06d5\u06ee-\u06ef\u06fa-\u06fc\u06ff"  # Arabic: extended letters
    "\u0750-\u077f\u08a0-\u08c9"  # Arabic Supplement, Arabic Extended-A
    "\ufb50-\ufdff\ufe70-\ufefc"  # Arabic Presentation Forms-A and -B
)
_MARK_RANGES = "\u064b-\u065f\u0670\u06d6-\u06ed"
#: What may stand inside an Arabic word: letters, marks, tatweel and zero-width (non-)joiners.
ARABIC_WORD_CLASS = f"[{_ARABIC_LETTER_RANGES}{_MARK_RANGES}{TATWEEL}\u200c\u200d]"
#: A word character that is not Arabic script (Latin and other letters, every decimal digit).
OTHER_WORD_CLASS = (
    "(?:[^\\W_\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
    "|[\u0660-\u0669\u06f0-\u06f9])"
)
#: Separators allowed inside a number or an abbreviation: 543.7, 1,000, ٣٫٥.
INNER_SEPARATORS = f"[.,{ARABIC_DECIMAL_SEPARATOR}{ARABIC_THOUSANDS_SEPARATOR}]"
