"""The one entry point: ``search(generation, request)`` returns a plain result (dicts and lists).

Matching documents are collected once as a numpy mask, straight from the posting blocks of each
term (no Python step per document) and combined by the query's boolean structure; filters and facet
counts are mask arithmetic over the generation's columns; Whoosh scores only the page asked for.
Answers are cached per generation by normalized request; every request has a time budget, past which
the answer is marked partial instead of holding a worker.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector, TopCollector
from whoosh.matching.wrappers import RequireMatcher

from search import semantic
from search.errors import NotFound
from search.facets import count_facets, filter_masks
from search.query import BM25_B, BM25_K1, QueryPlan, build_query
from search.request import SearchRequest
from search.rerank import COVERAGE_CANDIDATES, add_evidence, candidate_count, rerank
from search.scoring import phrase_docs, term_postings, top_documents
from search.snippets import make_snippet, plain_snippet
from search.store import Generation
from search.suggest import suggest
from search.variants import RankOnly, expand_variants

log = logging.getLogger("fahras")

#: Time budget of one search, in ms, unless the caller gives one (the web layer passes its setting).
DEFAULT_BUDGET_MS = 2000.0


def _require_skip_to_quality(self, minquality: float) -> int:
    """``RequireMatcher.skip_to_quality`` that re-aligns its intersection only when the two sides differ.

    whoosh-reloaded 2.7.5 calls ``IntersectionMatcher._find_next`` unconditionally after skipping
    blocks of the required side, and ``_find_next`` asserts the sides stand on different documents:
    a title term required with a text term (``title:x REQUIRE text:x``) failed there on real news.
    """
    skipped = self.a.skip_to_quality(minquality)
    a, b = self.child.a, self.child.b
    if a.is_active() and b.is_active() and a.id() != b.id():
        self.child._find_next()
    return skipped


RequireMatcher.skip_to_quality = _require_skip_to_quality


class Deadline:
    """The moment a search must stop starting new work."""

    def __init__(self, budget_ms: float | None) -> None:
        self.at = None if budget_ms is None else time.perf_counter() + budget_ms / 1000
        self.hit = False

    def passed(self) -> bool:
        """Return True (and remember it) once the budget is spent."""
        if self.at is not None and time.perf_counter() >= self.at:
            self.hit = True
        return self.hit


class BudgetCollector(TimeLimitCollector):
    """Collect only documents of the ``allow`` mask, stopping at the deadline (the clock is read every
    CHECK_EVERY documents; no timer thread, so it works in any thread)."""

    CHECK_EVERY = 256

    def __init__(self, child, deadline: Deadline, allow: np.ndarray | None = None) -> None:
        super().__init__(child, timelimit=0, use_alarm=False)
        self.deadline = deadline
        self.allow = allow

    def prepare(self, top_searcher, q, context) -> None:
        self.child.prepare(top_searcher, q, context)
        self.timedout = False

    def collect_matches(self) -> None:
        child, allow, offset = self.child, self.allow, self.child.offset
        for count, sub_docnum in enumerate(child.matches()):
            if count % self.CHECK_EVERY == 0 and self.deadline.passed():
                self.timedout = True
                raise TimeLimit
            if allow is None or allow[offset + sub_docnum]:
                child.collect(sub_docnum)

    def finish(self) -> None:
        self.child.finish()


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
    partial: bool = False  # the time budget ran out: counts, order or snippets may be incomplete

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
            **({"partial": True} if self.partial else {}),
        }

    def copy(self, took_ms: float) -> SearchResult:
        """Return a copy whose hits and buckets can be changed without touching this one (the cache's)."""
        hits = [dict(hit) for hit in self.hits]
        facets = {name: [dict(b) for b in buckets] for name, buckets in self.facets.items()}
        return replace(self, hits=hits, facets=facets, took_ms=took_ms)


def term_docs(generation: Generation, fieldname: str, text: str) -> np.ndarray:
    """Return the sorted docnums holding a term (read a posting block at a time, cached per generation)."""
    return term_postings(generation, fieldname, text)[0]


def matched_mask(generation: Generation, plan: QueryPlan, deadline: Deadline | None = None) -> np.ndarray:
    """Return the boolean mask of documents the query matches (all documents when browsing)."""
    size = generation.columns.doc_count
    if plan.query is None:
        return np.ones(size, dtype=bool)
    return _mask(generation, plan.query, size, deadline or Deadline(None))


def _mask(generation: Generation, query: wq.Query, size: int, deadline: Deadline) -> np.ndarray:
    """Evaluate a query's boolean structure as masks; leaves Whoosh must match itself (phrases) fall back."""
    if isinstance(query, RankOnly):
        return np.zeros(size, dtype=bool)
    if isinstance(query, wq.Term):
        return _docs_mask(term_docs(generation, query.fieldname, query.text), size)
    if isinstance(query, (wq.Or, wq.DisjunctionMax)) and not getattr(query, "minmatch", 0):
        return _combine(generation, query.subqueries, size, deadline, np.logical_or, False)
    if isinstance(query, wq.And):
        return _combine(generation, query.subqueries, size, deadline, np.logical_and, True)
    if isinstance(query, (wq.AndMaybe, wq.Require, wq.AndNot)):
        mask = _mask(generation, query.a, size, deadline)
        if isinstance(query, wq.AndMaybe):
            return mask  # the optional part only re-ranks
        other = _mask(generation, query.b, size, deadline)
        return mask & other if isinstance(query, wq.Require) else mask & ~other
    if isinstance(query, wq.Phrase) and query.slop == 1:
        docs = phrase_docs(generation, query.fieldname, list(query.words))
        if docs is not None:
            return _docs_mask(docs, size)
    if isinstance(query, wq.Every):
        return np.ones(size, dtype=bool)
    if query is wq.NullQuery:
        return np.zeros(size, dtype=bool)
    if isinstance(query, wq.Prefix):
        reader = generation.searcher().reader()
        mask = np.zeros(size, dtype=bool)
        for text in query._btexts(reader):
            if deadline.passed():
                break
            mask[term_docs(generation, query.fieldname, text.decode("utf-8"))] = True
        return mask
    return _docs_mask(np.fromiter(query.docs(generation.searcher()), dtype=np.int64), size)


def _docs_mask(docs: np.ndarray, size: int) -> np.ndarray:
    """Return the boolean mask of ``size`` documents that is True at the given docnums."""
    mask = np.zeros(size, dtype=bool)
    mask[docs] = True
    return mask


def _combine(generation, subqueries, size, deadline, op, start) -> np.ndarray:
    """Fold sub-query masks with a numpy boolean operation.

    In an OR, a phrase or span (words near each other) matches only where all its words do; when the
    other alternatives already cover all of those documents it cannot add one, and its positions are
    never read (proximity evidence ORed beside its own words costs nothing here).
    """
    mask = np.full(size, start, dtype=bool)
    later = []
    for sub in subqueries:
        if op is np.logical_or and isinstance(sub, _ALL_WORDS):
            later.append(sub)
        else:
            op(mask, _mask(generation, sub, size, deadline), out=mask)
    for sub in later:
        words = np.ones(size, dtype=bool)
        for fieldname, text in sub.terms():
            holding = np.zeros(size, dtype=bool)
            holding[term_docs(generation, fieldname, text)] = True
            words &= holding
        if (words & ~mask).any():
            mask |= _mask(generation, sub, size, deadline)
    return mask


#: Queries matching only documents holding every one of their words.
_ALL_WORDS = (wq.Phrase, wq.Ordered, wq.spans.SpanNear, wq.spans.SpanNear2)


def _page_by_date(generation: Generation, final: np.ndarray, request: SearchRequest) -> list[tuple[int, None]]:
    """Return the requested page of documents sorted by date (ties in corpus order)."""
    docs = np.flatnonzero(final)
    dates = generation.columns.dates[docs]
    order = np.lexsort((generation.columns.order[docs], -dates if request.effective_sort == "newest" else dates))
    start = (request.page - 1) * request.per_page
    return [(int(d), None) for d in docs[order[start : start + request.per_page]]]


def _page_by_relevance(
    generation: Generation,
    plan: QueryPlan,
    final: np.ndarray,
    request: SearchRequest,
    deadline: Deadline,
    question: str | None = None,
) -> list[tuple[int, float]]:
    """Return the requested page of (docnum, score) ranked by BM25F (the best found so far if time runs out).

    :param question: the text whose embedding re-ranks the best candidates (any-word mode), if any.
    """
    limit = request.page * request.per_page
    searcher = generation.searcher()
    if question is not None and not _reranks_questions(generation):
        question = None  # an index without vectors, or no engine here: ranked by the words only
    collect = candidate_count(plan, limit, question is not None)
    # Words and their variants are scored in bulk with numpy; phrases and prefixes go through Whoosh.
    rows = top_documents(generation, plan.query, final, collect, BM25_K1, BM25_B)
    if rows is None:
        collector = BudgetCollector(TopCollector(limit=collect), deadline, final)
        try:
            searcher.search_with_collector(plan.query, collector)
        except TimeLimit:
            deadline.hit = True
        results = collector.results()
        rows = [(results.docnum(i), results.score(i)) for i in range(min(collect, results.scored_length()))]
    order = generation.columns.order

    def by_score(row: tuple[int, float]) -> tuple[float, int]:
        return (-row[1], order[row[0]])  # equal scores in corpus order, however segments fell

    rows.sort(key=by_score)
    # Re-ranking reads each candidate's postings and text: only the best COVERAGE_CANDIDATES are
    # re-ranked; a deep page continues with the rest in BM25F order.
    window, rest = rows[:COVERAGE_CANDIDATES], rows[COVERAGE_CANDIDATES:]
    ranked = sorted(rerank(generation, plan.groups, add_evidence(generation, plan.evidence, window)), key=by_score)
    if question is not None and len(ranked) > 1 and not deadline.passed():
        ranked = sorted(_by_meaning(generation, question, ranked), key=by_score)
    return (ranked + rest)[(request.page - 1) * request.per_page : limit]


def _reranks_questions(generation: Generation) -> bool:
    """True when the generation has paragraph vectors and this process can embed a question."""
    return generation.vectors is not None and semantic.available()


def _by_meaning(generation: Generation, question: str, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Return the candidates with their scores fused with closeness to the question (unchanged if it fails)."""
    text = semantic.question_text(question)
    if not text:
        return ranked
    try:
        target = semantic.embed_query(text)
    except (RuntimeError, ValueError, OSError) as exc:  # never an error for the reader: ranked by the words
        log.warning("question not embedded (%s): ranked by its words", exc)
        return ranked
    docs = np.array([doc for doc, _ in ranked], dtype=np.int64)
    closeness = generation.vectors[docs].astype(np.float32) @ target
    fused = semantic.fuse(np.array([score for _, score in ranked]), closeness)
    return list(zip(docs.tolist(), fused.tolist(), strict=True))


def _hit(generation: Generation, docnum: int, score: float | None, plan: QueryPlan, deadline: Deadline) -> dict:
    """Build one result row with its snippet (the plain opening once the time budget is spent)."""
    stored = generation.searcher().stored_fields(docnum)
    text = stored.get("text", "")
    if (plan.stems or plan.exact_words or plan.prefixes or plan.phrases) and not deadline.passed():
        snippet = make_snippet(text, plan.stems, plan.exact_words, plan.prefixes, phrases=plan.phrases)
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


def _run(
    generation: Generation, request: SearchRequest, deadline: Deadline, guesses: bool = False
) -> tuple[QueryPlan, np.ndarray, np.ndarray, dict]:
    """Match, filter: return the plan, the query mask, the final mask and the filter masks."""
    plan = build_query(request, expand=partial(expand_variants, generation), guesses=guesses)
    matched = matched_mask(generation, plan, deadline)
    masks = filter_masks(generation.columns, request)
    final = matched.copy()
    for mask in masks.values():
        final &= mask
    return plan, matched, final, masks


def _has_guesses(query: wq.Query | None) -> bool:
    """Return True when a query holds a guessed alternative (:class:`search.variants.RankOnly`)."""
    return query is not None and any(isinstance(leaf, RankOnly) for leaf in query.leaves())


def cache_key(generation: Generation, request: SearchRequest) -> tuple:
    """The normalized request and the generation: what makes two answers the same."""
    return (
        generation.name, request.q, request.sources, request.date_from, request.date_to,
        request.effective_sort, request.mode, request.exact, request.page, request.per_page,
    )


def search(
    generation: Generation, request: SearchRequest, budget_ms: float | None = DEFAULT_BUDGET_MS, cache: bool = True
) -> SearchResult:
    """Run a validated request against a generation.

    :param budget_ms: time allowed; past it the answer is cut short and says ``partial`` (None: no limit).
    :param cache: answer a repeated request from the generation's cache (a partial answer is never kept).
    """
    started = time.perf_counter()
    key = cache_key(generation, request)
    if cache and (kept := generation.results.get(key)) is not None:
        return kept.copy(round((time.perf_counter() - started) * 1000, 2))
    deadline = Deadline(budget_ms)
    plan, matched, final, masks = _run(generation, request, deadline)
    total = int(final.sum())
    relaxed = False
    if not matched.any() and request.mode == "all" and _has_guesses(plan.query) and not deadline.passed():
        # no paragraph holds every word as typed (filters aside: a word the index holds but a source does
        # not is no reason to guess): the guessed forms (يدعون -> يدعو) may, before any word does
        plan, matched, final, masks = _run(generation, request, deadline, guesses=True)
        total = int(final.sum())
    if total == 0 and request.mode == "all" and plan.positive_groups > 1 and not deadline.passed():
        relaxed = True
        plan, matched, final, masks = _run(generation, request.with_mode("any"), deadline)
        total = int(final.sum())
    facets = count_facets(generation.columns, matched, masks, request)
    if request.effective_sort == "relevance" and plan.query is not None:
        # a question (any-word mode, asked or relaxed to) is re-ranked by meaning too; keywords are not
        question = request.q if request.mode == "any" or relaxed else None
        page = _page_by_relevance(generation, plan, final, request, deadline, question)
    else:
        page = _page_by_date(generation, final, request)
    hits = [_hit(generation, docnum, score, plan, deadline) for docnum, score in page]
    suggestion = None
    # A word the index does not know gets a suggestion even when its nearest forms found results.
    if plan.words and not deadline.passed():
        suggestion = suggest(generation, request.q, plan.words)
    took = round((time.perf_counter() - started) * 1000, 2)
    result = SearchResult(request, total, hits, facets, took, relaxed, suggestion, generation.name)
    result.partial = deadline.hit
    if cache and not result.partial:
        generation.results.put(key, result.copy(took))
    return result


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
        "semantic": _reranks_questions(generation),
    }
