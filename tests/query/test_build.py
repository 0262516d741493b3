"""Query building: re-ranking evidence never changes which paragraphs match."""

from __future__ import annotations

import pytest

from search.engine import search
from search.plan import AllOf, AnyOf, BestOf, Near, Node, Phrase, Prefix, Term, leaves
from search.query.build import build_query
from search.query.request import parse_query, parse_request
from tests.helpers.corpus import opened_index, text_rows


def stripped(q: Node) -> Node | None:
    """Remove the re-ranking evidence (title and proximity) from a built plan."""
    if isinstance(q, Term):
        return q if q.field == "text" else None
    if isinstance(q, Near):
        return None
    if isinstance(q, (AnyOf, AllOf)):
        kept = [s for s in (stripped(c) for c in q.parts) if s is not None]
        return type(q)(tuple(kept)) if len(kept) > 1 else kept[0]
    return q


@pytest.mark.parametrize(
    ("q", "mode", "expected"),
    [
        ("روسيا الصين", "all", AllOf((Term("text", "روسيا"), Term("text", "صين")))),
        ("روسيا الصين", "any", AnyOf((Term("text", "روسيا"), Term("text", "صين")))),
    ],
)
def test_evidence_only_reranks(q: str, mode: str, expected: Node) -> None:
    """Without its title and proximity evidence the query is the plain word query."""
    assert expected == stripped(build_query(parse_request({"q": q, "mode": mode})).query)


def test_all_mode_title_is_evidence_not_a_match() -> None:
    """In all-word mode the words must be in the paragraph; the title is scored on top candidates only."""
    plan = build_query(parse_request({"q": "روسيا الصين"}))
    assert AllOf((Term("text", "روسيا"), Term("text", "صين"))) == plan.query
    near = Near(Term("text", "روسيا", boost=0.25), Term("text", "صين", boost=0.25), slop=10)
    side_by_side = Near(Term("text", "روسيا", boost=1.0), Term("text", "صين", boost=1.0), slop=1)
    titles = (Term("title", "روسيا", boost=2.0), Term("title", "صين", boost=2.0))
    assert AnyOf((*titles, near, side_by_side)) == plan.evidence


def test_any_mode_title_matches() -> None:
    """In any-word mode a word may match the article title instead of the paragraph."""
    plan = build_query(parse_request({"q": "روسيا", "mode": "any"}))
    assert AnyOf((Term("text", "روسيا"), Term("title", "روسيا", boost=2.0))) == plan.query
    assert plan.evidence is None


def test_two_word_synonym_marked() -> None:
    """تشرين الأول also searches أكتوبر, and its stem is marked in snippets."""
    plan = build_query(parse_request({"q": "تشرين الأول", "mode": "any"}))
    assert {"تشرين", "اول", "اكتوبر"} == plan.stems


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("بين عامي 1922-1991", ["بين", "عامي", "1922", "1991"]),  # a range: two numbers
        ("١٩٣٩–١٩٤٥", ["١٩٣٩", "١٩٤٥"]),  # Arabic-Indic digits, en dash
        ("12/5/2019", ["12", "5", "2019"]),  # a date
        # counter-examples: a hyphen next to a letter keeps the glued word (searched as a phrase)
        ("COVID-19", ["COVID-19"]),
        ("F-16", ["F-16"]),
    ],
)
def test_number_ranges_are_separate_words(q: str, words: list[str]) -> None:
    """Numbers joined by a hyphen, dash or slash are words of their own; other glued words stay whole."""
    assert words == [c.text for g in parse_query(q).groups for c in g]


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("عربي؟ما", ["عربي", "ما"]),  # a question mark typed without a space
        ("الرياض،جدة", ["الرياض", "جدة"]),  # an Arabic comma
        ("السعودية.", ["السعودية"]),
        # counter-examples: a point or comma inside a number stays
        ("543.7", ["543.7"]),
        ("1,000", ["1,000"]),
    ],
)
def test_sentence_punctuation_separates_words(q: str, words: list[str]) -> None:
    """Punctuation typed without a space separates words, as a space does (not a phrase of the pieces)."""
    assert words == [c.text for g in parse_query(q).groups for c in g]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("وGoogle", Term("text", "google")),  # و glued to a Latin word: the word
        ("و2015", Term("text", "2015")),
        # counter-examples: other mixed words stay a phrase of their pieces
        ("غير-حكومية", Phrase("exact", ("غير", "حكوميه"))),  # "non-governmental" is not "governmental"
        ("ج2", Phrase("exact", ("ج", "2"))),
    ],
)
def test_only_a_proclitic_glued_to_latin_is_dropped(q: str, expected: Node) -> None:
    assert expected == stripped(build_query(parse_request({"q": q, "mode": "all"})).query)


def test_excluded_range_stays_whole() -> None:
    """-1922-1991 excludes that range only, not every paragraph holding either year."""
    parsed = parse_query("حرب -1922-1991")
    assert [c.text for c in parsed.excluded] == ["1922-1991"]


def test_number_range_matches_years_apart() -> None:
    """A range's years are two query words, so a paragraph with "1922 وحتى 1991" can match both."""
    plan = build_query(parse_request({"q": "1922-1991", "mode": "all"}))
    assert AllOf((Term("text", "1922"), Term("text", "1991"))) == stripped(plan.query)


def test_any_mode_title_matches_a_full_weight_variant() -> None:
    """A variant that stands for the typed word (بروسيا's روسيا) matches the title as the word does; a
    lighter variant does not."""

    def expand(norm: str, stem: str, plan) -> list[Node]:
        return [Term("text", "روسيا"), Term("text", "بروس", boost=0.4)]

    plan = build_query(parse_request({"q": "بروسيا", "mode": "any"}), expand=expand)
    titles = {t.text for t in leaves(plan.query) if t.field == "title"}
    assert titles == {"بروسيا", "روسيا"}


def test_proximity_pairs_use_full_weight_alternatives() -> None:
    """Words near each other are rewarded by the form the paragraph holds: بروسيا's روسيا pairs with
    the next word as بروسيا itself does; a lighter variant makes no pair."""

    def expand(norm: str, stem: str, plan) -> list[Node]:
        if stem == "بروسيا":
            return [Term("text", "روسيا"), Term("text", "بروس", boost=0.4)]
        return []

    plan = build_query(parse_request({"q": "بروسيا الصين"}), expand=expand)
    pairs = {(q.first.text, q.second.text) for q in plan.evidence.parts if isinstance(q, Near)}
    assert pairs == {("بروسيا", "صين"), ("روسيا", "صين")}


SIDE_BY_SIDE = [
    ("apart", "عقد مجلس الشؤون السياسية والأمنية اجتماعه، وبحث المجلس ملفات الأمن في المنطقة مع مجلس الوزراء"),
    ("together", "قدمت اللجنة أول تقاريرها إلى مجلس الأمن في نيويورك بعد جلسات طويلة استمرت أسابيع"),
]


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory: pytest.TempPathFactory):
    """A real index of two paragraphs holding مجلس and الأمن: side by side in one, apart in the other."""
    with opened_index(tmp_path_factory.mktemp("side"), text_rows(SIDE_BY_SIDE, "أخبار")) as opened:
        yield opened


def test_keywords_side_by_side_rank_first(side_by_side) -> None:
    """In all-word mode مجلس الأمن means the expression: the paragraph holding it comes first, although the
    other names the words more often; in any-word mode (questions) plain BM25 and proximity decide."""
    def order(mode: str) -> list[str]:
        return [h["article_id"] for h in search(side_by_side, parse_request({"q": "مجلس الأمن", "mode": mode})).hits]

    assert order("all") == ["together", "apart"]
    assert order("any") == ["apart", "together"]


@pytest.mark.parametrize(
    ("q", "pairs"),
    [
        ("مجلس الأمن", [("مجلس", "امن")]),
        ("وزير في الحكومة", []),  # a stopword between: وزير الحكومة is not what was typed
        ("السعودية OR قطر الكويت", []),  # OR: neither alternative was typed next to الكويت as one expression
        ('"وزير الدفاع" الصين', []),  # a quoted phrase scores as a phrase already
        ("أسعار النفط الخام", [("اسعار", "نفط"), ("خام", "نفط")]),  # each neighbouring pair, stems sorted
    ],
)
def test_side_by_side_evidence_pairs_words_typed_next_to_each_other(q: str, pairs: list) -> None:
    evidence = build_query(parse_request({"q": q})).evidence
    parts = evidence.parts if isinstance(evidence, AnyOf) else [evidence]
    found = [tuple(sorted((p.first.text, p.second.text))) for p in parts if isinstance(p, Near) and p.slop == 1]
    assert sorted(found) == sorted(tuple(sorted(p)) for p in pairs)


def test_a_prefix_is_searched_with_each_proclitic_in_front() -> None:
    """صين* is also وصين*, الصين*, بالصين*, للصين*...: the alternatives of one word, each marked."""
    plan = build_query(parse_request({"q": "صين*"}))
    assert isinstance(plan.query, BestOf)
    forms = [p.text for p in plan.query.parts]
    assert forms[:3] == ["صين", "وصين", "فصين"] and {"الصين", "والصين", "بالصين", "للصين", "وبالصين"} <= set(forms)
    assert set(forms) == plan.prefixes and all(isinstance(p, Prefix) for p in plan.query.parts)
    assert Prefix("exact", "goo") == build_query(parse_request({"q": "goo*"})).query  # no proclitic on Latin
