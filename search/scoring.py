"""BM25F in bulk: score every matching paragraph with numpy instead of walking Whoosh's matcher tree.

For a query made of terms under OR and AND (the words of a query and their variants, as
:func:`search.query.build_query` makes them), Whoosh's score of a matching document is the sum, over the
query's terms it holds, of ``boost x bm25(idf, weight, length, average length)``, where the alternatives
of one word (:class:`search.query.Alternatives`) count only by the best of them. The same score is computed
here from posting blocks decoded with numpy and the field lengths of the generation, for every document
at once; the top candidates are then taken with ``argpartition``. Queries with phrases, prefixes or spans
are left to Whoosh (``top_documents`` returns None).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

from search.postings import FOLDER, FieldPostings, load_lengths

if TYPE_CHECKING:

    from search.store import Generation

#: Whoosh stores a field length in one byte; this table turns the byte back into the length it scores with.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


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
    searcher = generation.searcher()
    lengths = field_lengths(generation, fieldname)[docs]
    average = searcher.avg_field_length(fieldname) or 1.0
    scores = searcher.idf(fieldname, text) * (weights * (k1 + 1)) / (
        weights + k1 * ((1 - b) + b * lengths / average)
    )
    return np.where(found, scores, 0.0)


def top_documents(
    generation, query: wq.Query, allowed: np.ndarray, count: int, k1: float, b: float
) -> list[tuple[int, float]] | None:
    """Return the ``count`` best (docnum, score) among ``allowed`` documents, or None for unsupported queries."""
    if scored_terms(query) is None:
        return None
    scores = np.zeros(len(allowed))
    _add_scores(generation, query, 1.0, scores, k1, b)
    candidates = np.flatnonzero(allowed)
    if len(candidates) > count:
        best = np.argpartition(-scores[candidates], count - 1)[:count]
        candidates = candidates[best]
    return [(int(doc), float(scores[doc])) for doc in candidates]


def _add_scores(
    generation: Generation, node: wq.Query, boost: float, scores: np.ndarray, k1: float, b: float, strict: bool = False
) -> None:
    """Add a supported query's BM25F score to every document's entry in ``scores`` (in place).

    Terms under Or add up, and under And too; the alternatives of one word (a DisjunctionMax) count
    once, by the best of them, so a paragraph holding a word and also one of its variants scores as the
    word alone. An And among alternatives (a glued word's two halves) scores only where both match, as
    Whoosh's intersection does; elsewhere the query's mask has already kept only the documents it matches.
    """
    boost *= node.boost
    if isinstance(node, wq.Term):
        docs, found = _term_bm25(generation, node, k1, b)
        scores[docs] += boost * found
    elif isinstance(node, wq.DisjunctionMax):
        best = np.zeros(len(scores))
        touched = []
        for sub in node.subqueries:
            if isinstance(sub, wq.Term):
                docs, found = _term_bm25(generation, sub, k1, b)
                found = found * sub.boost
            else:
                part = np.zeros(len(scores))
                _add_scores(generation, sub, 1.0, part, k1, b, strict=True)
                docs = np.flatnonzero(part)
                found = part[docs]
            best[docs] = np.maximum(best[docs], found)
            touched.append(docs)
        if touched:
            at = np.concatenate(touched)  # repeated documents are added once: NumPy buffers fancy-index +=
            scores[at] += boost * best[at]
    elif isinstance(node, wq.AndNot):
        _add_scores(generation, node.a, boost, scores, k1, b, strict)
    elif isinstance(node, wq.And) and strict:
        parts = []
        for sub in node.subqueries:
            parts.append(np.zeros(len(scores)))
            _add_scores(generation, sub, boost, parts[-1], k1, b, strict)
        every = np.logical_and.reduce([part > 0 for part in parts])
        scores += np.where(every, np.sum(parts, axis=0), 0.0)
    else:  # Or, And
        for sub in node.subqueries:
            _add_scores(generation, sub, boost, scores, k1, b, strict)


def _term_bm25(generation: Generation, term: wq.Term, k1: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Return a term's posting documents and its BM25F score in each (its boost not applied)."""
    docs, weights = term_postings(generation, term.fieldname, term.text)
    if not len(docs):
        return docs, weights
    return docs, _bm25(generation, term.fieldname, term.text, docs, weights, k1, b)


def _bm25(
    generation: Generation, fieldname: str, text: str, docs: np.ndarray, weights: np.ndarray, k1: float, b: float
) -> np.ndarray:
    """Return a term's BM25F score at its posting documents, from their weights and field lengths."""
    searcher = generation.searcher()
    lengths = field_lengths(generation, fieldname)[docs]
    average = searcher.avg_field_length(fieldname) or 1.0
    return searcher.idf(fieldname, text) * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average))
