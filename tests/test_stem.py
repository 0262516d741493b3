"""Light stemmer rules beyond Lucene: attached pronouns, with the words that must not be cut."""

from __future__ import annotations

import pytest

from search.stem import lucene_stem, stem


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("محادثاتهما", "محادث"),  # هما, then ات
        ("كتابهم", "كتاب"),  # هم
        ("بيوتهن", "بيوت"),  # هن
        ("ايمانكم", "ايم"),  # كم, then ان as for ايمان
        ("كتابكن", "كتاب"),  # كن
        ("بلادنا", "بلاد"),  # نا
        ("مقالاته", "مقال"),  # ه, then ات: as مقالات and مقالاتها
        ("انتصاراته", "انتصار"),
        ("كتابه", "كتاب"),
        # counter-examples: too short to hold a pronoun, or Latin
        ("مهم", "مهم"),
        ("فهم", "فهم"),
        ("حكم", "حكم"),
        ("هنا", "هنا"),
        ("ذاته", "ذات"),  # too short for ات + ه
        ("شبه", "شب"),  # as before: Lucene's own ه
        ("المدينه", "مدين"),  # ة normalized to ه is not a pronoun: ين stays
        ("مكانه", "مكان"),  # nor is ه after ان
        ("English", "English"),
    ],
)
def test_pronoun_suffixes(word: str, expected: str) -> None:
    """Attached pronouns go only when at least three letters remain."""
    assert expected == stem(word)


@pytest.mark.parametrize("word", ["كتابهم", "بلادنا", "محادثاتهما"])
def test_lucene_stem_keeps_pronouns(word: str) -> None:
    """The conformance baseline does not know the pronoun suffixes."""
    assert lucene_stem(word) != stem(word)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("اسماؤه", "اسماء"),  # nominative: hamza on waw
        ("اسمائه", "اسماء"),  # genitive: hamza on yeh
        ("اسماءه", "اسماء"),  # accusative: bare hamza
        ("اسماء", "اسماء"),
        ("ابنائها", "ابناء"),
        ("رؤساؤهم", "رؤساء"),
        # counter-examples: a hamza seat inside the stem stays
        ("رئيس", "رئيس"),
        ("سئل", "سئل"),
        ("مسؤول", "مسؤول"),
    ],
)
def test_final_hamza_is_written_bare(word: str, expected: str) -> None:
    """A stem's final hamza is one letter whatever seat the case ending gave it."""
    assert expected == stem(word)


def test_lucene_stem_keeps_hamza_seat() -> None:
    """The conformance baseline keeps the seat."""
    assert lucene_stem("اسمائه") == "اسمائ"
