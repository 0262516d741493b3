"""Query-time expansion: spelling variants of foreign names and synonyms, at lower weight.

``expand_variants(generation, normalized, stem, plan)`` returns extra Whoosh queries for one query
word; :func:`search.query.build_query` ORs them with the word's own term.
"""

from __future__ import annotations

from whoosh import query as wq


def expand_variants(generation, normalized: str, stem: str, plan) -> list[wq.Query]:
    """Return lower-weight alternatives for one query word (none yet)."""
    return []
