"""The one seam between the search logic and the index it runs on.

:class:`Backend` names everything the engine, the query builder and the rankers need from an index
generation: its identity, the facet columns, term statistics and postings for scoring a plan in bulk,
the set a plan matches as a mask, stored fields for hits and snippets, and the paragraph vectors. The
Whoosh backend (:class:`search.index.generation.Generation`) implements it; a backend on another engine
translates the plan (:mod:`search.plan`) into its own queries. Nothing here imports an engine.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from search.plan import Node, QueryPlan

#: A column value of a document with no source or no date.
UNKNOWN = -1


@dataclass(frozen=True)
class Columns:
    """Facet columns of one generation: a value id per document number."""

    source_ids: np.ndarray  # int32 per docnum, index into sources; UNKNOWN when empty
    month_ids: np.ndarray  # int32 per docnum, index into months; UNKNOWN when no date
    dates: np.ndarray  # int32 per docnum, YYYYMMDD; 0 when no date
    order: np.ndarray  # int32 per docnum, its paragraph's position in the corpus (ties in date sorts)
    sources: tuple[str, ...]  # sorted
    months: tuple[str, ...]  # chronological, YYYY-MM
    article_ids: np.ndarray  # int32 per docnum, its article's number (0 .. article_count - 1)

    @property
    def doc_count(self) -> int:
        """Number of documents the columns cover."""
        return len(self.dates)

    @cached_property
    def article_first(self) -> np.ndarray:
        """Each article's first docnum (all its paragraphs share its source and date), computed once."""
        count = int(self.article_ids.max()) + 1 if len(self.article_ids) else 0
        first = np.full(count, len(self.article_ids), dtype=np.int64)
        np.minimum.at(first, self.article_ids, np.arange(len(self.article_ids)))
        return first

    def per_article(self, docs: np.ndarray) -> np.ndarray:
        """Return one docnum (its first) for each distinct article among the given docnums, in article order."""
        present = np.zeros(len(self.article_first), dtype=bool)
        present[self.article_ids[docs]] = True
        return self.article_first[present]


@dataclass(frozen=True)
class Completions:
    """A generation's completion table: words and frequent phrases, sorted by key (search.query.complete)."""

    keys: list[str]  # sorted completion keys (search.query.complete.completion_key)
    texts: list[str]  # per key, the printed form a reader expects (the commonest spelling, no diacritics)
    counts: np.ndarray  # int32 per key, the paragraphs holding the word or phrase

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class Stage:
    """What a search's first stage found: counts over every match, and the documents ranking reads.

    An embedded backend's view is the generation itself and ``final`` the mask of its filtered matches; a
    cluster's view holds the candidates the cluster chose (the page's rows for a date sort, the best by its
    ranking for relevance), ``final`` all of them, while ``total`` and the facets count every match.
    """

    view: Backend  # the documents ranking, hits and snippets read
    final: np.ndarray  # boolean over the view's documents: the filtered matches ranking may return
    total: int  # the filtered matches, in the request's unit (paragraphs, or articles)
    matched_any: bool  # the query matches some document, filters aside
    facet_counts: Callable[[], dict[str, list[dict]]]  # the facets' buckets (computed when asked)
    article_matches: Callable[[list[int]], list[int]]  # filtered matches in the article of each view docnum
    #: shards that did not answer (the counts and the ranking lack their part); the view adds any that stops
    #: answering before the page's stored fields are read
    missing: list[str] = field(default_factory=list)


def date_number(value: str) -> int:
    """Turn YYYY-MM-DD into an int YYYYMMDD (0 for an empty date).

    >>> date_number("2024-10-14")
    20241014
    """
    return int(value.replace("-", "")) if value else 0


class Deadline:
    """The moment a search must stop starting new work."""

    def __init__(self, budget_ms: float | None) -> None:
        self.at = None if budget_ms is None else time.perf_counter() + budget_ms / 1000
        self.hit = False

    def passed(self) -> bool:
        """Return True (and remember it) once the budget is spent."""
        if self.at is not None and time.perf_counter() >= self.at:
            self.hit = True
        return self.hit


class LRUCache:
    """A small thread-safe least-recently-used mapping; ``size`` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        """Return the value kept for ``key`` (marking it recent), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key``, forgetting the least recent entry when full."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]) -> object:
        """Return the kept value for ``key``, computing and keeping it when missing."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._items)


class Backend(Protocol):
    """What the search logic needs from one immutable index generation."""

    #: The generation's identity: answers of two generations are never mixed or cached together.
    name: str
    #: What the build recorded (built_at, articles, schema_version, semantic model).
    meta: dict
    #: Facet and sort columns, one value per document number.
    columns: Columns
    #: One embedding per paragraph (row = docnum) for re-ranking questions, or None.
    vectors: np.ndarray | None
    #: Answered searches, by normalized request (this generation only).
    results: LRUCache
    #: What a query word expands to in this generation's vocabulary.
    expansions: LRUCache

    @property
    def doc_count(self) -> int:
        """Return how many paragraphs the generation holds (the whole corpus, for a view of candidates)."""

    def first_stage(self, plan: QueryPlan, request: object, deadline: Deadline) -> Stage | None:
        """Return the first stage a cluster answers (match, count, facets, candidates), or None when the
        engine computes it from :meth:`match` and :attr:`columns` (an embedded backend). ``request`` is
        the :class:`search.query.request.SearchRequest` (a layer above this one)."""

    def matching(self, node: Node | None, docs: list[int], deadline: Deadline) -> np.ndarray:
        """Return, for each of the given docnums (an article's paragraphs), whether the plan matches it."""

    def health(self) -> dict[str, object]:
        """Return what /healthz adds for this backend: its kind, its sources (a cluster: its shards)."""

    def doc_frequency(self, field: str, text: str) -> int:
        """Return how many documents hold a term."""

    def term_postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return a term's sorted docnums and weights (term frequency x field boost)."""

    def phrase_docs(self, field: str, words: list[str]) -> np.ndarray | None:
        """Return the sorted docnums holding the words side by side (None: the backend cannot tell in bulk)."""

    def positions_at(self, field: str, text: str, docs: np.ndarray) -> list[np.ndarray] | None:
        """Return a term's positions in each of the given docnums (None: no positions in bulk)."""

    def field_lengths(self, field: str) -> np.ndarray:
        """Return every document's length in a field, as scoring uses it."""

    def avg_field_length(self, field: str) -> float:
        """Return the corpus-wide average length of a field."""

    def idf(self, field: str, text: str) -> float:
        """Return a term's inverse document frequency, as BM25F uses it."""

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Return the exact field's words in two paragraphs or more, and their document frequencies."""

    def completions(self) -> Completions:
        """Return the table of printed words and frequent phrases that typed prefixes complete to."""

    def match(self, node: Node | None, deadline: Deadline) -> np.ndarray:
        """Return the boolean mask of documents a plan matches (every document for None)."""

    def estimated_matches(self, node: Node) -> int:
        """Return a cheap estimate of how many documents a node matches (an upper bound)."""

    def top_scored(
        self, node: Node, allowed: np.ndarray, count: int, deadline: Deadline
    ) -> list[tuple[int, float]]:
        """Return the ``count`` best (docnum, score) among ``allowed``, by the engine's own scorer, for a
        plan that bulk scoring does not handle (prefixes, phrases without positions)."""

    def scores_at(self, node: Node, docs: list[int]) -> dict[int, float]:
        """Return the node's score at each of the (sorted) documents it matches, by the engine's own scorer."""

    def stored(self, docnum: int) -> dict:
        """Return a paragraph's stored fields: id, article_id, title, source, date, paragraph, url, text."""

    def stored_many(self, docnums: list[int]) -> list[dict | None]:
        """Return the stored fields of several documents, in order (one round trip on a cluster); None for
        one whose shard stopped answering since the first stage."""

    def article(self, article_id: str) -> list[tuple[int, dict]]:
        """Return (docnum, stored fields) of each of an article's paragraphs, in no particular order ([] if none)."""
