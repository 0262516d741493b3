"""Putting a plan's matches in order, a page at a time: by date, or by relevance (BM25F in bulk, then the
best candidates re-ranked by evidence, coverage and, for questions, meaning), as paragraphs or as
articles (each article once, by its best paragraph).

Paging is stable: a longer list (a later page) always starts with the shorter one, paragraphs and
articles alike, equal scores taken in corpus order.
"""

from __future__ import annotations

import logging

import numpy as np

from search.backend import Backend, Columns, Deadline
from search.plan import QueryPlan
from search.query.build import BM25_B, BM25_K1
from search.query.request import SearchRequest
from search.rank import semantic
from search.rank.bm25 import top_documents
from search.rank.rerank import COVERAGE_CANDIDATES, add_evidence, candidate_count, rerank

log = logging.getLogger("fahras")

Row = tuple[int, float | None]
#: In article mode, paragraphs collected per article wanted at first (an article's paragraphs often rank
#: together); the list grows fourfold until the page has its articles or the matches run out.
ARTICLE_SPREAD = 5


def first_per_article(columns: Columns, docs: np.ndarray) -> np.ndarray:
    """Return the positions in ``docs`` (docnums, in rank order) of each article's first docnum, in order.

    >>> import numpy as np
    >>> c = Columns(*(np.zeros(4, np.int32),) * 4, (), (), np.array([0, 0, 1, 1], np.int32))
    >>> first_per_article(c, np.array([1, 0, 3])).tolist()
    [0, 2]
    """
    _, first = np.unique(columns.article_ids[docs], return_index=True)
    return np.sort(first)


def page_by_date(generation: Backend, final: np.ndarray, request: SearchRequest) -> list[Row]:
    """Return the requested page of documents sorted by date (ties in corpus order); in article mode each
    article's first matching paragraph stands for it."""
    columns = generation.columns
    docs = np.flatnonzero(final)
    dates = columns.dates[docs]
    docs = docs[np.lexsort((columns.order[docs], -dates if request.effective_sort == "newest" else dates))]
    start = (request.page - 1) * request.per_page
    if request.group == "article":
        docs = docs[first_per_article(columns, docs)]
    return [(int(d), None) for d in docs[start : start + request.per_page]]


def page_by_relevance(
    generation: Backend,
    plan: QueryPlan,
    final: np.ndarray,
    request: SearchRequest,
    deadline: Deadline,
    question: str | None = None,
) -> list[Row]:
    """Return the requested page of (docnum, score) ranked by BM25F (the best found so far if time runs out).

    :param question: the text whose embedding re-ranks the best candidates (any-word mode), if any.
    """
    limit = request.page * request.per_page
    if question is not None and not reranks_questions(generation):
        question = None  # an index without vectors, or no engine here: ranked by the words only
    by_article = request.group == "article"
    collect = candidate_count(plan, limit * ARTICLE_SPREAD if by_article else limit, question is not None)
    available = int(final.sum())
    ranked: list[Row] | None = None
    while True:
        rows = _candidates(generation, plan, final, collect, deadline)
        if ranked is None:  # the re-ranked window is the same however many candidates follow it
            ranked = _reranked(generation, plan, rows[:COVERAGE_CANDIDATES], deadline, question)
        listed = ranked + rows[COVERAGE_CANDIDATES:]
        if not by_article:
            return listed[(request.page - 1) * request.per_page : limit]
        first = first_per_article(generation.columns, np.array([doc for doc, _ in listed], dtype=np.int64))
        articles = [listed[i] for i in first.tolist()]
        if len(articles) >= limit or collect >= available or deadline.passed():
            return articles[(request.page - 1) * request.per_page : limit]
        collect *= 4


def _by_score(generation: Backend):  # noqa: ANN202
    """Return the sort key of rows: higher scores first, equal scores in corpus order."""
    order = generation.columns.order
    return lambda row: (-row[1], order[row[0]])


def _candidates(
    generation: Backend, plan: QueryPlan, final: np.ndarray, count: int, deadline: Deadline
) -> list[Row]:
    """Return the ``count`` best (docnum, score) by BM25F, sorted; words, their variants and phrases are
    scored in bulk with numpy, prefixes by the backend's own scorer."""
    rows = top_documents(generation, plan.query, final, count, BM25_K1, BM25_B)
    if rows is None:
        rows = generation.top_scored(plan.query, final, count, deadline)
    return sorted(rows, key=_by_score(generation))


def _reranked(
    generation: Backend, plan: QueryPlan, window: list[Row], deadline: Deadline, question: str | None
) -> list[Row]:
    """Re-rank the best candidates by evidence and coverage, and a question's by meaning too.

    Re-ranking reads each candidate's postings and text: only the best COVERAGE_CANDIDATES are re-ranked;
    a deep page continues with the rest in BM25F order.
    """
    key = _by_score(generation)
    ranked = sorted(rerank(generation, plan.groups, add_evidence(generation, plan.evidence, window)), key=key)
    if question is not None and len(ranked) > 1 and not deadline.passed():
        ranked = sorted(_by_meaning(generation, question, ranked), key=key)
    return ranked


def reranks_questions(generation: Backend) -> bool:
    """True when the generation has paragraph vectors and this process can embed a question."""
    return generation.vectors is not None and semantic.available()


def _by_meaning(generation: Backend, question: str, ranked: list[Row]) -> list[Row]:
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
