"""Writing paragraph segments fast: one analysis pass per paragraph, postings sorted in memory.

Whoosh's ``SegmentWriter.add_document`` analyses the paragraph once per field, pickles every posting
to temporary run files and merges them back with a heap, then reads each posting's field length back
from disk. :class:`ParagraphWriter` keeps its segment format and codec but feeds it directly:

- :func:`search.index.schema.term_positions` tokenizes a paragraph once for both ``text`` and ``exact``;
  the title of an article is analysed once for all its paragraphs;
- :class:`MemoryPool` keeps postings by term in memory and sorts only the distinct terms;
  a writer closes its segment every ``SEGMENT_DOCS`` paragraphs, which bounds that memory;
- field lengths for BM25 are kept in memory as the codec quantizes them.

The first ``CHECKED_DOCS`` paragraphs of every writer are also analysed by the schema's own
analyzers; on any difference the writer falls back to them for good, so a changed analyzer can
never make the fast path write a different index.
"""

from __future__ import annotations

import gc
import logging
import pickle
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from whoosh.codec.whoosh3 import W3Codec, W3TermInfo
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from search.analysis.analyzer import term_positions
from search.index import postings
from search.index.completions import WordRuns

log = logging.getLogger("fahras")

# whoosh-reloaded 2.7.5 calls ``terminfo.set_inline`` when it inlines a short posting list, but the
# method is named ``set_inlined`` (so inlining only ever worked with inlinelimit <= 1, i.e. never).
if not hasattr(W3TermInfo, "set_inline"):
    W3TermInfo.set_inline = W3TermInfo.set_inlined

#: Paragraphs per segment: bounds a writer's memory (about 8 KB a paragraph); fewer segments mean
#: fewer term look-ups per query, so the default gives each of two writers one segment.
SEGMENT_DOCS = 100_000
#: Paragraphs per writer checked against the schema's own analyzers.
CHECKED_DOCS = 64
_FAST_FIELDS = ("text", "exact", "title")
#: Whoosh's codec settings: terms in at most ``inlinelimit`` paragraphs keep their postings inline in
#: the term table (most words of news are rare: no posting block to pickle, compress and seek to).
CODEC = {"blocklimit": 128, "compression": 3, "inlinelimit": 1}


class MemoryPool:
    """Postings by (field, term) in memory, each list in docnum order (documents are added in order)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], list] = {}

    def add(self, fieldname: str, tbytes: bytes, docnum: int, weight: float, value: bytes) -> None:
        """Add one posting (kept flat: docnum, weight, value, docnum, ...)."""
        key = (fieldname, tbytes)
        postings = self.terms.get(key)
        if postings is None:
            self.terms[key] = [docnum, weight, value]
        else:
            postings += (docnum, weight, value)

    def frequencies(self, fieldname: str) -> Counter[str]:
        """Return the document frequency of each term of one field."""
        return Counter({t.decode("utf-8"): len(p) // 3 for (f, t), p in self.terms.items() if f == fieldname})

    def cleanup(self) -> None:
        """Drop every posting."""
        self.terms = {}


@lru_cache(maxsize=4096)
def _stored_length(length: int) -> int:
    """Return a field length as the codec stores it (one byte, quantized)."""
    return byte_to_length(length_to_byte(length))


def _add_blocks(postwriter, postings: list, lengths: list[int] | None) -> None:
    """Fill a term's posting blocks a block at a time: what ``W3PostingsWriter.add_posting`` does per
    posting (buffer ids, weights and values, track the block's weight and length bounds, write a full
    block before buffering more), in bulk. ``postings`` is flat: docnum, weight, value, docnum, ..."""
    limit = postwriter._blocklimit
    for start in range(0, len(postings), 3 * limit):
        if len(postwriter._ids) >= limit:
            postwriter._write_block()
        end = start + 3 * limit
        ids = postings[start:end:3]
        weights = postings[start + 1 : end : 3]
        postwriter._ids.extend(ids)
        postwriter._weights.extend(weights)
        postwriter._maxweight = max(postwriter._maxweight, max(weights))
        postwriter._values.extend(v for v in postings[start + 2 : end : 3] if v)
        if lengths is not None:
            used = [n for n in map(lengths.__getitem__, ids) if n]
            if used:
                low, high = min(used), max(used)
                if postwriter._minlength is None or low < postwriter._minlength:
                    postwriter._minlength = low
                postwriter._maxlength = max(postwriter._maxlength, high)


class ParagraphWriter(SegmentWriter):
    """A segment writer for paragraph documents (see the module docstring)."""

    def __init__(self, ix) -> None:
        super().__init__(ix, _lk=False, codec=W3Codec(**CODEC))
        self.pool = MemoryPool()
        self.lengths: dict[str, list[int]] = {}
        self.fast = True
        self._title: tuple[str | None, dict[str, list[int]]] = (None, {})
        self._single: dict[int, bytes] = {}  # encoded one-position values, by position
        self._weights: dict[float, dict[int, float]] = {}

    def _analysed(self, doc: dict) -> dict[str, dict[str, list[int]]]:
        """Return the term positions of the analysed fields, the title reused along an article."""
        stems, exact = term_positions(doc["text"])
        if self._title[0] != doc["title"]:
            self._title = (doc["title"], term_positions(doc["title"])[0])
        return {"text": stems, "exact": exact, "title": self._title[1]}

    def _postings(self, fieldname: str, positions: dict[str, list[int]]) -> list[tuple[bytes, int, float, bytes]]:
        """Turn term positions into (term, freq, weight, value) as the field's format encodes them
        (the encoding of a single position, most postings, is remembered)."""
        fmt = self.schema[fieldname].format
        boost = fmt.field_boost
        single = self._single
        weights = self._weights.setdefault(boost, {})  # one float object per (boost, frequency)
        rows = []
        for term, p in positions.items():
            if len(p) == 1:
                value = single.get(p[0])
                if value is None:
                    value = single[p[0]] = fmt.encode(p)
            else:
                value = fmt.encode(p)
            weight = weights.get(len(p))
            if weight is None:
                weight = weights[len(p)] = len(p) * boost
            rows.append((term.encode("utf-8"), len(p), weight, value))
        return rows

    def _check(self, doc: dict, fast: dict[str, list]) -> None:
        """Compare the fast postings with the schema analyzers' own; fall back for good on a difference."""
        for fieldname in _FAST_FIELDS:
            expected = sorted(self.schema[fieldname].index(doc[fieldname]))
            if sorted(fast[fieldname]) != expected:
                log.warning("fast analysis differs from the schema's for %r: using the analyzers", fieldname)
                self.fast = False
                return

    def add_paragraph(self, doc: dict) -> None:
        """Add one paragraph document (the fields of the schema)."""
        docnum = self.docnum
        fast: dict[str, list] = {}
        if self.fast:
            fast = {f: self._postings(f, p) for f, p in self._analysed(doc).items()}
            if docnum < CHECKED_DOCS:
                self._check(doc, fast)
                if not self.fast:
                    fast = {}
        add = self.pool.add
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        for fieldname in sorted(doc):
            value = doc[fieldname]
            fieldobj = self.schema[fieldname]
            length = 0
            if fieldobj.indexed:
                items = fast[fieldname] if fieldname in fast else fieldobj.index(value)
                for tbytes, freq, weight, vbytes in items:
                    length += freq
                    add(fieldname, tbytes, docnum, weight, vbytes)
                if fieldobj.scorable:
                    self.lengths.setdefault(fieldname, []).append(_stored_length(length))
                else:
                    length = 0
            perdoc.add_field(fieldname, fieldobj, value if fieldobj.stored else None, length)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Write the postings term by term, sorted once, with the lengths kept in memory.

        The same calls ``FieldWriter.add_postings`` makes, without a generator step, an order check
        and a length look-up per posting.
        """
        self.perdocwriter.close()
        writer = self.fieldwriter
        terms = self.pool.terms
        fieldname = None
        lengths: list[int] | None = None
        for key in sorted(terms):
            if key[0] != fieldname:
                if fieldname is not None:
                    writer.finish_field()
                fieldname = key[0]
                writer.start_field(fieldname, self.schema[fieldname])
                lengths = self.lengths.get(fieldname)
            writer.start_term(key[1])
            _add_blocks(writer._postwriter, terms[key], lengths)
            writer.finish_term()
        if fieldname is not None:
            writer.finish_field()
        writer.close()
        self._save_arrays()

    def _save_arrays(self) -> None:
        """Save the segment's postings as arrays too (see :mod:`search.index.postings`)."""
        folder = Path(self.storage.folder) / postings.FOLDER
        segment = self.newsegment.segment_id()
        by_field: dict[str, dict[bytes, list]] = {f: {} for f in postings.FIELDS}
        for (fieldname, tbytes), flat in self.pool.terms.items():
            if fieldname in by_field:
                by_field[fieldname][tbytes] = flat
        for fieldname, lengths in self.lengths.items():
            postings.write_lengths(folder, segment, fieldname, lengths)
        single = {value: (pos,) for pos, value in self._single.items()}
        for fieldname, terms in by_field.items():
            fmt = self.schema[fieldname].format
            decode = None
            if fieldname in postings.POSITION_FIELDS:

                def decode(values: list[bytes]) -> list[Sequence[int]]:
                    found = list(map(single.get, values))  # most postings hold one position
                    for i in [i for i, p in enumerate(found) if p is None]:
                        found[i] = list(accumulate(pickle.loads(values[i][4:])))  # a count, pickled gaps
                    return found

            postings.write_field(folder, segment, fieldname, terms, fmt.field_boost, decode)

    def finish(self):  # -> whoosh Segment
        """Write and close the segment (not committed: the caller lists it in the index's TOC).

        The temporary folder is shared with the other writers of the index, so it is left in place
        (``_finish`` would delete it under them); the indexer removes it after the commit.
        """
        segment = self._finalize_segment()
        self.is_closed = True
        return segment


@dataclass
class Written:
    """What writers wrote: segments in order, and per document the facet column values."""

    segments: list = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # position of each document in the corpus
    articles: list[str] = field(default_factory=list)  # each document's article id
    frequencies: Counter[str] = field(default_factory=Counter)  # exact-field document frequencies
    runs: WordRuns = field(default_factory=WordRuns)  # the paragraphs' words in turn, for the completion table

    @classmethod
    def join(cls, parts: Iterable[Written]) -> Written:
        """Concatenate parts in order (documents are numbered segment after segment)."""
        joined, parts = cls(), list(parts)
        for part in parts:
            joined.segments += part.segments
            joined.sources += part.sources
            joined.dates += part.dates
            joined.order += part.order
            joined.articles += part.articles
            joined.frequencies.update(part.frequencies)
        joined.runs = WordRuns.join(part.runs for part in parts)
        return joined


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: the pool's millions of postings are live until the
    segment is written, and every collection would walk them (about a tenth of the build time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_segments(ix, numbered: Iterable[tuple[int, dict]]) -> Written:
    """Write (corpus position, document) pairs into new segments of ``ix``; return what was written."""
    with _collector_paused():
        return _write_segments(ix, numbered)


def _write_segments(ix, numbered: Iterable[tuple[int, dict]]) -> Written:
    """Write the segments (see :func:`write_segments`)."""
    written = Written()
    writer: ParagraphWriter | None = None
    try:
        for position, doc in numbered:
            if writer is None:
                writer = ParagraphWriter(ix)
            writer.add_paragraph(doc)
            written.sources.append(doc.get("source", ""))
            written.dates.append(doc.get("date", ""))
            written.order.append(position)
            written.articles.append(doc.get("article_id", ""))
            written.runs.add(doc["text"])
            if writer.docnum >= SEGMENT_DOCS:
                written.frequencies.update(writer.pool.frequencies("exact"))
                written.segments.append(writer.finish())
                writer = None
        if writer is not None:
            written.frequencies.update(writer.pool.frequencies("exact"))
            written.segments.append(writer.finish())
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    return written
