"""The one entry point: ``search(backend, request)`` returns a plain result (dicts and lists).

A request reads top-down: the request becomes a query plan (:mod:`search.query`), the backend matches
the plan as a numpy mask (:class:`search.backend.Backend`), filters and facet counts are mask arithmetic
over its columns (:mod:`search.results.facets`), the best candidates are scored in bulk and re-ranked
(:mod:`search.rank`), and the page gets its snippets (:mod:`search.results.snippets`). Answers are
cached per generation by normalized request; every request has a time budget, past which the answer is
marked partial instead of holding a worker. ``export(backend, request, limit)`` ranks the same way and
yields every hit up to the limit, in the pages' order. Nothing here knows which engine holds the index.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from search.backend import Backend, Deadline, Stage
from search.errors import NotFound
from search.plan import QueryPlan, has_guesses
from search.query.build import build_query
from search.query.request import SearchRequest
from search.query.suggest import suggest
from search.query.variants import expand_variants
from search.rank.pages import page_by_date, page_by_relevance, reranks_questions
from search.results.export import MAX_EXPORT, Export, paragraph_fields
from search.results.facets import count_facets, filter_masks
from search.results.snippets import make_snippet, plain_snippet

log = logging.getLogger("fahras")

#: Time budget of one search, in ms, unless the caller gives one (the web layer passes its setting).
DEFAULT_BUDGET_MS = 2000.0


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
    partial: bool = False  # the time budget ran out or a shard was missing: counts, order or snippets may be incomplete
    missing_shards: list[str] = field(default_factory=list)  # the shards of a cluster that did not answer

    @property
    def unit(self) -> str:
        """What total, pages and facet counts count: paragraphs, or articles when grouped by article."""
        return self.request.group

    @property
    def pages(self) -> int:
        """Number of pages at this page size."""
        return math.ceil(self.total / self.request.per_page) if self.total else 0

    def to_dict(self) -> dict[str, object]:
        """The JSON-ready result (the API contract)."""
        return {
            "query": self.request.to_dict(),
            "total": self.total,
            "unit": self.unit,
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
            **({"missing_shards": list(self.missing_shards)} if self.missing_shards else {}),
        }

    def copy(self, took_ms: float) -> SearchResult:
        """Return a copy whose hits and buckets can be changed without touching this one (the cache's)."""
        hits = [dict(hit) for hit in self.hits]
        facets = {name: [dict(b) for b in buckets] for name, buckets in self.facets.items()}
        return replace(self, hits=hits, facets=facets, took_ms=took_ms)


def _hit(stored: dict, score: float | None, plan: QueryPlan, deadline: Deadline) -> dict:
    """Build one result row from a paragraph's stored fields, with its snippet (the plain opening once the
    time budget is spent)."""
    row = paragraph_fields(stored)
    text = row["text"]
    if (plan.stems or plan.exact_words or plan.prefixes or plan.phrases) and not deadline.passed():
        snippet = make_snippet(text, plan.stems, plan.exact_words, plan.prefixes, phrases=plan.phrases)
    else:
        snippet = plain_snippet(text)
    return {**row, "snippet": snippet, "score": None if score is None else round(float(score), 4)}


def _local_stage(generation: Backend, plan: QueryPlan, request: SearchRequest, deadline: Deadline) -> Stage:
    """The first stage of an embedded backend: the plan's mask, filtered and counted over its columns."""
    matched = generation.match(plan.query, deadline)
    masks = filter_masks(generation.columns, request)
    final = matched.copy()
    for mask in masks.values():
        final &= mask
    columns = generation.columns
    by_article = request.group == "article"
    total = len(columns.per_article(np.flatnonzero(final))) if by_article else int(final.sum())

    def article_matches(docs: list[int]) -> list[int]:
        per_article = np.bincount(columns.article_ids[final], minlength=len(columns.article_first))
        return [int(per_article[columns.article_ids[doc]]) for doc in docs]

    facets = partial(count_facets, columns, matched, masks, request, by_article)
    return Stage(generation, final, total, bool(matched.any()), facets, article_matches)


def _run(
    generation: Backend, request: SearchRequest, deadline: Deadline, guesses: bool = False
) -> tuple[QueryPlan, Stage]:
    """Plan the request and run its first stage (the backend's own, or computed here from its mask)."""
    plan = build_query(request, expand=partial(expand_variants, generation), guesses=guesses)
    stage = generation.first_stage(plan, request, deadline)
    return plan, stage if stage is not None else _local_stage(generation, plan, request, deadline)


def _resolve(generation: Backend, request: SearchRequest, deadline: Deadline) -> tuple[QueryPlan, Stage, bool]:
    """Match as typed, else with the guessed forms, else relaxed to any word: return the plan, the first
    stage and whether the search was relaxed."""
    plan, stage = _run(generation, request, deadline)
    if not stage.matched_any and request.mode == "all" and has_guesses(plan.query) and not deadline.passed():
        # no paragraph holds every word as typed (filters aside: a word the index holds but a source does
        # not is no reason to guess): the guessed forms (يدعون -> يدعو) may, before any word does
        plan, stage = _run(generation, request, deadline, guesses=True)
    if not stage.total and request.mode == "all" and plan.positive_groups > 1 and not deadline.passed():
        plan, stage = _run(generation, request.with_mode("any"), deadline)
        return plan, stage, True
    return plan, stage, False


def _ranked(
    generation: Backend, plan: QueryPlan, final: np.ndarray, request: SearchRequest, relaxed: bool, deadline: Deadline
) -> list[tuple[int, float | None]]:
    """Return the (docnum, score) of the requested page in the request's sort."""
    if request.effective_sort == "relevance" and plan.query is not None:
        # a question (any-word mode, asked or relaxed to) is re-ranked by meaning too; keywords are not
        question = request.q if request.mode == "any" or relaxed else None
        return page_by_relevance(generation, plan, final, request, deadline, question)
    return page_by_date(generation, final, request)


def cache_key(generation: Backend, request: SearchRequest) -> tuple:
    """The normalized request and the generation: what makes two answers the same."""
    return (
        generation.name, request.q, request.sources, request.date_from, request.date_to,
        request.effective_sort, request.mode, request.exact, request.group, request.page, request.per_page,
    )


def search(
    generation: Backend, request: SearchRequest, budget_ms: float | None = DEFAULT_BUDGET_MS, cache: bool = True
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
    plan, stage, relaxed = _resolve(generation, request, deadline)
    facets = stage.facet_counts()
    page = _ranked(stage.view, plan, stage.final, request, relaxed, deadline)
    stored = stage.view.stored_many([docnum for docnum, _ in page])
    kept = [(fields, row) for fields, row in zip(stored, page, strict=True) if fields is not None]
    page = [row for _, row in kept]  # a shard that stopped answering since the first stage: its hits go
    hits = [_hit(fields, score, plan, deadline) for fields, (_, score) in kept]
    if request.group == "article" and hits:
        counts = stage.article_matches([docnum for docnum, _ in page])
        for hit, count in zip(hits, counts, strict=True):
            hit["matches"] = count  # its paragraphs that match
    suggestion = None
    # A word the index does not know gets a suggestion even when its nearest forms found results.
    if plan.words and not deadline.passed():
        suggestion = suggest(generation, request.q, plan.words)
    took = round((time.perf_counter() - started) * 1000, 2)
    result = SearchResult(request, stage.total, hits, facets, took, relaxed, suggestion, generation.name)
    result.partial = deadline.hit or bool(stage.missing) or len(kept) < len(stored)
    result.missing_shards = list(stage.missing)
    if cache and not result.partial:
        generation.results.put(key, result.copy(took))
    return result


def export(
    generation: Backend, request: SearchRequest, limit: int = MAX_EXPORT, budget_ms: float | None = DEFAULT_BUDGET_MS
) -> Export:
    """Rank a request's matches as its pages do and return the first ``limit`` as rows read one by one.

    Page 1, then page 2, ... list the export's first rows: the same plan (guesses, relaxing), filters and
    ranking, ``page`` and ``per_page`` aside. The ranking runs within ``budget_ms`` (past it the export says
    ``partial``); the rows are then read from the generation as the caller consumes them, unbudgeted
    (at most ``limit`` stored-field reads), so a slow download holds no list of 10,000 dicts.

    :param limit: rows wanted, 1 to :data:`search.results.export.MAX_EXPORT`.
    """
    if not 1 <= limit <= MAX_EXPORT:
        raise ValueError(f"limit must be between 1 and {MAX_EXPORT}, got {limit}")
    deadline = Deadline(budget_ms)
    everything = replace(request, page=1, per_page=limit)  # the pages' order, as one list
    plan, stage, relaxed = _resolve(generation, everything, deadline)
    docs = [doc for doc, _ in _ranked(stage.view, plan, stage.final, everything, relaxed, deadline)]
    return Export(request, stage.total, limit, _rows(stage.view, docs), relaxed,
                  deadline.hit or bool(stage.missing), generation.name)


#: Stored fields read at once while an export streams (one query each on a cluster).
EXPORT_CHUNK = 200


def _rows(generation: Backend, docs: list[int]) -> Iterator[dict]:
    """Yield each document's exported fields, read a chunk at a time as they are asked for."""
    for start in range(0, len(docs), EXPORT_CHUNK):
        for stored in generation.stored_many(docs[start : start + EXPORT_CHUNK]):
            if stored is not None:  # None: its shard stopped answering after the ranking
                yield paragraph_fields(stored)


def get_article(generation: Backend, article_id: str, request: SearchRequest | None = None) -> dict[str, object]:
    """Return an article with all its paragraphs in order; NotFound if there is none.

    :param request: a search whose matching paragraphs are flagged (``matched``) and given their text
        with the matched words marked (``marked``, HTML), as the search's snippets mark them.
    """
    rows = sorted(generation.article(article_id), key=lambda row: row[1].get("paragraph", 0))
    if not rows:
        raise NotFound(f"no article with id {article_id!r}")
    first = rows[0][1]
    paragraphs = [{"id": d["id"], "paragraph": d["paragraph"], "text": d["text"]} for _, d in rows]
    if request is not None and request.q:
        # the plan of the search that linked here: as typed, with its guesses, or relaxed to any word
        deadline = Deadline(DEFAULT_BUDGET_MS)
        plan, _, _ = _resolve(generation, request, deadline)
        matched = generation.matching(plan.query, [docnum for docnum, _ in rows], deadline)
        for paragraph, hit in zip(paragraphs, matched.tolist(), strict=True):
            paragraph["matched"] = bool(hit)
            if paragraph["matched"]:
                text = paragraph["text"]
                paragraph["marked"] = make_snippet(
                    text, plan.stems, plan.exact_words, plan.prefixes, len(text) + 1, plan.phrases
                )
    return {
        "id": article_id,
        "title": first.get("title", ""),
        "source": first.get("source", ""),
        "date": first.get("date") or None,
        "url": first.get("url") or None,
        "paragraphs": paragraphs,
    }


def index_health(generation: Backend) -> dict[str, object]:
    """Describe the live generation: its name, when it was built, paragraph and article counts."""
    return {
        "generation": generation.name,
        "built_at": generation.meta.get("built_at"),
        "paragraphs": generation.doc_count,
        "articles": generation.meta.get("articles"),
        "semantic": reranks_questions(generation),
        **generation.health(),
    }
