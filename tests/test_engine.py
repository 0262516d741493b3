"""The engine: the time budget, partial answers, date-sort ties, the result contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import search
from search.index.store import IndexHolder
from search.query.request import parse_request


@pytest.fixture
def generation(seed_index: Path):
    opened = IndexHolder(seed_index).get()
    yield opened
    opened.close()


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
