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
from search.index.generations import current_generation, generations_dir
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.complete import CompletionRequest, complete, parse_completion
from search.query.request import SearchRequest, parse_limit, parse_request
from search.rank import semantic
from search.results.export import EXPORT_FIELDS, MAX_EXPORT, Export
from search.sphinx.cluster import BACKENDS, DEFAULT_CLUSTER, ClusterError
from search.sphinx.store import SphinxHolder


def open_holder(backend: str, index_dir: str, cluster_file: str = DEFAULT_CLUSTER,
                cache_size: int = 512) -> IndexHolder | SphinxHolder:
    """Return the live-generation holder of a backend (ValueError for an unknown one)."""
    if backend == "whoosh":
        return IndexHolder(index_dir, cache_size=cache_size)
    if backend == "sphinx":
        return SphinxHolder(index_dir, cluster_file, cache_size=cache_size)
    raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")


def warm_up(holder: IndexHolder | SphinxHolder) -> None:
    """Load what questions need (the embedding model) before the first one, when the live generation holds
    paragraph vectors. The generation is not opened here: whether it can serve is for the first request
    to find out (and log)."""
    name = current_generation(holder.index_dir)
    if name is not None and (generations_dir(holder.index_dir) / name / semantic.VECTORS).exists():
        semantic.warm_up()


__all__ = [
    "analyze",
    "arabic_analyzer",
    "normalize",
    "stem",
    "SearchResult",
    "get_article",
    "index_health",
    "search",
    "warm_up",
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
    "SphinxHolder",
    "ClusterError",
    "BACKENDS",
    "open_holder",
]
