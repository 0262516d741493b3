"""The cluster answers as the embedded backend does: on the same seeds, a 2-shard Sphinx cluster and the
Whoosh index give the same totals, facet counts, hits, scores and snippets, for every kind of search a
reader types (spelling variants, phrases, exclusions, any-word mode, filters, sorts, groups, pages)."""

from __future__ import annotations

import pytest

from search import export, get_article, parse_request, search

#: Searches with their parameters; each is run as typed and with the variations below.
QUERIES = [
    "الصين", "الصّين", "الصينيه", "مجلس الامن", "مجلس الأمن", '"العلاقات الصينية"', "السعودية -روسيا",
    "وزارة الصحة", "بينج", "بينغ", "كيف تطورت العلاقات بين الصين والسعودية", "٢٠٢٣", "2023", "الرئيس شي",
    "مصر OR الصين", "التعاون الاقتصادي", "ابحاث", "أبحاث", "أمريكا", "امريكا", "الطاقه", "وزير الدفاع", "إيران",
]
VARIATIONS = [
    {}, {"group": "article"}, {"sort": "newest"}, {"sort": "oldest"}, {"mode": "any"}, {"page": "2", "per_page": "5"},
    {"source": "الشرق"}, {"source": ["إن تي في", "أ ف ب"]}, {"date_from": "2024-01-01", "date_to": "2024-06-30"},
    {"source": "غير موجود"}, {"exact": "1"},
]


def _answer(generation, params: dict) -> dict:
    result = search(generation, parse_request(params), cache=False)
    return {
        "total": result.total, "facets": result.facets, "relaxed": result.relaxed, "suggestion": result.suggestion,
        "hits": [(h["id"], h["score"], h["snippet"], h.get("matches")) for h in result.hits],
    }


@pytest.mark.parametrize("query", QUERIES)
def test_every_variation_answers_alike(whoosh_seeds, sphinx_seeds, query: str) -> None:
    differences = []
    for extra in VARIATIONS:
        params = {"q": query, **extra}
        ours, theirs = _answer(sphinx_seeds, params), _answer(whoosh_seeds, params)
        if ours != theirs:
            differences.append((extra, ours, theirs))
    assert not differences
    assert _answer(whoosh_seeds, {"q": query})["total"]  # the comparison is about something found


def test_browsing_without_words_answers_alike(whoosh_seeds, sphinx_seeds) -> None:
    for extra in VARIATIONS:
        params = {k: v for k, v in extra.items() if k != "exact"}
        assert _answer(sphinx_seeds, params) == _answer(whoosh_seeds, params)


@pytest.mark.parametrize("query", ["صين*", "علاق* الصين", "ال*"])
def test_a_prefix_counts_alike_and_lists_only_matches(whoosh_seeds, sphinx_seeds, query: str) -> None:
    """Prefixes count alike; their order may differ (Whoosh scores a prefix of many terms its own way)."""
    for extra in ({}, {"group": "article"}, {"sort": "newest"}):
        ours, theirs = _answer(sphinx_seeds, {"q": query, **extra}), _answer(whoosh_seeds, {"q": query, **extra})
        assert (ours["total"], ours["facets"]) == (theirs["total"], theirs["facets"])
        everything = search(whoosh_seeds, parse_request({"q": query, "per_page": "100"}), cache=False)
        assert {h[0] for h in ours["hits"]} <= {h["id"] for h in everything.hits} or extra


def test_an_export_lists_the_same_rows(whoosh_seeds, sphinx_seeds) -> None:
    for params in ({"q": "الصين"}, {"q": "الصين", "sort": "oldest"}, {"q": "مجلس الامن", "group": "article"}):
        ours = export(sphinx_seeds, parse_request(params), 40)
        theirs = export(whoosh_seeds, parse_request(params), 40)
        assert ours.total == theirs.total
        assert [r["id"] for r in ours.rows] == [r["id"] for r in theirs.rows]


def test_an_article_page_marks_the_same_paragraphs(whoosh_seeds, sphinx_seeds) -> None:
    first = search(whoosh_seeds, parse_request({"q": "الصين", "group": "article"}), cache=False).hits[0]
    request = parse_request({"q": "الصين"})
    ours = get_article(sphinx_seeds, first["article_id"], request)
    theirs = get_article(whoosh_seeds, first["article_id"], request)
    assert ours == theirs
    assert any(p["matched"] for p in ours["paragraphs"]) and not all(p["matched"] for p in ours["paragraphs"])


def test_the_vocabulary_and_completions_are_the_same(whoosh_seeds, sphinx_seeds) -> None:
    assert sphinx_seeds.vocabulary()[0] == whoosh_seeds.vocabulary()[0]
    assert sphinx_seeds.vocabulary()[1].tolist() == whoosh_seeds.vocabulary()[1].tolist()
    assert sphinx_seeds.completions().keys == whoosh_seeds.completions().keys
    for field, term in [("text", "صين"), ("exact", "الصين"), ("title", "صين"), ("exact", "غيرموجود")]:
        assert sphinx_seeds.doc_frequency(field, term) == whoosh_seeds.doc_frequency(field, term)
        assert sphinx_seeds.idf(field, term) == pytest.approx(whoosh_seeds.idf(field, term))
    for field in ("text", "exact", "title"):
        assert sphinx_seeds.avg_field_length(field) == pytest.approx(whoosh_seeds.avg_field_length(field))


QUESTIONS = ["كيف تطورت العلاقات بين الصين والسعودية؟", "ما موقف روسيا من الحرب", "من هو وزير الدفاع الروسي"]


def test_questions_are_reranked_by_meaning_as_on_whoosh(seed_index, semantic_seeds, whoosh_seeds) -> None:
    """With vectors on both, a question's candidates are fused with their closeness to it, alike; and that
    changes the order the words alone give."""
    from search.index.store import IndexHolder

    whoosh = IndexHolder(seed_index).get()
    assert whoosh.vectors is not None and semantic_seeds.vectors is not None
    moved = 0
    for question in QUESTIONS:
        params = {"q": question, "mode": "any"}
        ours = _answer(semantic_seeds, params)
        assert ours == _answer(whoosh, params)
        moved += ours["hits"] != _answer(whoosh_seeds, params)["hits"]
    assert moved
