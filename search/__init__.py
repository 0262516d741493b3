"""Fahras's search engine: Arabic analysis, a Whoosh paragraph index, and the search entry point.

Roles: ``analysis`` (tokenizer and filters over ``normalize`` and ``stem``), ``corpus`` (reading
articles), ``indexing`` (building generations), ``store`` (the live generation), ``query`` (requests
and the query language), ``facets``, ``snippets``, ``suggest``, ``complete`` (search-as-you-type), and
``engine`` (``search`` for a page, ``export`` for every hit up to a limit). Nothing here imports Flask; the web
layer uses only the names below.
"""

from search.analysis.analyzer import analyze, arabic_analyzer, normalize, stem
from search.engine import SearchResult, export, get_article, index_health, search
from search.errors import IndexUnavailable, NotFound, QueryError, SearchError
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.complete import CompletionRequest, complete, parse_completion
from search.query.request import SearchRequest, parse_limit, parse_request
from search.results.export import EXPORT_FIELDS, MAX_EXPORT, Export

__all__ = [
    "analyze",
    "arabic_analyzer",
    "normalize",
    "stem",
    "SearchResult",
    "get_article",
    "index_health",
    "search",
    "export",
    "Export",
    "EXPORT_FIELDS",
    "MAX_EXPORT",
    "IndexUnavailable",
    "NotFound",
    "QueryError",
    "SearchError",
    "build_index",
    "SearchRequest",
    "parse_request",
    "parse_limit",
    "CompletionRequest",
    "complete",
    "parse_completion",
    "IndexHolder",
]
