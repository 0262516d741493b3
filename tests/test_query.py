"""Query building: re-ranking evidence never changes which paragraphs match."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from search.query import build_query, parse_request


def stripped(q: wq.Query) -> wq.Query:
    """Remove the re-ranking evidence (title and proximity) from a built query."""
    if isinstance(q, wq.Term):
        return q if q.fieldname == "text" else None
    if isinstance(q, (wq.Require, wq.spans.SpanQuery)):
        return None
    if isinstance(q, wq.compound.CompoundQuery):
        kept = [s for s in (stripped(c) for c in q.subqueries) if s is not None]
        return type(q)(kept) if len(kept) > 1 else kept[0]
    return q


@pytest.mark.parametrize(
    ("q", "mode", "expected"),
    [
        ("روسيا الصين", "all", wq.And([wq.Term("text", "روسيا"), wq.Term("text", "صين")])),
        ("روسيا الصين", "any", wq.Or([wq.Term("text", "روسيا"), wq.Term("text", "صين")])),
    ],
)
def test_evidence_only_reranks(q: str, mode: str, expected: wq.Query) -> None:
    """Without its title and proximity evidence the query is the plain word query."""
    assert expected == stripped(build_query(parse_request({"q": q, "mode": mode})).query)


def test_all_mode_title_requires_text() -> None:
    """In all-word mode a title match only re-ranks a paragraph that holds the word itself."""
    query = build_query(parse_request({"q": "روسيا"})).query
    title = wq.Require(wq.Term("title", "روسيا", boost=2.0), wq.Term("text", "روسيا"))
    assert query == wq.Or([wq.Term("text", "روسيا"), title])


def test_two_word_synonym_marked() -> None:
    """تشرين الأول also searches أكتوبر, and its stem is marked in snippets."""
    plan = build_query(parse_request({"q": "تشرين الأول", "mode": "any"}))
    assert {"تشر", "اول", "اكتوبر"} == plan.stems
