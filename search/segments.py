"""Writing paragraph segments fast: one analysis pass per paragraph, postings sorted in memory.

Whoosh's ``SegmentWriter.add_document`` analyses the paragraph once per field, pickles every posting
to temporary run files and merges them back with a heap, then reads each posting's field length back
from disk. :class:`ParagraphWriter` keeps its segment format and codec but feeds it directly:

- :func:`search.schema.term_positions` tokenizes a paragraph once for both ``text`` and ``exact``;
  the title of an article is analysed once for all its paragraphs;
- :class:`MemoryPool` keeps postings by term in memory and sorts only the distinct terms;
  a writer closes its segment every ``SEGMENT_DOCS`` paragraphs, which bounds that memory;
- field lengths for BM25 are kept in memory as the codec quantizes them.

The first ``CHECKED_DOCS`` paragraphs of every writer are also analysed by the schema's own
analyzers; on any difference the writer falls back to them for good, so a changed analyzer can
never make the fast path write a different index.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from search.schema import term_positions

log = logging.getLogger("fahras")

#: Paragraphs per segment (bounds a writer's memory to a few hundred MB).
SEGMENT_DOCS = 40_000
#: Paragraphs per writer checked against the schema's own analyzers.
CHECKED_DOCS = 64
_FAST_FIELDS = ("text", "exact", "title")


class MemoryPool:
    """Postings by (field, term) in memory; ``iter_postings`` yields them in the codec's order."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], list[tuple[int, float, bytes]]] = {}

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """Add one (field, term, docnum, weight, value) posting."""
        key = (item[0], item[1])
        postings = self.terms.get(key)
        if postings is None:
            self.terms[key] = postings = []
        postings.append((item[2], item[3], item[4]))

    def iter_postings(self):
        """Yield every posting sorted by field, term, then docnum (docnums are added in order)."""
        for key in sorted(self.terms):
            fieldname, tbytes = key
            for docnum, weight, value in self.terms[key]:
                yield fieldname, tbytes, docnum, weight, value

    def frequencies(self, fieldname: str) -> Counter[str]:
        """Return the document frequency of each term of one field."""
        return Counter({t.decode("utf-8"): len(p) for (f, t), p in self.terms.items() if f == fieldname})

    def cleanup(self) -> None:
        """Drop every posting."""
        self.terms = {}


@lru_cache(maxsize=4096)
def _stored_length(length: int) -> int:
    """Return a field length as the codec stores it (one byte, quantized)."""
    return byte_to_length(length_to_byte(length))


class _Lengths:
    """Field lengths of the segment's documents, as ``add_postings`` asks for them."""

    def __init__(self, lengths: dict[str, list[int]]) -> None:
        self.lengths = lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        column = self.lengths.get(fieldname)
        return column[docnum] if column is not None else default


class ParagraphWriter(SegmentWriter):
    """A segment writer for paragraph documents (see the module docstring)."""

    def __init__(self, ix) -> None:
        super().__init__(ix, _lk=False, compound=False)
        self.pool = MemoryPool()
        self.lengths: dict[str, list[int]] = {}
        self.fast = True
        self._title: tuple[str | None, dict[str, list[int]]] = (None, {})

    def _analysed(self, doc: dict) -> dict[str, dict[str, list[int]]]:
        """Return the term positions of the analysed fields, the title reused along an article."""
        stems, exact = term_positions(doc["text"])
        if self._title[0] != doc["title"]:
            self._title = (doc["title"], term_positions(doc["title"])[0])
        return {"text": stems, "exact": exact, "title": self._title[1]}

    def _postings(self, fieldname: str, positions: dict[str, list[int]]) -> list[tuple[bytes, int, float, bytes]]:
        """Turn term positions into (term, freq, weight, value) as the field's format encodes them."""
        fmt = self.schema[fieldname].format
        boost = fmt.field_boost
        return [(term.encode("utf-8"), len(p), len(p) * boost, fmt.encode(p)) for term, p in positions.items()]

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
                    add((fieldname, tbytes, docnum, weight, vbytes))
                if fieldobj.scorable:
                    self.lengths.setdefault(fieldname, []).append(_stored_length(length))
                else:
                    length = 0
            perdoc.add_field(fieldname, fieldobj, value if fieldobj.stored else None, length)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Write the postings, sorted once, with the lengths kept in memory."""
        self.perdocwriter.close()
        self.fieldwriter.add_postings(self.schema, _Lengths(self.lengths), self.pool.iter_postings())
        self.fieldwriter.close()

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
    frequencies: Counter[str] = field(default_factory=Counter)  # exact-field document frequencies

    @classmethod
    def join(cls, parts: Iterable[Written]) -> Written:
        """Concatenate parts in order (documents are numbered segment after segment)."""
        joined = cls()
        for part in parts:
            joined.segments += part.segments
            joined.sources += part.sources
            joined.dates += part.dates
            joined.order += part.order
            joined.frequencies.update(part.frequencies)
        return joined


def write_segments(ix, numbered: Iterable[tuple[int, dict]]) -> Written:
    """Write (corpus position, document) pairs into new segments of ``ix``; return what was written."""
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
