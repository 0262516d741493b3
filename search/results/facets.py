"""Facets: small classes in a registry, counted in bulk over per-generation numpy columns.

Counts are disjunctive: a facet counts the paragraphs matching the query and every OTHER filter, so a
reader who selected one source still sees how many each other source would add.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from search.backend import Columns, date_number
from search.query.request import SearchRequest


class Facet:
    """A facet over one column; subclasses say which column and how a filter selects."""

    type: ClassVar[str] = ""

    def filter_mask(self, columns: Columns, request: SearchRequest) -> np.ndarray | None:
        """Return the boolean mask of documents this facet's filter keeps, or None if unfiltered."""
        raise NotImplementedError

    def buckets(self, columns: Columns, docs: np.ndarray, request: SearchRequest) -> list[dict]:
        """Return ``{value, count, selected}`` buckets for the given matching documents."""
        raise NotImplementedError

    def counted(self, counts: dict[str, int], known: tuple[str, ...], request: SearchRequest) -> list[dict]:
        """Return the buckets of counts a cluster made, by value (``known``: every value the index holds)."""
        raise NotImplementedError


class SourceFacet(Facet):
    """Paragraphs by source; multi-select (sources are OR-ed)."""

    type = "source"

    def filter_mask(self, columns: Columns, request: SearchRequest) -> np.ndarray | None:
        """Keep documents from any selected source."""
        if not request.sources:
            return None
        wanted = [columns.sources.index(s) for s in request.sources if s in columns.sources]
        return np.isin(columns.source_ids, np.array(wanted, dtype=np.int32))

    def buckets(self, columns: Columns, docs: np.ndarray, request: SearchRequest) -> list[dict]:
        """Count per source, largest first; selected sources always listed."""
        ids = columns.source_ids[docs]
        counts = np.bincount(ids[ids >= 0], minlength=len(columns.sources))
        return self.counted(dict(zip(columns.sources, counts.tolist(), strict=True)), columns.sources, request)

    def counted(self, counts: dict[str, int], known: tuple[str, ...], request: SearchRequest) -> list[dict]:
        """Count per source, largest first; selected sources always listed."""
        selected = set(request.sources)
        rows = [
            {"value": name, "count": int(counts.get(name, 0)), "selected": name in selected}
            for name in known
            if counts.get(name, 0) or name in selected
        ]
        rows += [{"value": s, "count": 0, "selected": True} for s in request.sources if s not in known]
        rows.sort(key=lambda r: (-r["count"], r["value"]))
        return rows


class DateFacet(Facet):
    """Paragraphs by month (YYYY-MM), chronological; the date range is its filter."""

    type = "date"

    def filter_mask(self, columns: Columns, request: SearchRequest) -> np.ndarray | None:
        """Keep documents dated inside [date_from, date_to]."""
        if not (request.date_from or request.date_to):
            return None
        mask = columns.dates > 0
        if request.date_from:
            mask &= columns.dates >= date_number(request.date_from)
        if request.date_to:
            mask &= columns.dates <= date_number(request.date_to)
        return mask

    def buckets(self, columns: Columns, docs: np.ndarray, request: SearchRequest) -> list[dict]:
        """Count per month in calendar order; a month is selected when the range covers it."""
        ids = columns.month_ids[docs]
        counts = np.bincount(ids[ids >= 0], minlength=len(columns.months))
        return self.counted(dict(zip(columns.months, counts.tolist(), strict=True)), columns.months, request)

    def counted(self, counts: dict[str, int], known: tuple[str, ...], request: SearchRequest) -> list[dict]:
        """Count per month in calendar order; a month is selected when the range covers it."""
        low = (request.date_from or "")[:7]
        high = (request.date_to or "9999-12")[:7]
        active = bool(request.date_from or request.date_to)
        return [
            {"value": month, "count": int(counts[month]), "selected": active and low <= month <= high}
            for month in known
            if counts.get(month)
        ]


#: The facets every search computes, in display order. Adding a facet means adding a class here.
FACETS: tuple[Facet, ...] = (SourceFacet(), DateFacet())


def filter_masks(columns: Columns, request: SearchRequest) -> dict[str, np.ndarray]:
    """Return each active facet filter's mask by facet type."""
    masks = {}
    for facet in FACETS:
        mask = facet.filter_mask(columns, request)
        if mask is not None:
            masks[facet.type] = mask
    return masks


def count_facets(
    columns: Columns,
    matched: np.ndarray,
    masks: dict[str, np.ndarray],
    request: SearchRequest,
    by_article: bool = False,
) -> dict[str, list[dict]]:
    """Count every facet over ``matched`` (a boolean mask of query matches) and the other filters, in
    paragraphs or (``by_article``) in articles: an article counts once however many of its paragraphs match."""
    results = {}
    for facet in FACETS:
        keep = matched.copy()
        for kind, mask in masks.items():
            if kind != facet.type:
                keep &= mask
        docs = np.flatnonzero(keep)
        results[facet.type] = facet.buckets(columns, columns.per_article(docs) if by_article else docs, request)
    return results
