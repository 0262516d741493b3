"""One opened Whoosh index generation: its Whoosh index, posting arrays, facet columns, vectors and caches,
serving the :class:`search.backend.Backend` protocol."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.collectors import TimeLimit, UnlimitedCollector
from whoosh.searching import Searcher

from search.backend import Columns, Completions, Deadline, LRUCache
from search.index import reading
from search.index.matching import match_mask
from search.index.postings import FOLDER, FieldPostings, load_field
from search.index.scoring import ranking_model
from search.index.translate import BudgetCollector, patch_whoosh, to_whoosh
from search.index.vocabulary import SavedTables
from search.plan import Node

#: Answered searches kept per generation (the web layer may pass its CACHE_SIZE setting).
DEFAULT_CACHE_SIZE = 512
#: Matching documents kept per generation, by term (int32 docnum arrays).
TERM_CACHE_SIZE = 2048
#: Query-word expansions kept per generation, by word (related stems, glued-word splits: short tuples).
EXPANSION_CACHE_SIZE = 8192


@dataclass
class Generation(SavedTables):
    """One opened, immutable Whoosh index generation: the Whoosh implementation of :class:`search.backend.Backend`."""

    name: str
    path: Path
    index: whoosh_index.Index
    columns: Columns
    meta: dict
    _local: threading.local = field(default_factory=threading.local, repr=False)
    #: (words, document frequencies) for did-you-mean and unknown words, loaded when first needed.
    _vocabulary: tuple[list[str], np.ndarray] | None = field(default=None, repr=False)
    #: Words and frequent phrases that typed prefixes complete to, loaded when first needed.
    _completions: Completions | None = field(default=None, repr=False)
    #: Answered searches of this generation only, by normalized request: a new generation starts empty.
    results: LRUCache = field(default_factory=lambda: LRUCache(DEFAULT_CACHE_SIZE), repr=False)
    #: Matching docnums by (field, term), shared by every query of this generation.
    terms: LRUCache = field(default_factory=lambda: LRUCache(TERM_CACHE_SIZE), repr=False)
    #: What a query word expands to in this generation's vocabulary (search.query.variants, search.query.suggest).
    expansions: LRUCache = field(default_factory=lambda: LRUCache(EXPANSION_CACHE_SIZE), repr=False)
    #: One embedding per paragraph for re-ranking questions (search.rank.semantic), memory-mapped; None without.
    vectors: np.ndarray | None = field(default=None, repr=False)

    #: Each segment's posting arrays by (segment id, field), mapped when first needed (None: read via Whoosh).
    _arrays: dict = field(default_factory=dict, repr=False)

    #: Every searcher opened on this generation, by any thread: closed together when it is dropped.
    _opened: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        patch_whoosh()
        # A generation replaced by a newer one is dropped by every holder; its files are then closed
        # explicitly rather than left to the garbage collector (no file handle outlives it).
        weakref.finalize(self, _close_searchers, self._opened)

    def searcher(self) -> Searcher:
        """Return this thread's searcher (opened once; generations never change on disk)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = self.index.searcher(weighting=ranking_model())
            self._opened.append(searcher)
        return searcher

    def posting_arrays(self, segment: str, fieldname: str) -> FieldPostings | None:
        """Return one segment's posting arrays for a field, or None if it has none (mapped once)."""
        key = (segment, fieldname)
        if key not in self._arrays:  # two threads may both map the files: the first kept wins
            self._arrays.setdefault(key, load_field(self.path / FOLDER, segment, fieldname))
        return self._arrays[key]

    # -- the Backend protocol ------------------------------------------------------------------

    @property
    def doc_count(self) -> int:
        """Return how many paragraphs the generation holds."""
        return self.columns.doc_count

    def first_stage(self, plan: object, request: object, deadline: Deadline) -> None:
        """Return None: the engine matches and counts over this generation's mask and columns."""
        return None

    def matching(self, node: Node | None, docs: list[int], deadline: Deadline) -> np.ndarray:
        """Return, for each of the given docnums, whether the plan matches it."""
        return self.match(node, deadline)[np.asarray(docs, dtype=np.int64)]

    def health(self) -> dict[str, object]:
        """Return what /healthz says of this backend: its kind and its sources."""
        return {"backend": "whoosh", "sources": len(self.columns.sources)}

    def doc_frequency(self, field: str, text: str) -> int:
        """Return how many documents hold a term."""
        return reading.doc_frequency(self, field, text)

    def term_postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return a term's sorted docnums and weights (term frequency x field boost)."""
        return reading.term_postings(self, field, text)

    def phrase_docs(self, field: str, words: list[str]) -> np.ndarray | None:
        """Return the sorted docnums holding the words side by side (None: a segment has no positions)."""
        return reading.phrase_docs(self, field, words)

    def positions_at(self, field: str, text: str, docs: np.ndarray) -> list[np.ndarray] | None:
        """Return a term's positions in each of the given docnums (None: a segment has no positions)."""
        return reading.positions_at(self, field, text, docs)

    def field_lengths(self, field: str) -> np.ndarray:
        """Return every document's length in a field, as Whoosh scores it."""
        return reading.field_lengths(self, field)

    def avg_field_length(self, field: str) -> float:
        """Return the average length of a field over the generation."""
        return self.searcher().avg_field_length(field)

    def idf(self, field: str, text: str) -> float:
        """Return a term's inverse document frequency as Whoosh's BM25F computes it."""
        return self.searcher().idf(field, text)

    def match(self, node: Node | None, deadline: Deadline) -> np.ndarray:
        """Return the boolean mask of documents a plan matches (every document for None)."""
        return match_mask(self, node, deadline)

    def estimated_matches(self, node: Node) -> int:
        """Return Whoosh's estimate of how many documents a node matches."""
        return to_whoosh(node).estimate_size(self.searcher().reader())

    def top_scored(self, node: Node, allowed: np.ndarray, count: int, deadline: Deadline) -> list[tuple[int, float]]:
        """Return the ``count`` best (docnum, score) among ``allowed`` by Whoosh's matchers (within the deadline).

        Every match is scored and equal scores are taken in corpus order, so that a longer list (a later page)
        starts with the shorter one: Whoosh's top-N collector breaks ties by docnum, which is not corpus order,
        and a prefix of several terms scores every paragraph alike.
        """
        collector = BudgetCollector(UnlimitedCollector(), deadline, allowed)
        try:
            self.searcher().search_with_collector(to_whoosh(node), collector)
        except TimeLimit:
            deadline.hit = True
        results = collector.results()
        rows = [(results.docnum(i), results.score(i)) for i in range(results.scored_length())]
        order = self.columns.order
        return sorted(rows, key=lambda row: (-row[1], order[row[0]]))[:count]

    def scores_at(self, node: Node, docs: list[int]) -> dict[int, float]:
        """Return the node's Whoosh score at each of the (sorted) documents it matches."""
        found: dict[int, float] = {}
        matcher = to_whoosh(node).matcher(self.searcher())
        for doc in docs:
            if not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                found[doc] = matcher.score()
        return found

    def stored(self, docnum: int) -> dict:
        """Return a paragraph's stored fields."""
        return self.searcher().stored_fields(docnum)

    def stored_many(self, docnums: list[int]) -> list[dict]:
        """Return several paragraphs' stored fields, in order."""
        searcher = self.searcher()
        return [searcher.stored_fields(docnum) for docnum in docnums]

    def article(self, article_id: str) -> list[tuple[int, dict]]:
        """Return the docnum and stored fields of each of an article's paragraphs."""
        searcher = self.searcher()
        return [(docnum, searcher.stored_fields(docnum)) for docnum in searcher.document_numbers(article_id=article_id)]

    def close(self) -> None:
        """Close every searcher opened on this generation (it must not be used afterwards)."""
        _close_searchers(self._opened)
        self._local = threading.local()


def _close_searchers(searchers: list) -> None:
    """Close the given Whoosh searchers and forget them."""
    while searchers:
        searchers.pop().close()
