# ruff: noqa: E501  (real paragraphs, kept whole)
"""Snippets: the original text around the best cluster, whole words marked, escaped, cut with "…"."""

from __future__ import annotations

import pytest

from search.engine import search
from search.index.store import IndexHolder
from search.query.request import parse_request
from search.results.snippets import make_snippet, plain_snippet

#: Real paragraphs of seeds/ with the snippets the engine gave before the window search used bisect.
CUT_CASES = [
    ('ونشرت وزارة الدفاع الروسية مقطع فيديو يُظهر بيلوسوف محاطًا بالجنود بينما كان في استقباله نظيره الصيني دونج جون على سجادة حمراء، وتأتي الزيارة غير المعلنة قبل أسبوع من قمة البريكس في كازان بروسيا، حيث من المتوقع أيضًا أن يحضر الرئيس الصيني شي جين بينج وزعيم الكرملين فلاديمير بوتين.',
     {'صين'},
     '…بيلوسوف محاطًا بالجنود بينما كان في استقباله نظيره <mark>الصيني</mark> دونج جون على سجادة حمراء، وتأتي الزيارة غير المعلنة قبل أسبوع من قمة البريكس في كازان بروسيا، حيث من المتوقع أيضًا أن يحضر الرئيس <mark>الصيني</mark> شي جين بينج وزعيم الكرملين فلاديمير بوتين.'),
    ('في ظل العزلة الدولية المستمرة منذ بداية الحرب في أوكرانيا قبل عامين، وصل الرئيس الروسي فلاديمير بوتين إلى الصين للقاء نظيره الصيني، سعياً للحصول على دعم أكبر لجهوده الحربية في أوكرانيا. تعد هذه أول رحلة خارجية لبوتين منذ إعادة انتخابه رئيساً في مارس، وثاني زيارة له إلى الصين خلال أكثر من ستة أشهر بقليل. يعتبر العملاق الآسيوي شريان حياة اقتصادي حيوي لروسيا التي تعاني من العقوبات الغربية المفروضة بسبب عدوانها العسكري في أوكرانيا.',
     {'صين'},
     '…فلاديمير بوتين إلى <mark>الصين</mark> للقاء نظيره <mark>الصيني</mark>، سعياً للحصول على دعم أكبر لجهوده الحربية في أوكرانيا. تعد هذه أول رحلة خارجية لبوتين منذ إعادة انتخابه رئيساً في مارس، وثاني زيارة له إلى <mark>الصين</mark> خلال أكثر من ستة أشهر بقليل. يعتبر العملاق…'),
    ('تعهد وزيرا الدفاع الصيني والروسي يوم الاثنين بتعميق التعاون بين جيشي بلديهما أثناء لقائهما في بكين، إذ عززت موسكو وبكين علاقاتهما منذ الحرب الروسية الأوكرانية في فبراير شباط 2022، وهو التحالف الذي أثار قلق الغرب حيث تسعى الدولتان إلى توسيع نفوذهما العالمي.',
     {'صين'},
     'تعهد وزيرا الدفاع <mark>الصيني</mark> والروسي يوم الاثنين بتعميق التعاون بين جيشي بلديهما أثناء لقائهما في بكين، إذ عززت موسكو وبكين علاقاتهما منذ الحرب الروسية الأوكرانية في فبراير شباط 2022، وهو التحالف الذي أثار قلق الغرب حيث تسعى الدولتان إلى توسيع…'),
]


@pytest.mark.parametrize(("text", "stems", "expected"), CUT_CASES)
def test_window_around_the_best_cluster(text: str, stems: set[str], expected: str) -> None:
    assert expected == make_snippet(text, stems=stems)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("وسّعت موسكو وبكين علاقاتهما", {"stems": {"موسكو"}}, "وسّعت <mark>موسكو</mark> وبكين علاقاتهما"),
        ("<b>الصين</b> & روسيا", {"stems": {"صين"}}, "&lt;b&gt;<mark>الصين</mark>&lt;/b&gt; &amp; روسيا"),
        ("الصينية والصين", {"exact_words": {"والصين"}}, "الصينية <mark>والصين</mark>"),
        ("مفاوضات مفتوحة", {"prefixes": {"مفاو"}}, "<mark>مفاوضات</mark> مفتوحة"),
        ("لا شيء هنا", {"stems": {"صين"}}, "لا شيء هنا"),
    ],
)
def test_marks_whole_words_and_escapes(text: str, kwargs: dict, expected: str) -> None:
    assert expected == make_snippet(text, **kwargs)


def test_a_phrase_is_marked_only_where_it_stands_whole() -> None:
    """A phrase's words are marked where they stand together, not alone elsewhere in the paragraph."""
    text = "سافر وزير الدفاع إلى بكين، إذ أكدت وزارة الدفاع الروسية ذلك."
    snippet = make_snippet(text, phrases={("وزاره", "الدفاع")})
    assert snippet == "سافر وزير الدفاع إلى بكين، إذ أكدت <mark>وزارة</mark> <mark>الدفاع</mark> الروسية ذلك."


def test_a_quoted_phrase_search_marks_the_phrase_not_its_lone_words(seed_index) -> None:
    """Through the engine, on a seed paragraph holding وزير الدفاع and وزارة الدفاع: only the phrase."""
    generation = IndexHolder(seed_index).get()
    hits = search(generation, parse_request({"q": '"وزارة الدفاع" وزير'})).hits
    snippets = [h["snippet"] for h in hits if "وزير الدفاع" in h["text"] and "وزارة الدفاع" in h["text"]]
    assert snippets and all("<mark>وزارة</mark> <mark>الدفاع</mark>" in s for s in snippets)
    assert not any("<mark>وزير</mark> <mark>الدفاع</mark>" in s for s in snippets)


def test_plain_snippet_cuts_at_a_word() -> None:
    text = "كلمة " * 100
    snippet = plain_snippet(text)
    assert snippet.endswith("…") and len(snippet) <= 241 and snippet[:-1].split() == ["كلمة"] * 48
