"""Compound names written glued or spaced: the pure rules, and both spellings through a real index."""

from __future__ import annotations

import pytest

from search.analysis.names import join_compound, split_compound
from search.engine import search
from search.query.request import parse_request
from tests.helpers.corpus import opened_index, text_rows


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("عبدالعزيز", ("عبد", "العزيز")),
        ("عبدالله", ("عبد", "الله")),
        ("ابوظبي", ("ابو", "ظبي")),
        ("عبدربه", ("عبد", "ربه")),
        # counter-examples: a suffix after the head is no second name
        ("عبده", None),
        ("عبدان", None),
        ("ابواب", None),
        ("ابوين", None),
        ("عبد", None),
        ("العزيز", None),
    ],
)
def test_split_compound(word: str, expected: tuple[str, str] | None) -> None:
    """A glued compound name splits after its head; a head with a suffix does not."""
    assert expected == split_compound(word)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [("عبد", "العزيز", "عبدالعزيز"), ("ابو", "بكر", "ابوبكر"), ("عبد", "ه", None), ("زار", "العزيز", None)],
)
def test_join_compound(first: str, second: str, expected: str | None) -> None:
    """Two spaced words glue only after a compound head and before a word of three letters or more."""
    assert expected == join_compound(first, second)


ARTICLES = [
    ("glued", "استقبل الملك سلمان بن عبدالعزيز الوفد في جدة."),
    ("spaced", "أصدر الملك سلمان بن عبد العزيز أمرا ملكيا."),
    ("city", "وصل الوفد إلى أبو ظبي صباحا."),
    ("city_glued", "افتتح معرض أبوظبي للكتاب."),
    ("other", "زار الوفد مدينة جدة."),
    ("apart", "قال عبد الرحمن إن العزيز غائب."),
]


@pytest.fixture(scope="module")
def generation(tmp_path_factory: pytest.TempPathFactory):
    """A real index holding each name in both spellings."""
    rows = text_rows(ARTICLES)
    with opened_index(tmp_path_factory.mktemp("names"), rows) as opened:
        yield opened


def found(generation, q: str) -> list[str]:
    """Return the article ids an all-word search finds, sorted."""
    return sorted(h["article_id"] for h in search(generation, parse_request({"q": q})).hits)


@pytest.mark.parametrize("q", ["عبدالعزيز", "عبد العزيز", "سلمان بن عبدالعزيز", "الملك سلمان بن عبد العزيز"])
def test_both_spellings_of_a_name_are_found(generation, q: str) -> None:
    """Either spelling finds both paragraphs."""
    assert found(generation, q) == ["glued", "spaced"]


@pytest.mark.parametrize("q", ["أبو ظبي", "أبوظبي", "ابوظبي"])
def test_both_spellings_of_a_place_are_found(generation, q: str) -> None:
    """أبو ظبي and أبوظبي find each other."""
    assert found(generation, q) == ["city", "city_glued"]


@pytest.mark.parametrize("q", ["عبد العزيز", "عبدالعزيز"])
def test_the_two_words_of_a_name_stand_side_by_side(generation, q: str) -> None:
    """عبد and العزيز apart (عبد الرحمن ... العزيز) are not the name."""
    assert "apart" not in found(generation, q)


def test_glued_name_is_marked_in_the_spaced_paragraph(generation) -> None:
    """A search for عبدالعزيز marks both words of عبد العزيز in the snippet."""
    hits = {h["article_id"]: h for h in search(generation, parse_request({"q": "عبدالعزيز"})).hits}
    assert "<mark>عبد</mark> <mark>العزيز</mark>" in hits["spaced"]["snippet"]
    assert "<mark>عبدالعزيز</mark>" in hits["glued"]["snippet"]
