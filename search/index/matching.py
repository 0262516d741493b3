"""The set a plan matches, as a numpy mask over a Whoosh generation's documents.

Terms are read straight from their posting arrays (no Python step per document) and combined by the
plan's boolean structure; phrases of adjacent words are found from the position arrays. What the
arrays cannot answer (a prefix's terms, a segment without positions) goes through Whoosh.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from search.backend import Deadline
from search.index.reading import Generation, phrase_docs, term_postings
from search.index.translate import to_whoosh
from search.plan import (
    AllOf,
    AnyOf,
    BestOf,
    Everything,
    Excluding,
    Near,
    Node,
    Nothing,
    Phrase,
    Prefix,
    Term,
    terms,
)


def match_mask(generation: Generation, node: Node | None, deadline: Deadline) -> np.ndarray:
    """Return the boolean mask of documents a plan matches (every document for None)."""
    size = generation.columns.doc_count
    if node is None:
        return np.ones(size, dtype=bool)
    return _mask(generation, node, size, deadline)


def _term_docs(generation: Generation, field: str, text: str) -> np.ndarray:
    """Return the sorted docnums holding a term."""
    return term_postings(generation, field, text)[0]


def _mask(generation: Generation, node: Node, size: int, deadline: Deadline) -> np.ndarray:
    """Evaluate a node's boolean structure as masks; leaves the arrays cannot answer fall back to Whoosh."""
    if isinstance(node, Term):
        if node.rank_only:  # a guess scores where the query matches and matches nothing alone
            return np.zeros(size, dtype=bool)
        return _docs_mask(_term_docs(generation, node.field, node.text), size)
    if isinstance(node, (AnyOf, BestOf)):
        return _combine(generation, node.parts, size, deadline, np.logical_or, False)
    if isinstance(node, AllOf):
        return _combine(generation, node.parts, size, deadline, np.logical_and, True)
    if isinstance(node, Excluding):
        return _mask(generation, node.include, size, deadline) & ~_mask(generation, node.exclude, size, deadline)
    if isinstance(node, Phrase):
        docs = phrase_docs(generation, node.field, list(node.words))
        if docs is not None:
            return _docs_mask(docs, size)
    if isinstance(node, Everything):
        return np.ones(size, dtype=bool)
    if isinstance(node, Nothing):
        return np.zeros(size, dtype=bool)
    if isinstance(node, Prefix):
        reader = generation.searcher().reader()
        mask = np.zeros(size, dtype=bool)
        for text in wq.Prefix(node.field, node.text)._btexts(reader):
            if deadline.passed():
                break
            mask[_term_docs(generation, node.field, text.decode("utf-8"))] = True
        return mask
    docs = np.fromiter(to_whoosh(node).docs(generation.searcher()), dtype=np.int64)
    return _docs_mask(docs, size)


def _docs_mask(docs: np.ndarray, size: int) -> np.ndarray:
    """Return the boolean mask of ``size`` documents that is True at the given docnums."""
    mask = np.zeros(size, dtype=bool)
    mask[docs] = True
    return mask


def _combine(generation: Generation, parts: tuple[Node, ...], size: int, deadline: Deadline, op, start: bool):  # noqa: ANN001, ANN202
    """Fold sub-node masks with a numpy boolean operation.

    In an any-of, a phrase or span (words near each other) matches only where all its words do; when
    the other alternatives already cover all of those documents it cannot add one, and its positions
    are never read (proximity evidence ORed beside its own words costs nothing here).
    """
    mask = np.full(size, start, dtype=bool)
    later = []
    for sub in parts:
        if op is np.logical_or and isinstance(sub, (Phrase, Near)):
            later.append(sub)
        else:
            op(mask, _mask(generation, sub, size, deadline), out=mask)
    for sub in later:
        words = np.ones(size, dtype=bool)
        for field, text in terms(sub):
            holding = np.zeros(size, dtype=bool)
            holding[_term_docs(generation, field, text)] = True
            words &= holding
        if (words & ~mask).any():
            mask |= _mask(generation, sub, size, deadline)
    return mask
