"""Spelling variants of a word: a foreign "g" written three ways (بينج/بينغ/بينق), a hamza on another seat
(مسئول/مسؤول) or left off it (مسوول), a long vowel of a transliteration added or dropped (بوتن/بوتين), and
for an unknown word ك/ق (كازان/قازان). Pure functions of the word; :mod:`search.query.variants` keeps the
ones the index knows.
"""

from __future__ import annotations

from pyarabic import araby

#: Letters written for a foreign "g", and long vowels a transliteration may add or drop.
G_LETTERS = (araby.JEEM, araby.GHAIN, araby.QAF)
LONG_VOWELS = (araby.YEH, araby.WAW)
#: The seats a hamza inside a word is written on, by regional habit (Egyptian مسئول, شئون; Saudi and
#: Levantine مسؤول, شؤون; تساءل, تسائل, تساؤل): normalization keeps them apart, as Lucene does.
HAMZA_FORMS = (araby.WAW_HAMZA, araby.YEH_HAMZA, araby.HAMZA)
NON_JOINING = frozenset((araby.ALEF, araby.DAL, araby.THAL, araby.REH, araby.ZAIN, araby.WAW))
MIN_VARIANT_LETTERS = 4


def drops_pattern_waw(stem: str, variant: str) -> bool:
    """True when a variant drops the و of the native patterns مفعول or فعول, which is no long vowel of a
    transliteration: مديون is not مدين (المدينة), ضروب is not ضرب.

    >>> drops_pattern_waw("مديون", "مدين"), drops_pattern_waw("ضروب", "ضرب"), drops_pattern_waw("بوتن", "بتن")
    (True, True, False)
    """
    if len(stem) == 5 and stem[0] == araby.MEEM and stem[3] == araby.WAW:
        return variant == stem[:3] + stem[4]
    return len(stem) == 4 and stem[2] == araby.WAW and variant == stem[:2] + stem[3]


def _may_vary(word: str) -> bool:
    """True for an Arabic word long enough to have spelling variants (MIN_VARIANT_LETTERS letters)."""
    return len(word) >= MIN_VARIANT_LETTERS and araby.is_arabicrange(word[0])


def spelling_variants(word: str) -> list[str]:
    """Return the word with one g-letter swapped, one inner hamza on another seat, or one inner long
    vowel added or dropped.

    >>> spelling_variants("بوتن"), spelling_variants("شئون")[:2]
    (['بؤتن', 'بتن', 'بوتون', 'بوتين'], ['شؤون', 'شئؤن'])
    """
    if not _may_vary(word):
        return []
    found = set(hamza_variants(word)) | set(dropped_hamza(word))
    for i, char in enumerate(word):
        if char in G_LETTERS:
            found.update(word[:i] + g + word[i + 1 :] for g in G_LETTERS if g != char)
        if char in LONG_VOWELS and 0 < i < len(word) - 1:
            found.add(word[:i] + word[i + 1 :])
    for i in range(1, len(word)):
        if word[i - 1] not in LONG_VOWELS and word[i] not in LONG_VOWELS:
            found.update(word[:i] + v + word[i:] for v in LONG_VOWELS)
    found.discard(word)
    return sorted(found)


def hamza_variants(word: str) -> list[str]:
    """Return the word with one inner hamza on another seat: the same word in any case.

    >>> hamza_variants("شئون")
    ['شؤون']
    """
    if not _may_vary(word):
        return []
    found: set[str] = set()
    for i, char in enumerate(word):
        if char in HAMZA_FORMS and i > 0:
            # a bare ء stands inside a word only after a letter that does not join the next (تساءل)
            forms = HAMZA_FORMS if word[i - 1] in NON_JOINING else HAMZA_FORMS[:2]
            found.update(word[:i] + form + word[i + 1 :] for form in forms if form != char)
    return sorted(found)


def dropped_hamza(word: str) -> list[str]:
    """Return the word with one و or ي after its first letter written as the hamza it may be the seat of:
    a keyboard or a hurried hand writes the seat alone (مسوول, رييس, سوال for مسؤول, رئيس, سؤال).

    >>> dropped_hamza("مسوول"), dropped_hamza("رييس")
    (['مسؤول', 'مسوؤل'], ['رئيس', 'ريئس'])
    """
    if not _may_vary(word):
        return []
    seats = {araby.WAW: araby.WAW_HAMZA, araby.YEH: araby.YEH_HAMZA}
    return sorted({word[:i] + seats[c] + word[i + 1 :] for i, c in enumerate(word) if i > 0 and c in seats})


def k_variants(word: str) -> list[str]:
    """Return the word with one ك written ق or one ق written ك, as a foreign "k" is (كازان / قازان).

    Only for a word the index does not know: between known words the swap joins other words (قلب, كلب).

    >>> k_variants("قازان")
    ['كازان']
    """
    if not _may_vary(word):
        return []
    swap = {araby.KAF: araby.QAF, araby.QAF: araby.KAF}
    return sorted({word[:i] + swap[c] + word[i + 1 :] for i, c in enumerate(word) if c in swap})
