"""Re-ranking the best BM25F candidates: evidence (title, proximity) and coverage.

The first stage collects the top candidates of the matching plan. Only those candidates then get the
evidence's score added (query words in the article
title, consecutive query words near each other), which would stop block skipping inside the first stage.

BM25 adds up the words a paragraph holds, so two frequent words can outweigh the one rare word that
names the subject. Once the top candidates are collected, each one's score is multiplied by
``1 + COVERAGE_WEIGHT x covered``, where ``covered`` is the share of the query's word groups it matches,
each group weighted by its inverse document frequency. Only a page's worth of candidates is touched.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from search.analysis.analyzer import term_positions
from search.plan import AnyOf, Near, Node, Term, requires_all, scored_terms
from search.query.build import BM25_B, BM25_K1
from search.rank.bm25 import holding, matching_docs, term_scores

if TYPE_CHECKING:
    from search.backend import Backend
    from search.plan import QueryPlan

#: How much full coverage adds to a score (tuned on arcd train).
COVERAGE_WEIGHT = 0.6
#: Candidates re-ranked: at least this many, more when a later page is asked for.
COVERAGE_CANDIDATES = 50


def candidate_count(plan: QueryPlan, wanted: int, semantic: bool = False) -> int:
    """Return how many top documents to collect so that re-ranking can promote one into the page."""
    reranked = semantic or len(plan.groups) > 1 or plan.evidence is not None
    return max(wanted, COVERAGE_CANDIDATES) if reranked else wanted


def add_evidence(
    generation: Backend, evidence: Node | None, rows: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Add the evidence's score at each candidate that it matches (title words, proximity)."""
    if evidence is None or not rows:
        return rows
    docs = np.array([doc for doc, _ in rows], dtype=np.int64)
    fast = evidence_scores(generation, evidence, docs)
    if fast is not None:
        return [(doc, score + float(extra)) for (doc, score), extra in zip(rows, fast, strict=True)]
    extra = generation.scores_at(evidence, sorted(doc for doc, _ in rows))
    return [(doc, score + extra.get(doc, 0.0)) for doc, score in rows]


def evidence_scores(generation: Backend, evidence: Node, docs: np.ndarray) -> np.ndarray | None:
    """Score the evidence at the given documents in bulk (None if it has other parts).

    Title terms score as BM25F; a pair of words within the slop scores as its two terms (the way Whoosh
    scores a span), their positions read from the backend (or the candidate's own text).
    """
    # an any-of's boost applies to the whole; a single part carries its own boost
    parts, outer = (evidence.parts, evidence.boost) if isinstance(evidence, AnyOf) else ((evidence,), 1.0)
    total = np.zeros(len(docs))
    positions: dict[int, dict[str, list[int]]] = {}
    read: dict[tuple[str, str], tuple] = {}  # each word pair's candidates holding both, and their positions
    scored: dict[tuple[str, str], np.ndarray] = {}  # each term's BM25F at the candidates
    stored = generation.stored

    def score(term: Term) -> np.ndarray:
        key = (term.field, term.text)
        if key not in scored:  # a word is in a title term, then in proximity and side-by-side pairs
            scored[key] = term_scores(generation, term.field, term.text, docs, BM25_K1, BM25_B)
        return term.boost * scored[key]

    for part in parts:
        if isinstance(part, Term):
            total += score(part)
        elif _is_word_pair(part):
            a, b = part.first, part.second
            if (a.text, b.text) not in read:  # the same pair near, then side by side: read once
                both = holding(generation, "text", a.text, docs)[0] & holding(generation, "text", b.text, docs)[0]
                where = np.flatnonzero(both)  # positions are read only where both words stand
                read[a.text, b.text] = (
                    where, generation.positions_at("text", a.text, docs[where]),
                    generation.positions_at("text", b.text, docs[where]),
                )
            where, first, second = read[a.text, b.text]
            near = np.zeros(len(docs), dtype=bool)
            if first is not None and second is not None:
                pairs = zip(first, second, strict=True)
                near[where] = [_near(x.tolist(), y.tolist(), part.slop, part.mindist) for x, y in pairs]
            else:  # an index without position arrays: read the candidate's own text
                for i in where.tolist():
                    doc = int(docs[i])
                    if doc not in positions:
                        positions[doc] = term_positions(stored(doc).get("text", ""))[0]
                    near[i] = _near(positions[doc].get(a.text), positions[doc].get(b.text), part.slop, part.mindist)
            if near.any():
                total += np.where(near, score(a) + score(b), 0.0)
        else:
            return None
    return total * outer


def _is_word_pair(query: Node) -> bool:
    """True for a :class:`Near` of two text terms (the proximity evidence build.py makes)."""
    return isinstance(query, Near) and query.first.field == query.second.field == "text"


def _near(first: list[int] | None, second: list[int] | None, slop: int, mindist: int) -> bool:
    """True when some position of one word is within [mindist, slop] of some position of the other."""
    if not first or not second:
        return False
    return any(mindist <= abs(a - b) <= slop for a in first for b in second)


def group_weights(generation: Backend, groups: list[Node]) -> list[float]:
    """Return each word group's weight: log(1 + N / estimated matches)."""
    total = generation.doc_count
    return [math.log(1 + total / max(1, generation.estimated_matches(group))) for group in groups]


def covered(generation: Backend, group: Node, docs: list[int]) -> set[int]:
    """Return which of the (sorted) documents the group matches."""
    at = np.array(docs, dtype=np.int64)
    terms = None if requires_all(group) else scored_terms(group)
    if terms is not None:  # words and variants: look the documents up in their postings
        mask = np.zeros(len(docs), dtype=bool)
        for fieldname, text, _ in terms:
            mask |= holding(generation, fieldname, text, at)[0]
        return {doc for doc, hit in zip(docs, mask, strict=True) if hit}
    matched = matching_docs(generation, group)  # a pair read as one, a phrase: matched in bulk
    if matched is not None:
        return {doc for doc, hit in zip(docs, np.isin(at, matched), strict=True) if hit}
    return set(generation.scores_at(group, docs))


def rerank(generation: Backend, groups: list[Node], rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Return (docnum, score) rows with coverage-adjusted scores (unchanged for one-group queries)."""
    if len(groups) < 2 or not rows:
        return rows
    docs = sorted(doc for doc, _ in rows)
    share = dict.fromkeys(docs, 0.0)
    weights = group_weights(generation, groups)
    for group, weight in zip(groups, weights, strict=True):
        for doc in covered(generation, group, docs):
            share[doc] += weight
    total = sum(weights) or 1.0
    return [(doc, score * (1 + COVERAGE_WEIGHT * share[doc] / total)) for doc, score in rows]
