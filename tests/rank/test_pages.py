"""Pages by article: each article once, by its best paragraph, counted in articles, stable across pages."""

from __future__ import annotations

import pytest

from search.engine import search
from search.query.request import parse_request


def listed(generation, params: dict, pages: int) -> list[dict]:
    """Return the hits of the first ``pages`` pages of a search."""
    hits = []
    for page in range(1, pages + 1):
        hits += search(generation, parse_request({**params, "page": str(page)}), cache=False).hits
    return hits


@pytest.mark.parametrize(
    "params",
    [{"q": "المملكة"}, {"q": "وزير الخارجية"}, {"q": "ما هي أسباب ارتفاع أسعار النفط", "mode": "any"},
     {"q": "المملكة", "sort": "newest"}, {"q": "الرياض*"}],
)
def test_article_pages_are_the_paragraph_ranking_with_each_article_once(news_day, params: dict) -> None:
    """Page after page, grouped hits are the paragraph ranking's first paragraph of each article: none
    repeated, none skipped, each with how many of its paragraphs match."""
    paragraphs = listed(news_day, {**params, "per_page": "100"}, 30)
    firsts, seen = [], set()
    for hit in paragraphs:
        if hit["article_id"] not in seen:
            seen.add(hit["article_id"])
            firsts.append(hit["id"])
    grouped = listed(news_day, {**params, "group": "article", "per_page": "10"}, 6)
    assert len(grouped) == 60 and firsts[:60] == [hit["id"] for hit in grouped]
    per_article = {}
    for hit in paragraphs:
        per_article[hit["article_id"]] = per_article.get(hit["article_id"], 0) + 1
    if len(paragraphs) < 3000:  # every matching paragraph was listed: the counts are whole
        assert [per_article[h["article_id"]] for h in grouped] == [h["matches"] for h in grouped]


def test_totals_and_facets_count_articles(news_day) -> None:
    """In article mode total, pages and every facet bucket count articles, and the answer says so."""
    by_paragraph = search(news_day, parse_request({"q": "المملكة"}), cache=False).to_dict()
    by_article = search(news_day, parse_request({"q": "المملكة", "group": "article"}), cache=False).to_dict()
    assert ("paragraph", "article") == (by_paragraph["unit"], by_article["unit"])
    articles = {h["article_id"] for h in listed(news_day, {"q": "المملكة", "per_page": "100"}, 100)}
    assert by_article["total"] == len(articles) < by_paragraph["total"]
    assert by_article["pages"] == -(-len(articles) // 10)
    for name in ("source", "date"):
        assert sum(b["count"] for b in by_article["facets"][name]) == len(articles)
    source = by_article["facets"]["source"][0]["value"]
    filtered = search(news_day, parse_request({"q": "المملكة", "group": "article", "source": source}), cache=False)
    assert filtered.total == by_article["facets"]["source"][0]["count"]
    assert {h["source"] for h in filtered.hits} == {source}
