"""Every hit of a search as plain rows, for a download: a paragraph's fields without snippet or score.

A page's hit is these fields plus its snippet and score (:func:`search.engine.search`); an export
(:func:`search.engine.export`) is the same paragraphs in the same order, up to a limit, read one by one as
they are consumed, so that 10,000 rows are never held as one answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from search.query.request import MAX_EXPORT, SearchRequest

__all__ = ["EXPORT_FIELDS", "MAX_EXPORT", "Export", "paragraph_fields"]

#: A row's fields, in column order.
EXPORT_FIELDS = ("id", "article_id", "title", "source", "date", "paragraph", "url", "text")


def paragraph_fields(stored: dict) -> dict[str, object]:
    """Return a paragraph's exported fields from its stored fields (empty date and url as None).

    >>> paragraph_fields({"id": "a-1", "article_id": "a", "paragraph": 1, "text": "نص", "date": ""})["date"] is None
    True
    """
    return {
        "id": stored.get("id"),
        "article_id": stored.get("article_id"),
        "title": stored.get("title", ""),
        "source": stored.get("source", ""),
        "date": stored.get("date") or None,
        "paragraph": stored.get("paragraph"),
        "url": stored.get("url") or None,
        "text": stored.get("text", ""),
    }


@dataclass
class Export:
    """What an export found: the total, whether it was relaxed or cut short, and its rows (a generator)."""

    request: SearchRequest
    total: int  # paragraphs matching, of which the first ``limit`` are exported
    limit: int
    rows: Iterator[dict]
    relaxed: bool = False
    partial: bool = False  # the time budget ran out while ranking: the rows may be fewer or out of order
    generation: str = ""
    fields: tuple[str, ...] = EXPORT_FIELDS
