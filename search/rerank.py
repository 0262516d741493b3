"""Re-ranking the best BM25F candidates: evidence (title, proximity) and coverage.

Whoosh collects the top candidates of the matching query, skipping posting blocks that cannot reach
them. Only those candidates then get the evidence query's score added (query words in the article
title, consecutive query words near each other), which would stop block skipping inside the query.

BM25 adds up the words a paragraph holds, so two frequent words can outweigh the one rare word that
names the subject. After Whoosh has collected the top candidates, each one's score is multiplied by
``1 + COVERAGE_WEIGHT x covered``, where ``covered`` is the share of the query's word groups it matches,
each group weighted by its inverse document frequency. Only a page's worth of candidates is touched.
"""

from __future__ import annotations

import math

#: How much full coverage adds to a score (tuned on arcd train).
COVERAGE_WEIGHT = 0.6
#: Candidates re-ranked: at least this many, more when a later page is asked for.
COVERAGE_CANDIDATES = 50


def candidate_count(plan, wanted: int) -> int:
    """Return how many top documents to collect so that re-ranking can promote one into the page."""
    reranked = len(plan.groups) > 1 or plan.evidence is not None
    return max(wanted, COVERAGE_CANDIDATES) if reranked else wanted


def add_evidence(searcher, evidence, rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Add the evidence query's score at each candidate that it matches (title words, proximity)."""
    if evidence is None or not rows:
        return rows
    extra: dict[int, float] = {}
    matcher = evidence.matcher(searcher)
    for doc in sorted(doc for doc, _ in rows):
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)
        if matcher.is_active() and matcher.id() == doc:
            extra[doc] = matcher.score()
    return [(doc, score + extra.get(doc, 0.0)) for doc, score in rows]


def group_weights(searcher, groups: list) -> list[float]:
    """Return each word group's weight: log(1 + N / estimated matches)."""
    reader = searcher.reader()
    total = reader.doc_count_all()
    return [math.log(1 + total / max(1, group.estimate_size(reader))) for group in groups]


def covered(searcher, group, docs: list[int]) -> set[int]:
    """Return which of the (sorted) documents the group's query matches, skipping through its postings."""
    found: set[int] = set()
    matcher = group.matcher(searcher)
    for doc in docs:
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)
        if matcher.is_active() and matcher.id() == doc:
            found.add(doc)
    return found


def rerank(searcher, groups: list, rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Return (docnum, score) rows with coverage-adjusted scores (unchanged for one-group queries)."""
    if len(groups) < 2 or not rows:
        return rows
    docs = sorted(doc for doc, _ in rows)
    share = dict.fromkeys(docs, 0.0)
    weights = group_weights(searcher, groups)
    for group, weight in zip(groups, weights, strict=True):
        for doc in covered(searcher, group, docs):
            share[doc] += weight
    total = sum(weights) or 1.0
    return [(doc, score * (1 + COVERAGE_WEIGHT * share[doc] / total)) for doc, score in rows]
