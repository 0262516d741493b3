"""Reading a Whoosh generation in bulk: posting lists, positions and field lengths as numpy arrays.

Each segment's posting arrays (saved beside it at build time, :mod:`search.index.postings`) answer
directly; a segment without them is read through Whoosh's posting blocks, a block at a time. Results
are cached per generation (its ``terms`` cache).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

from search.index.postings import FOLDER, FieldPostings, load_lengths

if TYPE_CHECKING:
    from pathlib import Path

    from whoosh.searching import Searcher

    from search.backend import Columns, LRUCache


class Generation(Protocol):
    """What reading needs of an opened generation (:class:`search.index.generation.Generation`)."""

    path: Path
    columns: Columns
    terms: LRUCache

    def searcher(self) -> Searcher:
        """Return this thread's Whoosh searcher."""

    def posting_arrays(self, segment: str, fieldname: str) -> FieldPostings | None:
        """Return one segment's posting arrays for a field (None: none saved)."""

#: Whoosh stores a field length in one byte; this table turns the byte back into the length it scores with.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


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
