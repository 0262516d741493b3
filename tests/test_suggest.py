"""GET /api/suggest through the real app: completions from a real index of a small made-up corpus (whose counts
are read off the paragraphs below) and of the seeds, typed every way a reader types, and every 400.

A paragraph is one line; "paragraphs" in a comment counts the lines holding the word as a whole printed word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from search.index.indexing import build_index
from web import create_app

PARAGRAPHS = [
    "زار وفد الصين مجلس الأمن أمس.",
    "اجتمع مجلس الأمن لبحث ملف الصين.",
    "قال مجلس الأمن إن الصين وافقت.",
    "دعا مجلس الأمن، والصين، إلى الهدوء.",
    "استقبل ولي العهد وفد الصين.",
    "التقى ولي العهد مسؤولين من الشركة الصينية.",
    "أعلن ولي العهد أن الحكومة الصينية توافق.",
    "قالت الصحف الصينية إن مسؤولًا زار المدرسة.",
    "وَسَّعَتْ المدرسة مبانيها.",
    "وسّعت أوكرانيا علاقاتها مع المدرسة.",
    "أوكرانيا تطلب الدعم من المسؤول.",
    "قال المسؤول إن أوكرانيا بحاجة إلى مجلس للأمن.",
    "صيف حار في الصين.",
]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    """The real app over a real index of the paragraphs above."""
    corpus = tmp_path_factory.mktemp("suggest-corpus")
    (corpus / "metadata.tsv").write_text("file\tsource\tdate\ttitle\n001.txt\tوكالة\t2024-01-01\tأخبار\n", "utf-8")
    (corpus / "001.txt").write_text("\n".join(PARAGRAPHS) + "\n", "utf-8")
    index_dir = tmp_path_factory.mktemp("suggest-index")
    build_index([corpus], index_dir, procs=1)
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


def completions(client, q: str, **params: object) -> list[tuple[str, int, str]]:
    """GET /api/suggest and return its completions as (text, count, kind), asserting a 200 that echoes q."""
    response = client.get("/api/suggest", query_string={"q": q, **params})
    assert (200, "application/json") == (response.status_code, response.mimetype), response.get_json()
    body = response.get_json()
    assert q == body["q"]
    return [(c["text"], c["count"], c["kind"]) for c in body["completions"]]


# الصين stands alone in 5 paragraphs (والصين, glued to و in line 4, is another printed word, in one only);
# الصينية in 3; صيف in one (a one-off is left out of the table).
CHINA = [("الصين", 5, "word"), ("الصينية", 3, "word")]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("الصي", CHINA),
        ("صي", CHINA),  # typed without the article
        ("والصي", CHINA),  # with و in front
        ("بالصي", CHINA),
        ("للصي", CHINA),
        ("الصِّي", CHINA),  # with diacritics
        ("الصين", CHINA),  # a whole word completes to itself and its longer forms
        # ة typed as ه; the words are printed with ة
        ("المدرسه", [("المدرسة", 3, "word")]),
        ("الصينيه", [("الصينية", 3, "word")]),
        # the hamza left off: أوكرانيا in 3 paragraphs, المسؤول in 2 (مسؤولين, مسؤولًا once each)
        ("اوكر", [("أوكرانيا", 3, "word")]),
        ("مسو", [("المسؤول", 2, "word")]),
        ("مسؤ", [("المسؤول", 2, "word")]),
        # printed with diacritics once and with a shadda once: offered bare
        ("وسع", [("وسعت", 2, "word")]),
        ("وَسَّ", [("وسعت", 2, "word")]),
        # ى typed for ي
        ("ولى", [("ولي", 3, "word"), ("ولي العهد", 3, "phrase")]),
    ],
)
def test_a_prefix_completes_however_it_is_typed(small, q: str, expected: list) -> None:
    """The whole ranked list, most paragraphs first, for each way of typing the same prefix."""
    assert expected == completions(small, q)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # مجلس in 5 paragraphs, مجلس الأمن in 4 (مجلس للأمن is not the phrase; the comma after الأمن ends it)
        ("مجلس", [("مجلس", 5, "word"), ("مجلس الأمن", 4, "phrase")]),
        ("مجلس ال", [("مجلس الأمن", 4, "phrase")]),
        ("مجلس الا", [("مجلس الأمن", 4, "phrase")]),
        ("مجلس ", [("مجلس الأمن", 4, "phrase")]),  # a finished word: the phrases it begins
        ("ومجلس الأ", [("مجلس الأمن", 4, "phrase")]),
        ("ولي ال", [("ولي العهد", 3, "phrase")]),
        # no phrase: the last word is completed after the words typed before it, as typed
        ("أوكرانيا الصي", [("أوكرانيا الصين", 5, "word"), ("أوكرانيا الصينية", 3, "word")]),
        ('"وفد" -الصي', [('"وفد" -الصين', 5, "word"), ('"وفد" -الصينية', 3, "word")]),
    ],
)
def test_phrases_complete_the_words_typed(small, q: str, expected: list) -> None:
    """Two- and three-word phrases in 3 paragraphs or more complete what is typed; else the last word does."""
    assert expected == completions(small, q)


def test_nothing_for_one_letter_stopwords_or_unknown_prefixes(small) -> None:
    """A one-letter prefix, a stopword and a prefix the index never printed complete to nothing."""
    assert [] == completions(small, "ا")
    assert [] == completions(small, "أ ")
    assert [] == completions(small, "إلى")  # إلى is a stopword: no completion of its own
    assert [] == completions(small, "كمبيوتر")
    assert [] == completions(small, "   ")


def test_limit_cuts_the_ranked_list(small) -> None:
    """limit keeps the first completions of the ranking."""
    assert CHINA[:1] == completions(small, "صي", limit=1)
    assert CHINA == completions(small, "صي", limit=20)


def test_seed_completions(client) -> None:
    """On the seeds: what a reader typing about Russia and China is offered (counts from the seed texts)."""
    assert [
        ("الرئيس", 7, "word"), ("الرئيس الروسي", 4, "phrase"), ("الرئيس الصيني", 4, "phrase"),
        ("الرئيس الروسي فلاديمير", 3, "phrase"), ("الرئيس الصيني شي", 3, "phrase"),
    ] == completions(client, "الرييس", limit=5)
    assert [("شي جين بينج", 3, "phrase"), ("شي جين بينغ", 3, "phrase")] == completions(client, "شي جين ب")
    assert [("موسكو وبكين", 7, "phrase"), ("موسكو وبكين علاقاتهما", 3, "phrase")] == completions(client, "موسكو و")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_parameter"),
        ({"q": ""}, "missing_parameter"),
        ({"q": "ب" * 201}, "query_too_long"),
        ({"q": "بك\x00"}, "invalid_parameter"),
        ({"q": "بك", "limit": "0"}, "invalid_parameter"),
        ({"q": "بك", "limit": "21"}, "invalid_parameter"),
        ({"q": "بك", "limit": "ثمانية"}, "invalid_parameter"),
        ({"q": "بك", "limit": "٥"}, "invalid_parameter"),
        ({"q": "بك", "limit": "-3"}, "invalid_parameter"),
    ],
)
def test_bad_input_is_a_json_400(client, params: dict, code: str) -> None:
    """Missing or too long q, a NUL, a limit outside 1-20: 400 with the project's error body and a stable code."""
    response = client.get("/api/suggest", query_string=params)
    assert (400, "application/json") == (response.status_code, response.mimetype)
    body = response.get_json()
    assert {"error"} == set(body) and code == body["error"]["code"] and body["error"]["message"]


def test_limits_are_at_the_edge(client) -> None:
    """200 characters and a limit of 20 are accepted."""
    assert 200 == client.get("/api/suggest", query_string={"q": "ب" * 200, "limit": "20"}).status_code


def test_without_an_index_suggest_is_a_503(tmp_path: Path) -> None:
    """No index yet: the same 503 JSON error as search."""
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client()
    response = client.get("/api/suggest", query_string={"q": "بك"})
    assert (503, "index_unavailable") == (response.status_code, response.get_json()["error"]["code"])
