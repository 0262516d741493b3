"""The one entry point: ``search(generation, request)`` returns a plain result (dicts and lists).

Matching documents are collected once as a numpy mask; filters and facet counts are mask arithmetic
over the generation's columns; Whoosh scores only what relevance ranking needs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from whoosh.idsets import DocIdSet

from search.errors import NotFound
from search.facets import count_facets, filter_masks
from search.query import QueryPlan, SearchRequest, build_query
from search.snippets import make_snippet, plain_snippet
from search.store import Generation
from search.suggest import suggest
from search.variants import expand_variants

#: Below this many results a did-you-mean suggestion is looked for.
SUGGEST_BELOW = 3


class MaskSet(DocIdSet):
    """A read-only document set over a numpy boolean mask, for Whoosh's ``filter``."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

    def __contains__(self, docnum: int) -> bool:
        return bool(self.mask[docnum])

    def __len__(self) -> int:
        return int(self.mask.sum())

    def __iter__(self):
        return iter(np.flatnonzero(self.mask).tolist())


@dataclass
class SearchResult:
    """What a search found: one page of hits, totals, facets and what was understood."""

    request: SearchRequest
    total: int
    hits: list[dict]
    facets: dict[str, list[dict]]
    took_ms: float
    relaxed: bool = False
    suggestion: str | None = None
    generation: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages at this page size."""
        return math.ceil(self.total / self.request.per_page) if self.total else 0

    def to_dict(self) -> dict[str, object]:
        """The JSON-ready result (the API contract)."""
        return {
            "query": self.request.to_dict(),
            "total": self.total,
            "page": self.request.page,
            "per_page": self.request.per_page,
            "pages": self.pages,
            "took_ms": self.took_ms,
            "relaxed": self.relaxed,
            "suggestion": self.suggestion,
            "generation": self.generation,
            "results": self.hits,
            "facets": self.facets,
        }


def _matched_mask(generation: Generation, plan: QueryPlan) -> np.ndarray:
    """Return the boolean mask of documents the query matches (all documents when browsing)."""
    size = generation.columns.doc_count
    if plan.query is None:
        return np.ones(size, dtype=bool)
    mask = np.zeros(size, dtype=bool)
    docs = np.fromiter(plan.query.docs(generation.searcher()), dtype=np.int64)
    mask[docs] = True
    return mask


def _page_by_date(generation: Generation, final: np.ndarray, request: SearchRequest) -> list[tuple[int, None]]:
    """Return the requested page of documents sorted by date (ties in corpus order)."""
    docs = np.flatnonzero(final)
    dates = generation.columns.dates[docs]
    order = np.lexsort((docs, -dates if request.effective_sort == "newest" else dates))
    start = (request.page - 1) * request.per_page
    return [(int(d), None) for d in docs[order[start : start + request.per_page]]]


def _page_by_relevance(
    generation: Generation, plan: QueryPlan, final: np.ndarray, filtered: bool, request: SearchRequest
) -> list[tuple[int, float]]:
    """Return the requested page of (docnum, score) ranked by BM25F."""
    limit = request.page * request.per_page
    results = generation.searcher().search(plan.query, limit=limit, filter=MaskSet(final) if filtered else None)
    start = (request.page - 1) * request.per_page
    return [(results.docnum(i), results.score(i)) for i in range(start, min(limit, results.scored_length()))]


def _hit(generation: Generation, docnum: int, score: float | None, plan: QueryPlan) -> dict:
    """Build one result row with its snippet."""
    stored = generation.searcher().stored_fields(docnum)
    text = stored.get("text", "")
    if plan.stems or plan.exact_words or plan.prefixes:
        snippet = make_snippet(text, plan.stems, plan.exact_words, plan.prefixes)
    else:
        snippet = plain_snippet(text)
    return {
        "id": stored.get("id"),
        "article_id": stored.get("article_id"),
        "title": stored.get("title", ""),
        "source": stored.get("source", ""),
        "date": stored.get("date") or None,
        "paragraph": stored.get("paragraph"),
        "url": stored.get("url") or None,
        "text": text,
        "snippet": snippet,
        "score": None if score is None else round(float(score), 4),
    }


def _run(generation: Generation, request: SearchRequest) -> tuple[QueryPlan, np.ndarray, np.ndarray, dict]:
    """Match, filter: return the plan, the query mask, the final mask and the filter masks."""
    plan = build_query(request, expand=partial(expand_variants, generation))
    matched = _matched_mask(generation, plan)
    masks = filter_masks(generation.columns, request)
    final = matched.copy()
    for mask in masks.values():
        final &= mask
    return plan, matched, final, masks


def search(generation: Generation, request: SearchRequest) -> SearchResult:
    """Run a validated request against a generation."""
    started = time.perf_counter()
    plan, matched, final, masks = _run(generation, request)
    total = int(final.sum())
    relaxed = False
    if total == 0 and request.mode == "all" and plan.positive_groups > 1:
        relaxed = True
        plan, matched, final, masks = _run(generation, request.with_mode("any"))
        total = int(final.sum())
    facets = count_facets(generation.columns, matched, masks, request)
    if request.effective_sort == "relevance" and plan.query is not None:
        page = _page_by_relevance(generation, plan, final, bool(masks), request)
    else:
        page = _page_by_date(generation, final, request)
    hits = [_hit(generation, docnum, score, plan) for docnum, score in page]
    suggestion = None
    if total < SUGGEST_BELOW and plan.words:
        suggestion = suggest(generation, request.q, plan.words)
    took = round((time.perf_counter() - started) * 1000, 2)
    return SearchResult(request, total, hits, facets, took, relaxed, suggestion, generation.name)


def get_article(generation: Generation, article_id: str) -> dict[str, object]:
    """Return an article with all its paragraphs in order; NotFound if there is none."""
    searcher = generation.searcher()
    docs = sorted(searcher.documents(article_id=article_id), key=lambda d: d.get("paragraph", 0))
    if not docs:
        raise NotFound(f"no article with id {article_id!r}")
    first = docs[0]
    return {
        "id": article_id,
        "title": first.get("title", ""),
        "source": first.get("source", ""),
        "date": first.get("date") or None,
        "url": first.get("url") or None,
        "paragraphs": [{"id": d["id"], "paragraph": d["paragraph"], "text": d["text"]} for d in docs],
    }


def index_health(generation: Generation) -> dict[str, object]:
    """Describe the live generation: its name, when it was built, paragraph and article counts."""
    return {
        "generation": generation.name,
        "built_at": generation.meta.get("built_at"),
        "paragraphs": generation.columns.doc_count,
        "articles": generation.meta.get("articles"),
        "sources": len(generation.columns.sources),
    }
