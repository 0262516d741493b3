"""The analyzer chain: tokens, offsets into the original text, stopwords after normalization."""

from __future__ import annotations

import pytest

from search.analysis.analyzer import STOPWORDS, analyze, arabic_analyzer, exact_tokens


def tokens(text: str) -> list[str]:
    """Return the analyzer's token texts."""
    return [t.text for t in arabic_analyzer()(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وTecno", ["tecno"]),  # conjunction glued to a Latin word
        ("و2023", ["2023"]),  # and to a number
        ("بلغ 543.7 مليار", ["بلغ", "543.7", "مليار"]),
        ("ارتفع 7.9%", ["ارتفع", "7.9"]),
        ("ما من متى أين كم هل كيف لماذا", []),  # question words are stopwords
        ("مِنْ فِي الَّذِي", []),  # vocalized stopwords are still stopped
        ("الكتاب كبيرة", ["كتاب", "كبير"]),
    ],
)
def test_analyzer_tokens(text: str, expected: list[str]) -> None:
    """The analyzer yields exactly these tokens."""
    assert expected == tokens(text)


def test_question_words_in_stop_list() -> None:
    """The stop list holds the normalized question words."""
    assert {"ما", "من", "متي", "اين", "كم", "هل", "كيف", "لماذا"} - STOPWORDS == set()


def test_vocalized_word_is_one_token_with_original_offsets() -> None:
    """A vocalized word is one token whose offsets cover the original word, marks included."""
    text = "اللغة الْعَرَبِيَّةُ جميلة"
    rows = analyze(text)
    assert [(r["original"], r["normalized"], r["stem"], text[r["start"]:r["end"]]) for r in rows] == [
        ("اللغة", "اللغه", "لغ", "اللغة"),
        ("الْعَرَبِيَّةُ", "العربيه", "عرب", "الْعَرَبِيَّةُ"),
        ("جميلة", "جميله", "جميل", "جميلة"),
    ]


def test_token_offsets_index_original_text() -> None:
    """startchar/endchar of every token index the original, unnormalized text."""
    text = "وَسَّعَتْ الصينيةُ ١٢٣"
    found = [(t.text, text[t.startchar:t.endchar]) for t in arabic_analyzer()(text, chars=True)]
    assert found == [("سعت", "وَسَّعَتْ"), ("صين", "الصينيةُ"), ("123", "١٢٣")]


def test_exact_tokens_keep_stopwords() -> None:
    """The exact field keeps stopwords and splits glued Latin words and numbers."""
    assert exact_tokens("وTecno في ٢٠٢٣") == ["و", "tecno", "في", "2023"]


@pytest.mark.parametrize("word", ["وأين", "ومتى", "فكيف", "ولماذا", "وهل", "بأي", "بكم", "لمادا", "مازا"])
def test_question_words_after_a_conjunction_are_stopped(word: str) -> None:
    """A question word with و/ف or ب/ل attached, or ماذا mistyped with د/ز, carries no topic."""
    assert tokens(word) == []


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("ازاي تعمل", "تعمل"), ("ليه ارتفع", "ارتفع"), ("كام سعر", "سعر"), ("قديش سعر", "سعر"),
        ("منو فاز", "فاز"), ("شنو صار", "صار"), ("شلون صار", "صار"), ("ماالذي حدث", "حدث"),
    ],
)
def test_colloquial_question_words_are_stopped(text: str, left: str) -> None:
    """Egyptian, Levantine and Gulf question words carry no topic: only the content word is left."""
    assert tokens(text) == tokens(left) != []


@pytest.mark.parametrize(("word", "stem"), [("كاميرا", "كاميرا"), ("منوعات", "منوع"), ("شلال", "شلال")])
def test_words_starting_like_colloquial_question_words_are_kept(word: str, stem: str) -> None:
    """A content word that starts like a colloquial question word (كام, منو, شلون) keeps its stem."""
    assert tokens(word) == [stem]


@pytest.mark.parametrize(
    ("word", "stem"), [("فقد", "فقد"), ("بكاء", "بكاء"), ("مازال", "مازال"), ("مادة", "ماد"), ("وكيل", "وكيل")]
)
def test_content_words_like_question_words_are_kept(word: str, stem: str) -> None:
    """Words that only look like a particle plus a question word keep their stem (فقد "lost", مادة)."""
    assert tokens(word) == [stem]


@pytest.mark.parametrize("text", ["تم عرضها", "يتم بناؤها", "يمكن تعريف", "اللتى نشرت", "اللذي كتب"])
def test_light_verbs_and_mistyped_relatives_are_stopped(text: str) -> None:
    """The passive auxiliary تم, يمكن and the relatives mistyped with a doubled lam carry no topic."""
    assert len(tokens(text)) == 1


@pytest.mark.parametrize(("word", "stem"), [("تمام", "تمام"), ("تمثال", "تمثال"), ("يمكث", "يمكث")])
def test_words_near_light_verbs_are_kept(word: str, stem: str) -> None:
    """Words that start like تم or يمكن keep their stems."""
    assert tokens(word) == [stem]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("عام 632هـ", ["عام", "632"]),  # the hijri mark after a year
        ("سنة 1994م", ["سن", "1994"]),
        ("323 ق.م", ["323"]),
        ("د. أحمد", ["احمد"]),
        ("5 دول", ["5", "دول"]),  # a lone digit is kept
    ],
)
def test_single_letters_are_stopped(text: str, expected: list[str]) -> None:
    """A lone Arabic letter is an abbreviation, not a topic; a lone digit stays."""
    assert expected == tokens(text)


def test_exact_field_keeps_single_letters() -> None:
    """Phrases still see the abbreviation: the exact field keeps every letter."""
    assert exact_tokens("632هـ") == ["632", "ه"]


@pytest.mark.parametrize(("word", "stem"), [("آلية", "اليه"), ("آليّة", "اليه"), ("وآلية", "اليه"), ("آن", "ان")])
def test_a_word_printed_unlike_any_stopword_is_kept(word: str, stem: str) -> None:
    """آلية "mechanism" normalizes to اليه like the stopword إليه; its آ (or a final ة) tells them apart."""
    assert [t["stem"] for t in analyze(word)] == [stem]


@pytest.mark.parametrize("word", ["إليه", "اليه", "أن", "ثمة", "منه"])
def test_stopwords_as_printed_stay_stopped(word: str) -> None:
    assert [t["stopword"] for t in analyze(word)] == [True]


def test_a_search_for_a_mechanism_finds_it_and_not_to_him(tmp_path) -> None:
    from search.engine import search
    from search.query.request import parse_request
    from tests.helpers.corpus import opened_index, text_rows

    rows = text_rows([
        ("mechanism", "اتفق الطرفان على آلية جديدة لتوزيع المساعدات."),
        ("plural", "ناقش المجلس الآليات المقترحة والآلية المعتمدة."),
        ("to-him", "أشار إليه الوزير في كلمته وتوجه إليه بالشكر."),
    ])
    with opened_index(tmp_path, rows) as generation:
        found = search(generation, parse_request({"q": "آلية"}))
        assert [hit["article_id"] for hit in found.hits] == ["mechanism", "plural"]
        assert "<mark>آلية</mark>" in found.hits[0]["snippet"]
