"""The engine: masks read from posting blocks equal Whoosh's own matching; the time budget; contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.engine import matched_mask, search, term_docs
from search.indexing import build_index
from search.query import build_query
from search.request import parse_request
from search.store import IndexHolder

QUERIES = [
    "الصين",
    "الصين روسيا",
    '"البيت الأبيض"',
    "بوتين OR شي -بكين",
    "الص*",
    "موسكو وبكين",
    "-الصين",
    "ما",
    "xyzzy",
    "COVID-19",
]


@pytest.fixture
def generation(seed_index: Path):
    opened = IndexHolder(seed_index).get()
    yield opened
    opened.close()


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("mode", ["all", "any"])
def test_mask_equals_whoosh_matching(generation, q: str, mode: str) -> None:
    plan = build_query(parse_request({"q": q, "mode": mode}))
    expected = np.zeros(generation.columns.doc_count, dtype=bool)
    if plan.query is not None:
        expected[list(plan.query.docs(generation.searcher()))] = True
    else:
        expected[:] = True
    assert np.flatnonzero(expected).tolist() == np.flatnonzero(matched_mask(generation, plan)).tolist()


def test_term_docs_are_sorted_and_cached(generation) -> None:
    docs = term_docs(generation, "exact", "الصين")
    assert docs.tolist() == sorted(set(docs.tolist())) and len(docs) > 0
    assert term_docs(generation, "exact", "الصين") is docs
    assert term_docs(generation, "exact", "xyzzy").tolist() == []


def test_answer_within_budget_is_not_partial(generation) -> None:
    answer = search(generation, parse_request({"q": "الصين"}), budget_ms=60_000, cache=False).to_dict()
    assert "partial" not in answer
    assert answer["total"] == sum(b["count"] for b in answer["facets"]["source"])


def test_spent_budget_answers_partial_and_is_not_cached(generation) -> None:
    result = search(generation, parse_request({"q": "الصين"}), budget_ms=0)
    answer = result.to_dict()
    assert (answer["partial"], len(generation.results)) == (True, 0)
    assert set(answer) >= {"query", "total", "results", "facets", "took_ms", "relaxed", "suggestion"}


def test_date_sort_ties_follow_the_corpus(generation) -> None:
    answer = search(generation, parse_request({"q": "", "sort": "oldest", "per_page": "100"}), cache=False).to_dict()
    rows = [(hit["date"] or "", hit["article_id"], hit["paragraph"]) for hit in answer["results"]]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    first_article = [r for r in rows if r[1] == rows[0][1]]
    assert [r[2] for r in first_article] == sorted(r[2] for r in first_article)


def test_term_docs_read_many_blocks_and_segments(tmp_path: Path, shared: Path, monkeypatch) -> None:
    """Common words of a real news day span many posting blocks and several segments."""
    monkeypatch.setattr("search.segments.SEGMENT_DOCS", 2_000)
    day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
    build_index([day], tmp_path, procs=2)
    opened = IndexHolder(tmp_path).get()
    searcher = opened.searcher()
    assert len(searcher.reader().leaf_readers()) > 2
    sizes = []
    for fieldname, text in [("exact", "في"), ("exact", "الملك"), ("text", "سعود"), ("title", "مملك")]:
        expected = list(searcher.postings(fieldname, text).all_ids())
        sizes.append(len(expected))
        assert expected == term_docs(opened, fieldname, text).tolist()
    assert max(sizes) > 10 * 128 and min(sizes) > 0  # many blocks of 128 postings
    opened.close()
