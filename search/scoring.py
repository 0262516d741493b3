"""BM25F in bulk: score every matching paragraph with numpy instead of walking Whoosh's matcher tree.

For a query made of terms under OR and AND (the words of a query and their variants, as
:func:`search.query.build_query` makes them), Whoosh's score of a matching document is the sum, over the
query's terms it holds, of ``boost x bm25(idf, weight, length, average length)``, where the alternatives
of one word (:class:`search.query.Alternatives`) count only by the best of them. The same score is computed
here from posting blocks decoded with numpy and the field lengths of the generation, for every document
at once; the top candidates are then taken with ``argpartition``. A phrase of adjacent words scores, as
in Whoosh, as the sum of its words' scores in the paragraphs where they stand in order (found with
:func:`phrase_docs`). Queries with prefixes or spans are left to Whoosh (``top_documents`` returns None).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

from search.postings import FOLDER, FieldPostings, load_lengths

if TYPE_CHECKING:

    from search.store import Generation

#: A paragraph of fewer words than this scores as if it had this many (indexed words of the text field,
#: all words of the exact one). BM25 rewards short fields, and with it a scraped fragment (لدى المملكة .)
#: or a sub-heading outranked the paragraphs that say something about the word: on SaudiNewsNet, 17.5% of
#: the first ten results of a one-word search were fragments of five words or fewer, 5.5% with the floor
#: (benchmarks/fragments.py). Longer paragraphs score as plain BM25F (arcd, whose shortest passage is
#: longer, ranks the same); titles keep their own lengths.
MIN_SCORED_LENGTH = {"text": 12.0, "exact": 12.0}

#: Whoosh stores a field length in one byte; this table turns the byte back into the length it scores with.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class FlooredBM25F(BM25F):
    """Whoosh's BM25F with the lengths of the fields of MIN_SCORED_LENGTH raised to their floor (as ``_bm25``)."""

    def scorer(self, searcher, fieldname, text, qf=1):  # noqa: ANN001, ANN201 (Whoosh's signature)
        """Return the scorer of one term (a floored one for the fields of MIN_SCORED_LENGTH)."""
        if fieldname not in MIN_SCORED_LENGTH or not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _FlooredScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf=qf)


class _FlooredScorer(BM25FScorer):
    """A BM25F term scorer whose lengths are at least the field's MIN_SCORED_LENGTH."""

    def _score(self, weight: float, length: float) -> float:
        return super()._score(weight, max(length, self._floor))

    def setup(self, searcher, fieldname, text) -> None:  # noqa: ANN001 (Whoosh's signature)
        self._floor = MIN_SCORED_LENGTH[fieldname]
        super().setup(searcher, fieldname, text)


def scored_terms(query: wq.Query, boost: float = 1.0) -> Iterator[tuple[str, str, float]] | None:
    """Return the (field, text, boost) of every term a query scores with, or None if it holds anything else."""
    terms: list[tuple[str, str, float]] = []
    stack = [(query, boost)]
    while stack:
        node, weight = stack.pop()
        if isinstance(node, wq.Term):
            terms.append((node.fieldname, node.text, weight * node.boost))
        elif isinstance(node, (wq.Or, wq.And, wq.DisjunctionMax)) and not (
            getattr(node, "minmatch", 0) or getattr(node, "scale", None)
        ):
            stack.extend((sub, weight * node.boost) for sub in node.subqueries)
        elif isinstance(node, wq.AndNot):
            stack.append((node.a, weight * node.boost))  # the excluded part never scores
        else:
            return None
    return iter(terms)


def segment_arrays(generation: Generation, fieldname: str) -> Iterator[tuple[object, int, FieldPostings | None]]:
    """Yield each segment's reader, its first docnum and its posting arrays for a field (None: none saved)."""
    for leaf, offset in generation.searcher().reader().leaf_readers():
        yield leaf, offset, generation.posting_arrays(leaf.segment().segment_id(), fieldname)


def term_postings(generation: Generation, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return a term's docnums and weights (term frequency x field boost), cached per generation."""

    def read() -> tuple[np.ndarray, np.ndarray]:
        ids, weights = [], []
        boost = generation.searcher().schema[fieldname].format.field_boost  # (index.schema re-reads the TOC)
        for leaf, offset, arrays in segment_arrays(generation, fieldname):
            if arrays is not None:
                row = arrays.row(text)
                if row is not None:
                    docs, freqs = arrays.postings(row)
                    ids.append(docs.astype(np.int64) + offset)
                    weights.append((freqs * boost).astype(np.float32).astype(np.float64))  # as Whoosh stores it
                continue
            if (fieldname, text) not in leaf:
                continue
            matcher = leaf.postings(fieldname, text)
            if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
                while matcher.is_active():
                    matcher._read_data()
                    gaps, stored = matcher._data[0], matcher._data[1]
                    block = np.cumsum(np.asarray(gaps, dtype=np.int64)) + offset
                    ids.append(block)
                    if stored is None or isinstance(stored, float):
                        weights.append(np.full(len(block), 1.0 if stored is None else stored))
                    else:
                        weights.append(np.asarray(stored, dtype=np.float64))
                    matcher._next_block()
            else:  # a rare term: its postings are stored inline in the term info
                pairs = []
                while matcher.is_active():
                    pairs.append((matcher.id() + offset, matcher.weight()))
                    matcher.next()
                ids.append(np.array([p[0] for p in pairs], dtype=np.int64))
                weights.append(np.array([p[1] for p in pairs], dtype=np.float64))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(ids), np.concatenate(weights)

    return generation.terms.get_or_compute(("postings", fieldname, text), read)


def doc_frequency(generation: Generation, fieldname: str, text: str) -> int:
    """Return how many documents hold a term (row lengths of the posting arrays; Whoosh's term table
    for a segment without them, a disk read per segment)."""
    total = 0
    for leaf, _offset, arrays in segment_arrays(generation, fieldname):
        if arrays is None:
            total += leaf.doc_frequency(fieldname, text)
        elif (row := arrays.row(text)) is not None:
            total += arrays.count(row)
    return total


def phrase_docs(generation: Generation, fieldname: str, words: list[str]) -> np.ndarray | None:
    """Return the sorted docnums holding the words at consecutive positions (None: a segment has no arrays).

    The documents holding every word are found first, from the rarest word's list; only there are
    positions read. Each word's positions become ``(docnum << 32) + position - i`` (i: its place in
    the phrase), sorted; a document matches where one value is in every word's list.
    """
    found = []
    for _leaf, offset, arrays in segment_arrays(generation, fieldname):
        if arrays is None or arrays.positions is None:
            return None
        rows = [arrays.row(word) for word in words]
        if any(row is None for row in rows):
            continue
        order = sorted(range(len(words)), key=lambda i: arrays.count(rows[i]))
        docs = arrays.postings(rows[order[0]])[0]
        for i in order[1:]:
            docs = docs[arrays.holding(rows[i], docs)[0]]
        if not len(docs):
            continue
        keys = arrays.position_keys(rows[order[0]], order[0], docs)
        for i in order[1:]:
            other = arrays.position_keys(rows[i], i, docs)
            at = np.minimum(np.searchsorted(other, keys), len(other) - 1)
            keys = keys[other[at] == keys]
        found.append(np.unique(keys >> 32) + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def positions_at(generation: Generation, fieldname: str, text: str, docs: np.ndarray) -> list[np.ndarray] | None:
    """Return a term's positions in each of the given docnums (None: a segment has no position arrays)."""
    result: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(docs)
    for leaf, offset, arrays in segment_arrays(generation, fieldname):
        if arrays is None or arrays.positions is None:
            return None
        inside = np.flatnonzero((docs >= offset) & (docs < offset + leaf.doc_count_all()))
        row = arrays.row(text)
        if row is None or not len(inside):
            continue
        for i, found in zip(inside.tolist(), arrays.positions_at(row, docs[inside] - offset), strict=True):
            result[i] = found
    return result


def field_lengths(generation: Generation, fieldname: str) -> np.ndarray:
    """Return every document's length in a field as Whoosh scores it, cached per generation (saved
    beside the segment at build time; read from Whoosh's length column, a call per document, otherwise)."""

    def read() -> np.ndarray:
        parts = []
        reader = generation.searcher().reader()
        for leaf, _offset in reader.leaf_readers():
            count = leaf.doc_count_all()
            saved = load_lengths(generation.path / FOLDER, leaf.segment().segment_id(), fieldname)
            if saved is not None and len(saved) == count:
                parts.append(saved.astype(np.float64))
                continue
            perdoc = getattr(leaf, "_perdoc", None)
            column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc is not None else None
            if column is None:
                parts.append(np.array([leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], float))
            else:
                parts.append(_LENGTHS[np.fromiter((column[d] for d in range(count)), dtype=np.uint8, count=count)])
        return np.concatenate(parts) if parts else np.zeros(0)

    return generation.terms.get_or_compute(("lengths", fieldname), read)


def holding(generation: Generation, fieldname: str, text: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each of the given documents, whether it holds the term and the term's weight there."""
    posted, weights = term_postings(generation, fieldname, text)
    if not len(posted):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs))
    at = np.minimum(np.searchsorted(posted, docs), len(posted) - 1)
    found = posted[at] == docs
    return found, np.where(found, weights[at], 0.0)


def term_scores(generation: Generation, fieldname: str, text: str, docs: np.ndarray, k1: float, b: float) -> np.ndarray:
    """Return a term's BM25F score in each of the given documents (0 where it is absent)."""
    found, weights = holding(generation, fieldname, text, docs)
    return np.where(found, _bm25(generation, fieldname, text, docs, weights, k1, b), 0.0)


def top_documents(
    generation, query: wq.Query, allowed: np.ndarray, count: int, k1: float, b: float
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


def matching_docs(generation: Generation, query: wq.Query) -> np.ndarray | None:
    """Return the sorted documents a supported query matches (None: it is left to Whoosh's matchers)."""
    if not _in_bulk(query):
        return None
    try:
        return _Scorer(generation, 1.2, 0.75, 0).sparse(query, 1.0)[0]  # k1 and b: any, the scores are dropped
    except _NoPositions:
        return None


class _NoPositions(Exception):
    """A segment has no position arrays: its phrases are left to Whoosh."""


def _in_bulk(query: wq.Query) -> bool:
    """Return True when a query is made of what bulk scoring handles: terms, phrases of adjacent words,
    under Or, And, AndNot and DisjunctionMax."""
    if isinstance(query, wq.Term):
        return True
    if isinstance(query, wq.Phrase):
        return query.slop == 1 and len(query.words) > 1
    if isinstance(query, wq.AndNot):
        return _in_bulk(query.a)
    if isinstance(query, (wq.Or, wq.And, wq.DisjunctionMax)):
        if getattr(query, "minmatch", 0) or getattr(query, "scale", None):
            return False
        return all(_in_bulk(sub) for sub in query.subqueries)
    return False


class _Scorer:
    """BM25F of a supported query at every document, following the query tree.

    Terms and phrases under Or add up, and under And too (the query's mask has already kept only the
    documents an And matches). The alternatives of one word (a DisjunctionMax) count once, by the best
    of them, so a paragraph holding a word and also one of its variants scores as the word alone; an And
    among alternatives (a pair of words read as one, a glued word's halves) scores only where every part
    matches, as Whoosh's intersection does. Alternatives are combined sparsely, in one scratch array
    whose touched entries are cleared after each word.
    """

    def __init__(self, generation: Generation, k1: float, b: float, size: int) -> None:
        self.generation, self.k1, self.b = generation, k1, b
        self.scratch = np.zeros(size)

    def add(self, node: wq.Query, boost: float, scores: np.ndarray) -> None:
        """Add the node's score, times ``boost``, to every document's entry in ``scores``."""
        if isinstance(node, (wq.Term, wq.Phrase)):
            docs, found = self.sparse(node, boost)
            scores[docs] += found
            return
        boost *= node.boost
        if isinstance(node, wq.DisjunctionMax):
            best, touched = self.scratch, []
            for sub in node.subqueries:
                docs, found = self.sparse(sub, 1.0)
                best[docs] = np.maximum(best[docs], found)
                touched.append(docs)
            if touched:
                at = np.concatenate(touched)  # repeated documents are added once: NumPy buffers fancy-index +=
                scores[at] += boost * best[at]
                best[at] = 0.0
        elif isinstance(node, wq.AndNot):
            self.add(node.a, boost, scores)
        else:  # Or, And
            for sub in node.subqueries:
                if isinstance(node, wq.Or) and isinstance(sub, wq.And):  # scores where all its parts match
                    docs, found = self.sparse(sub, boost)
                    scores[docs] += found
                else:
                    self.add(sub, boost, scores)

    def sparse(self, node: wq.Query, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """Return the sorted documents a node matches and its score, times ``boost``, in each."""
        boost *= node.boost
        if isinstance(node, wq.Term):
            docs, weights = term_postings(self.generation, node.fieldname, node.text)
            if not len(docs):
                return docs, weights
            return docs, boost * _bm25(self.generation, node.fieldname, node.text, docs, weights, self.k1, self.b)
        if isinstance(node, wq.Phrase):  # Whoosh scores a phrase as its words' sum where they stand in order
            docs = phrase_docs(self.generation, node.fieldname, list(node.words))
            if docs is None:
                raise _NoPositions
            found = sum(term_scores(self.generation, node.fieldname, w, docs, self.k1, self.b) for w in node.words)
            return docs, boost * np.asarray(found, dtype=np.float64)
        if isinstance(node, wq.AndNot):
            return self.sparse(node.a, boost)
        parts = [self.sparse(sub, boost) for sub in node.subqueries]
        if isinstance(node, wq.And):  # only where every part matches
            docs, found = parts[0]
            for other, more in parts[1:]:
                docs, here, there = np.intersect1d(docs, other, assume_unique=True, return_indices=True)
                found = found[here] + more[there]
            return docs, found
        docs = np.concatenate([d for d, _ in parts])
        found = np.concatenate([f for _, f in parts])
        unique, index = np.unique(docs, return_inverse=True)
        total = np.zeros(len(unique))
        (np.maximum if isinstance(node, wq.DisjunctionMax) else np.add).at(total, index, found)
        return unique, total


def _bm25(
    generation: Generation, fieldname: str, text: str, docs: np.ndarray, weights: np.ndarray, k1: float, b: float
) -> np.ndarray:
    """Return a term's BM25F score at its posting documents, from their weights and field lengths."""
    searcher = generation.searcher()
    lengths = field_lengths(generation, fieldname)[docs]
    average = searcher.avg_field_length(fieldname) or 1.0
    if fieldname in MIN_SCORED_LENGTH:
        lengths = np.maximum(lengths, MIN_SCORED_LENGTH[fieldname])
    return searcher.idf(fieldname, text) * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average))
