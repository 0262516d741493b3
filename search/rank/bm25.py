"""BM25F in bulk: score every matching paragraph of a plan with numpy, from the backend's postings.

For a plan made of terms under any/all/best-of nodes (the words of a query and their variants, as
:func:`search.query.build.build_query` makes them), a matching document's score is the sum, over the
plan's terms it holds, of ``boost x bm25(idf, weight, length, average length)``, where the alternatives
of one word (:class:`search.plan.BestOf`) count only by the best of them: the score Whoosh's own
matchers give (the Whoosh backend's tests check they agree). The postings and field lengths come from the
backend (:class:`search.backend.Backend`), for every document at once. A phrase of adjacent words scores
as the sum of its words' scores in the paragraphs where they stand in order. Plans with prefixes are left
to the backend's own scorer (``top_documents`` returns None).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from search.plan import AllOf, AnyOf, BestOf, Excluding, Node, Phrase, Term

if TYPE_CHECKING:
    from search.backend import Backend

#: A paragraph of fewer words than this scores as if it had this many (indexed words of the text field,
#: all words of the exact one). BM25 rewards short fields, and with it a scraped fragment (لدى المملكة .)
#: or a sub-heading outranked the paragraphs that say something about the word: on SaudiNewsNet, 17.5% of
#: the first ten results of a one-word search were fragments of five words or fewer, 5.5% with the floor
#: (benchmarks/fragments.py). Longer paragraphs score as plain BM25F (arcd, whose shortest passage is
#: longer, ranks the same); titles keep their own lengths.
MIN_SCORED_LENGTH = {"text": 12.0, "exact": 12.0}
#: The article title weighs this much against the paragraph text in BM25F (both backends' field boost).
TITLE_BOOST = 0.3


def holding(generation: Backend, fieldname: str, text: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each of the given documents, whether it holds the term and the term's weight there."""
    posted, weights = generation.term_postings(fieldname, text)
    if not len(posted):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs))
    at = np.minimum(np.searchsorted(posted, docs), len(posted) - 1)
    found = posted[at] == docs
    return found, np.where(found, weights[at], 0.0)


def term_scores(generation: Backend, fieldname: str, text: str, docs: np.ndarray, k1: float, b: float) -> np.ndarray:
    """Return a term's BM25F score in each of the given documents (0 where it is absent)."""
    found, weights = holding(generation, fieldname, text, docs)
    return np.where(found, _bm25(generation, fieldname, text, docs, weights, k1, b), 0.0)


def top_documents(
    generation: Backend, query: Node, allowed: np.ndarray, count: int, k1: float, b: float
) -> list[tuple[int, float]] | None:
    """Return the ``count`` best (docnum, score) among ``allowed`` documents, or None for unsupported queries."""
    if not _in_bulk(query):
        return None
    scores = np.zeros(len(allowed))
    try:
        _Scorer(generation, k1, b, len(allowed)).add(query, 1.0, scores)
    except _NoPositions:
        return None
    candidates = np.flatnonzero(allowed)
    if len(candidates) > count:
        candidates = _best(candidates, scores[candidates], count, generation.columns.order)
    return [(int(doc), float(scores[doc])) for doc in candidates]


def _best(docs: np.ndarray, scores: np.ndarray, count: int, order: np.ndarray) -> np.ndarray:
    """Return the ``count`` best documents, equal scores at the cut taken in corpus order (as the page
    sorts them), so that a longer list (a later page) always starts with the shorter one.

    >>> _best(np.array([0, 1, 2, 3]), np.array([1.0, 2.0, 1.0, 1.0]), 2, np.array([3, 2, 1, 0])).tolist()
    [1, 3]
    """
    threshold = -np.partition(-scores, count - 1)[count - 1]
    above = docs[scores > threshold]
    tied = docs[scores == threshold]
    tied = tied[np.argsort(order[tied], kind="stable")[: count - len(above)]]
    return np.concatenate([above, tied])


def matching_docs(generation: Backend, query: Node) -> np.ndarray | None:
    """Return the sorted documents a supported query matches (None: it is left to the backend's own scorer)."""
    if not _in_bulk(query):
        return None
    try:
        return _Scorer(generation, 1.2, 0.75, 0).sparse(query, 1.0)[0]  # k1 and b: any, the scores are dropped
    except _NoPositions:
        return None


class _NoPositions(Exception):
    """The backend cannot find a phrase in bulk: it is left to the backend's own scorer."""


def _in_bulk(query: Node) -> bool:
    """Return True when a plan is made of what bulk scoring handles: terms, phrases of adjacent words,
    under any-of, all-of, best-of and excluding nodes."""
    if isinstance(query, Term):
        return True
    if isinstance(query, Phrase):
        return len(query.words) > 1
    if isinstance(query, Excluding):
        return _in_bulk(query.include)
    if isinstance(query, (AnyOf, AllOf, BestOf)):
        return all(_in_bulk(sub) for sub in query.parts)
    return False


class _Scorer:
    """BM25F of a supported plan at every document, following the plan tree.

    Terms and phrases under any-of add up, and under all-of too (the plan's mask has already kept only the
    documents an all-of matches). The alternatives of one word (a best-of) count once, by the best
    of them, so a paragraph holding a word and also one of its variants scores as the word alone; an And
    among alternatives (a pair of words read as one, a glued word's halves) scores only where every part
    matches, as an intersection does. Alternatives are combined sparsely, in one scratch array
    whose touched entries are cleared after each word.
    """

    def __init__(self, generation: Backend, k1: float, b: float, size: int) -> None:
        self.generation, self.k1, self.b = generation, k1, b
        self.scratch = np.zeros(size)

    def add(self, node: Node, boost: float, scores: np.ndarray) -> None:
        """Add the node's score, times ``boost``, to every document's entry in ``scores``."""
        if isinstance(node, (Term, Phrase)):
            docs, found = self.sparse(node, boost)
            scores[docs] += found
            return
        if isinstance(node, Excluding):
            self.add(node.include, boost, scores)
            return
        boost *= node.boost
        if isinstance(node, BestOf):
            best, touched = self.scratch, []
            for sub in node.parts:
                docs, found = self.sparse(sub, 1.0)
                best[docs] = np.maximum(best[docs], found)
                touched.append(docs)
            if touched:
                at = np.concatenate(touched)  # repeated documents are added once: NumPy buffers fancy-index +=
                scores[at] += boost * best[at]
                best[at] = 0.0
        else:  # any-of, all-of
            for sub in node.parts:
                if isinstance(node, AnyOf) and isinstance(sub, AllOf):  # scores where all its parts match
                    docs, found = self.sparse(sub, boost)
                    scores[docs] += found
                else:
                    self.add(sub, boost, scores)

    def sparse(self, node: Node, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """Return the sorted documents a node matches and its score, times ``boost``, in each."""
        if isinstance(node, Excluding):
            return self.sparse(node.include, boost)
        boost *= node.boost
        if isinstance(node, Term):
            docs, weights = self.generation.term_postings(node.field, node.text)
            if not len(docs):
                return docs, weights
            return docs, boost * _bm25(self.generation, node.field, node.text, docs, weights, self.k1, self.b)
        if isinstance(node, Phrase):  # a phrase scores as its words' sum where they stand in order
            docs = self.generation.phrase_docs(node.field, list(node.words))
            if docs is None:
                raise _NoPositions
            found = sum(term_scores(self.generation, node.field, w, docs, self.k1, self.b) for w in node.words)
            return docs, boost * np.asarray(found, dtype=np.float64)
        parts = [self.sparse(sub, boost) for sub in node.parts]
        if isinstance(node, AllOf):  # only where every part matches
            docs, found = parts[0]
            for other, more in parts[1:]:
                docs, here, there = np.intersect1d(docs, other, assume_unique=True, return_indices=True)
                found = found[here] + more[there]
            return docs, found
        docs = np.concatenate([d for d, _ in parts])
        found = np.concatenate([f for _, f in parts])
        unique, index = np.unique(docs, return_inverse=True)
        total = np.zeros(len(unique))
        (np.maximum if isinstance(node, BestOf) else np.add).at(total, index, found)
        return unique, total


def _bm25(
    generation: Backend, fieldname: str, text: str, docs: np.ndarray, weights: np.ndarray, k1: float, b: float
) -> np.ndarray:
    """Return a term's BM25F score at its posting documents, from their weights and field lengths."""
    lengths = generation.field_lengths(fieldname)[docs]
    average = generation.avg_field_length(fieldname) or 1.0
    if fieldname in MIN_SCORED_LENGTH:
        lengths = np.maximum(lengths, MIN_SCORED_LENGTH[fieldname])
    return generation.idf(fieldname, text) * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average))
