"""The Whoosh schema: one document per paragraph."""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from search.analysis import arabic_analyzer, exact_analyzer

#: Bump when the schema or the analyzer changes what is written: a generation built with another
#: version is refused with a message to re-index.
SCHEMA_VERSION = 1
#: The article title weighs this much against the paragraph text in BM25F.
TITLE_BOOST = 0.3


def build_schema() -> Schema:
    """Return the paragraph schema (text stemmed, exact normalized-only, title lightly boosted)."""
    return Schema(
        id=ID(stored=True, unique=True),
        article_id=ID(stored=True),
        title=TEXT(analyzer=arabic_analyzer(), stored=True, field_boost=TITLE_BOOST),
        source=ID(stored=True),
        date=ID(stored=True),
        paragraph=NUMERIC(stored=True),
        url=STORED(),
        text=TEXT(analyzer=arabic_analyzer(), stored=True, phrase=True),
        exact=TEXT(analyzer=exact_analyzer(), phrase=True),
    )
