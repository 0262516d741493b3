"""The candidates of one search on the cluster, as a small :class:`search.backend.Backend` (docnums 0 .. n-1).

The first stage hands back each candidate's analyzed terms (one line per field, a term per position);
postings, positions and field lengths are read from them term by term, every statistic (document
frequencies, average lengths, the vocabulary) from the whole generation, so that Fahras's BM25F,
proximity, coverage and meaning rank the candidates exactly as the Whoosh backend ranks its matches.
Stored fields are read from the cluster for the page's hits only.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from search.backend import UNKNOWN, Columns, Completions, Deadline, LRUCache
from search.errors import IndexUnavailable
from search.plan import AllOf, AnyOf, BestOf, Everything, Excluding, Near, Node, Phrase, Prefix, QueryPlan, Term
from search.query.build import BM25_B, BM25_K1
from search.rank.bm25 import top_documents
from search.sphinx.fields import FIELD_BOOSTS, FIELDS, stored_length


class Generation(Protocol):
    """What the candidates read from their generation (:class:`search.sphinx.generation.SphinxGeneration`)."""

    name: str
    meta: dict
    results: LRUCache
    expansions: LRUCache
    vectors: np.ndarray | None
    sources: tuple[str, ...]
    months: tuple[str, ...]
    source_of: dict[int, int]  # a source's attribute value -> its index in sources
    month_of: dict[int, int]  # YYYYMM -> its index in months
    doc_count: int

    def doc_frequency(self, field: str, text: str) -> int:
        """Return how many paragraphs hold a term."""

    def idf(self, field: str, text: str) -> float:
        """Return a term's inverse document frequency."""

    def avg_field_length(self, field: str) -> float:
        """Return the average length of a field."""

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Return the vocabulary."""

    def completions(self) -> Completions:
        """Return the completion table."""

    def estimated_matches(self, node: Node) -> int:
        """Return an upper bound of a node's matches."""

    def stored_many(self, docnums: list[int], missing: list[str] | None = None) -> list[dict | None]:
        """Return paragraphs' stored fields by cluster id (None where a shard does not answer)."""

    def article(self, article_id: str) -> list[tuple[int, dict]]:
        """Return an article's paragraphs."""

    def health(self) -> dict[str, object]:
        """Return the generation's health."""


class Candidates:
    """The candidates of one search as a small :class:`search.backend.Backend` (docnums 0 .. n-1): their
    terms, positions and lengths from the rows, every statistic from the whole generation."""

    def __init__(self, generation: Generation, rows: list[tuple], missing: list[str] | None = None) -> None:
        self.generation = generation
        self.missing = missing if missing is not None else []  # shards that did not answer, shared with the stage
        self.name, self.meta = generation.name, generation.meta
        self.results, self.expansions = generation.results, generation.expansions
        self.ids = [int(r[0]) for r in rows]
        #: the candidates' rows of the generation's vectors (their corpus order), or None
        self.vectors = None
        if generation.vectors is not None and rows:
            self.vectors = np.asarray(generation.vectors[np.array([int(r[1]) for r in rows], dtype=np.int64)])
        self._articles = np.array([int(r[2]) for r in rows], dtype=np.int64)
        #: each candidate's fields, one line of space-separated terms each (FIELDS order), split when read
        self._lines = [r[6].split("\n") for r in rows]
        self._tokens: dict[tuple[int, int], list[str]] = {}
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, list[list[int]]]] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._docs: dict[int, dict] = {}  # stored fields read so far, by docnum
        _, local = np.unique(self._articles, return_inverse=True)
        self.columns = Columns(
            source_ids=np.array([generation.source_of.get(int(r[3]), UNKNOWN) for r in rows], dtype=np.int32),
            month_ids=np.array([generation.month_of.get(int(r[4]), UNKNOWN) for r in rows], dtype=np.int32),
            dates=np.array([int(r[5]) for r in rows], dtype=np.int32),
            order=np.array([int(r[1]) for r in rows], dtype=np.int64),
            sources=generation.sources,
            months=generation.months,
            article_ids=local.astype(np.int32).reshape(-1),
        )

    @property
    def doc_count(self) -> int:
        """Return how many paragraphs the whole generation holds (not the candidates)."""
        return self.generation.doc_count

    def article_number(self, docnum: int) -> int:
        """Return a candidate's article number on the shards."""
        return int(self._articles[docnum])

    def _split(self, doc: int, field: int) -> list[str]:
        """Return a candidate's terms of a field, one per position ('' where none), split once."""
        key = (doc, field)
        tokens = self._tokens.get(key)
        if tokens is None:
            tokens = self._tokens[key] = self._lines[doc][field].split(" ")
        return tokens

    def _term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
        """Return a term's postings over the candidates: docnums, weights (tf x field boost) and positions,
        read term by term (a substring test first, so only the lines holding it are split)."""
        key = (field, text)
        found = self._postings.get(key)
        if found is None:
            index = FIELDS.index(field)
            docs, freqs, where = [], [], []
            for doc, lines in enumerate(self._lines):
                if text in lines[index]:
                    places = [i for i, t in enumerate(self._split(doc, index)) if t == text]
                    if places:
                        docs.append(doc)
                        freqs.append(len(places))
                        where.append(places)
            weights = (np.array(freqs, dtype=np.float32) * np.float32(FIELD_BOOSTS[field])).astype(np.float64)
            found = self._postings[key] = (np.array(docs, dtype=np.int64), weights, where)
        return found

    def _expand(self, field: str, prefix: str) -> list[str]:
        """Return the candidates' terms of a field that start with ``prefix``."""
        index = FIELDS.index(field)
        found: set[str] = set()
        for doc, lines in enumerate(self._lines):
            if prefix in lines[index]:
                found.update(t for t in self._split(doc, index) if t.startswith(prefix))
        return sorted(found)

    # -- the Backend protocol over the candidates ------------------------------------------------

    def doc_frequency(self, field: str, text: str) -> int:
        """Return how many paragraphs of the generation hold a term."""
        return self.generation.doc_frequency(field, text)

    def term_postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the candidates holding a term and its weights there (term frequency x field boost)."""
        docs, weights, _ = self._term(field, text)
        return docs, weights

    def phrase_docs(self, field: str, words: list[str]) -> np.ndarray:
        """Return the candidates holding the words side by side, in order."""
        common = self._term(field, words[0])[0]
        for word in words[1:]:
            common = np.intersect1d(common, self._term(field, word)[0])
        found = []
        for doc in common.tolist():
            starts = set(self._positions(field, words[0], doc))
            for offset, word in enumerate(words[1:], 1):
                starts &= {p - offset for p in self._positions(field, word, doc)}
            if starts:
                found.append(doc)
        return np.array(found, dtype=np.int64)

    def _positions(self, field: str, text: str, doc: int) -> list[int]:
        """Return a term's positions in one candidate."""
        docs, _, where = self._term(field, text)
        at = int(np.searchsorted(docs, doc))
        return where[at] if at < len(docs) and docs[at] == doc else []

    def positions_at(self, field: str, text: str, docs: np.ndarray) -> list[np.ndarray]:
        """Return a term's positions in each of the given candidates."""
        return [np.array(self._positions(field, text, int(d)), dtype=np.int64) for d in docs]

    def field_lengths(self, field: str) -> np.ndarray:
        """Return each candidate's length in a field, quantized as Whoosh stores it."""
        if field not in self._lengths:
            index = FIELDS.index(field)  # split() without a separator drops the empty positions
            lengths = [stored_length(len(lines[index].split())) for lines in self._lines]
            self._lengths[field] = np.array(lengths, dtype=np.float64)
        return self._lengths[field]

    def avg_field_length(self, field: str) -> float:
        """Return the generation's average length of a field."""
        return self.generation.avg_field_length(field)

    def idf(self, field: str, text: str) -> float:
        """Return a term's corpus-wide inverse document frequency."""
        return self.generation.idf(field, text)

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Return the generation's vocabulary."""
        return self.generation.vocabulary()

    def completions(self) -> Completions:
        """Return the generation's completion table."""
        return self.generation.completions()

    def estimated_matches(self, node: Node) -> int:
        """Return the generation's estimate of a node's matches."""
        return self.generation.estimated_matches(node)

    def match(self, node: Node | None, deadline: Deadline) -> np.ndarray:
        """Return the mask of candidates a node matches."""
        return self._score(node)[0] if node is not None else np.ones(len(self.ids), dtype=bool)

    def top_scored(self, node: Node, allowed: np.ndarray, count: int, deadline: Deadline) -> list[tuple[int, float]]:
        """Return the ``count`` best (docnum, score) among ``allowed``: terms by BM25F, prefixes by a constant
        (as Whoosh scores a prefix), equal scores in corpus order."""
        mask, scores = self._score(node)
        docs = np.flatnonzero(mask & allowed)
        order = self.columns.order
        rows = sorted(((int(d), float(scores[d])) for d in docs), key=lambda r: (-r[1], order[r[0]]))
        return rows[:count]

    def scores_at(self, node: Node, docs: list[int]) -> dict[int, float]:
        """Return the node's score at each of the given candidates it matches."""
        mask, scores = self._score(node)
        return {d: float(scores[d]) for d in docs if mask[d]}

    def _score(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        """Return (matches, scores) of a node over the candidates, as Whoosh's matchers combine them."""
        size = len(self.ids)
        if isinstance(node, (Term, Phrase)) or (isinstance(node, (AnyOf, AllOf, BestOf, Excluding)) and _bulk(node)):
            found = top_documents(self, node, np.ones(size, dtype=bool), size, BM25_K1, BM25_B) or []
            mask, scores = np.zeros(size, dtype=bool), np.zeros(size)
            for doc, score in found:
                mask[doc], scores[doc] = _matches_leaf(self, node, doc), score
            return mask, scores
        if isinstance(node, Prefix):  # Whoosh ORs a prefix's terms: their BM25F scores add up
            expanded = [Term(node.field, t) for t in self._expand(node.field, node.text)]
            if not expanded:
                return np.zeros(size, dtype=bool), np.zeros(size)
            return self._score(AnyOf(tuple(expanded), boost=node.boost))
        if isinstance(node, Near):
            (a, sa), (b, sb) = self._score(node.first), self._score(node.second)
            near = np.zeros(size, dtype=bool)
            for doc in np.flatnonzero(a & b).tolist():
                pa = self._positions(node.first.field, node.first.text, doc)
                pb = self._positions(node.second.field, node.second.text, doc)
                near[doc] = any(node.mindist <= abs(x - y) <= node.slop for x in pa for y in pb)
            return near, np.where(near, sa + sb, 0.0)
        if isinstance(node, Excluding):
            (inc, si), (exc, _) = self._score(node.include), self._score(node.exclude)
            return inc & ~exc, np.where(inc & ~exc, si, 0.0)
        if isinstance(node, (AnyOf, AllOf, BestOf)):
            parts = [self._score(p) for p in node.parts]
            masks = np.array([m for m, _ in parts]).reshape(len(parts), size)
            scores = np.array([s for _, s in parts]).reshape(len(parts), size)
            mask = masks.all(axis=0) if isinstance(node, AllOf) else masks.any(axis=0)
            total = scores.max(axis=0) if isinstance(node, BestOf) else scores.sum(axis=0)
            return mask, np.where(mask, node.boost * total, 0.0)
        if isinstance(node, Everything):
            return np.ones(size, dtype=bool), np.ones(size)
        return np.zeros(size, dtype=bool), np.zeros(size)

    def stored(self, docnum: int) -> dict:
        """Return a candidate's stored fields (IndexUnavailable when its shard stopped answering)."""
        found = self.stored_many([docnum])[0]
        if found is None:
            raise IndexUnavailable(f"a shard of generation {self.name} stopped answering")
        return found

    def stored_many(self, docnums: list[int]) -> list[dict | None]:
        """Return several candidates' stored fields, read from the cluster in one query (None for one whose
        shard stopped answering since the first stage: that shard is added to ``missing``)."""
        wanted = [d for d in dict.fromkeys(docnums) if d not in self._docs]
        if wanted:
            read = self.generation.stored_many([self.ids[d] for d in wanted], self.missing)
            self._docs.update((d, doc) for d, doc in zip(wanted, read, strict=True) if doc is not None)
        return [self._docs.get(d) for d in docnums]

    def article(self, article_id: str) -> list[tuple[int, dict]]:
        """Return an article's paragraphs (from the whole generation)."""
        return self.generation.article(article_id)

    def first_stage(self, plan: QueryPlan, request: object, deadline: Deadline) -> None:
        """Return None: the candidates are what a first stage returned."""
        return None

    def matching(self, node: Node | None, docs: list[int], deadline: Deadline) -> np.ndarray:
        """Return whether the node matches each of the given candidates."""
        return self.match(node, deadline)[np.asarray(docs, dtype=np.int64)]

    def health(self) -> dict[str, object]:
        """Return the generation's health."""
        return self.generation.health()


def _bulk(node: Node) -> bool:
    """True when bulk BM25F scores a node (terms and phrases under any/all/best-of and excluding nodes)."""
    if isinstance(node, (Term, Phrase)):
        return True
    if isinstance(node, Excluding):
        return _bulk(node.include) and _bulk(node.exclude)
    if isinstance(node, (AnyOf, AllOf, BestOf)):
        return all(_bulk(p) for p in node.parts)
    return False


def _matches_leaf(view: Candidates, node: Node, doc: int) -> bool:
    """True when a bulk-scored node matches a candidate (a guess alone matches nothing)."""
    if isinstance(node, Term):
        return not node.rank_only and view._positions(node.field, node.text, doc) != []
    if isinstance(node, Phrase):
        return doc in set(view.phrase_docs(node.field, list(node.words)).tolist())
    if isinstance(node, Excluding):
        return _matches_leaf(view, node.include, doc) and not _matches_leaf(view, node.exclude, doc)
    if isinstance(node, AllOf):
        return all(_matches_leaf(view, p, doc) for p in node.parts)
    return any(_matches_leaf(view, p, doc) for p in node.parts)
