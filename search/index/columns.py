"""Per-generation facet columns: value ids per document number, counted in bulk with numpy.

A generation is never modified after it is built, so its document numbers are stable: the columns are
computed once at build time, saved beside the index as ``columns.npz`` and loaded once per process.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from search.backend import UNKNOWN, Columns, date_number

COLUMNS_FILE = "columns.npz"


def _ids(values: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map each value to the index of its sorted distinct value; empty values to UNKNOWN."""
    vocabulary = tuple(sorted({v for v in values if v}))
    position = {v: i for i, v in enumerate(vocabulary)}
    return np.array([position.get(v, UNKNOWN) for v in values], dtype=np.int32), vocabulary


def write_columns(target: Path, sources: list[str], dates: list[str], order: list[int], articles: list[str]) -> int:
    """Save the facet columns from each document's source, date, corpus position and article; return the count."""
    source_ids, source_names = _ids(sources)
    month_ids, month_names = _ids([d[:7] for d in dates])
    np.savez(
        target / COLUMNS_FILE,
        source_ids=source_ids,
        month_ids=month_ids,
        dates=np.array([date_number(d) for d in dates], dtype=np.int32),
        order=np.array(order, dtype=np.int32),
        article_ids=_ids(articles)[0],
        vocabularies=np.array(json.dumps([source_names, month_names], ensure_ascii=False)),
    )
    return len(sources)


def load_columns(target: Path) -> Columns:
    """Load a generation's facet columns."""
    with np.load(target / COLUMNS_FILE) as data:
        sources, months = json.loads(str(data["vocabularies"]))
        return Columns(
            source_ids=data["source_ids"],
            month_ids=data["month_ids"],
            dates=data["dates"],
            order=data["order"],
            article_ids=data["article_ids"],
            sources=tuple(sources),
            months=tuple(months),
        )
