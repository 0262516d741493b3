"""Two spellings of one name told from two native words by their context, on real SaudiNewsNet articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.analysis import analyze_word
from search.context import context_lift, same_word
from search.corpus import ReadReport, read_corpus
from search.engine import search
from search.request import parse_request
from search.variants import alef_variants
from tests.helpers.corpus import opened_index

#: Names written two ways in the corpus; the articles holding them are indexed with every tenth article.
NAMES = ("ترامب", "ترمب", "بوتين", "بوتن", "نتنياهو", "نتانياهو")


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, shared: Path):
    """A real index of SaudiNewsNet: the articles naming NAMES and every tenth article besides (3,470)."""
    rows = []
    for i, article in enumerate(read_corpus([shared / "corpora" / "saudinewsnet"], ReadReport())):
        text = "\n".join(article.paragraphs)
        if i % 10 == 0 or any(name in text for name in NAMES):
            rows.append({"id": article.id, "title": article.title, "source": article.source,
                         "date": article.date, "text": text})
    with opened_index(tmp_path_factory.mktemp("news"), rows) as opened:
        yield opened


def stem(word: str) -> str:
    """Return a word's index stem."""
    return analyze_word(word)[1]


@pytest.mark.parametrize(("common", "rare"), [("ترامب", "ترمب"), ("بوتين", "بوتن"), ("نتنياهو", "نتانياهو")])
def test_two_spellings_of_a_name_share_their_context(news, common: str, rare: str) -> None:
    assert same_word(news, stem(common), stem(rare))
    assert same_word(news, stem(rare), stem(common))  # either way round


@pytest.mark.parametrize(
    ("word", "other"), [("محمد", "محمود"), ("كتاب", "كتب"), ("قتال", "قتل"), ("غرب", "قرب"), ("حسين", "حسن")]
)
def test_native_words_a_letter_apart_are_not_one_word(news, word: str, other: str) -> None:
    assert not same_word(news, stem(word), stem(other))


def test_lift_is_zero_for_a_word_the_index_lacks(news) -> None:
    assert context_lift(news, stem("ترامب"), "كلمةغيرموجودة") == 0.0


def found(generation, q: str) -> set[str]:
    """Return the normalized words the snippets of a search mark, over all its pages."""
    words: set[str] = set()
    for page in range(1, 100):
        hits = search(generation, parse_request({"q": q, "per_page": "100", "page": str(page)})).hits
        words.update(w for h in hits for w in _marked(h["snippet"]))
        if len(hits) < 100:
            return words
    raise AssertionError(f"{q!r} matched more than 9,900 paragraphs")


def _marked(snippet: str) -> list[str]:
    """Return the words a snippet marks, normalized."""
    return [analyze_word(part.split("</mark>")[0])[0] for part in snippet.split("<mark>")[1:]]


@pytest.mark.parametrize(("typed", "other"), [("ترمب", "ترامب"), ("ترامب", "ترمب"), ("بوتين", "بوتن")])
def test_a_search_finds_the_other_spelling_of_a_name(news, typed: str, other: str) -> None:
    """An established name finds its minority spelling and the minority spelling finds it, marked as printed."""
    assert analyze_word(other)[0] in found(news, typed)


def test_a_native_word_does_not_find_its_neighbour(news) -> None:
    """محمود (another name) is not searched for محمد, whose paragraphs are many."""
    assert "محمود" not in found(news, "محمد")


def test_alef_variants_drop_or_add_one_inner_alef() -> None:
    assert "ترمب" in alef_variants("ترامب") and "ترامب" in alef_variants("ترمب")
    assert "نتانياهو" in alef_variants("نتنياهو")
    assert alef_variants("قطر") == []  # too short
    assert all(v[0] == "ت" and v[-1] == "ب" for v in alef_variants("ترمب"))  # never at either end
    assert "باوتن" not in alef_variants("بوتن") and "بواتن" not in alef_variants("بوتن")  # nor by a long vowel
