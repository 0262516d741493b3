"""One live generation on a Sphinx cluster: the :class:`search.backend.Backend` whose first stage runs on
the shards, and the candidates it hands to Fahras's own ranking.

A search sends one multi-statement batch to the head's distributed index of the generation's slot:
the candidates (the page's rows for a date sort; for relevance, the best by the cluster's own BM25F),
``SHOW META`` (the exact total, and warnings naming a shard that did not answer), and one ``GROUP BY``
per facet, each with every filter but its own. The candidates come back with their analyzed terms and
stored fields, and :class:`Candidates` serves them as a small backend: postings, positions and lengths
from the terms, idf from the corpus-wide document frequencies saved beside the generation
(``terms.sqlite``), so that BM25F, proximity and coverage rank them exactly as on the Whoosh backend.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.backend import UNKNOWN, Columns, Completions, Deadline, LRUCache, Stage
from search.errors import IndexUnavailable
from search.index.completions import load_completions
from search.index.vocabulary import load_vocabulary
from search.plan import (
    AllOf,
    AnyOf,
    BestOf,
    Everything,
    Excluding,
    Near,
    Node,
    Nothing,
    Phrase,
    Prefix,
    QueryPlan,
    Term,
)
from search.query.build import BM25_B, BM25_K1
from search.query.request import SearchRequest
from search.rank.bm25 import top_documents
from search.rank.pages import ARTICLE_SPREAD
from search.rank.rerank import COVERAGE_CANDIDATES
from search.results.facets import DateFacet, SourceFacet
from search.sphinx.cluster import Cluster, ClusterError, slot_index, source_key
from search.sphinx.fields import FIELD_BOOSTS, FIELDS, stored_length
from search.sphinx.sphinxql import Connections, agents_in, health_of, to_match

#: Candidates fetched for a relevance page: at least this many, and this many times the page's end.
CANDIDATES = 200
CANDIDATE_FACTOR = 4
#: Groups a facet query may return (sources, months).
FACET_GROUPS = 10000
TERMS_FILE = "terms.sqlite"
DEFAULT_CACHE_SIZE = 512
_IMPOSSIBLE_SOURCE = 0xFFFFFFFF  # no source has it: a filter of unknown sources keeps nothing
_COLUMNS = "id, ord, article, source, month, date, terms"


def candidate_ranker() -> str:
    """Return the cluster's ranking of candidates: its BM25F over the three fields, weighted as Fahras's."""
    weights = ", ".join(f"{f}={round(FIELD_BOOSTS[f] * 10)}" for f in FIELDS)
    return f"expr('10000*bm25f({BM25_K1}, {BM25_B}, {{{weights}}})')"


@dataclass
class SphinxGeneration:
    """A generation whose paragraphs live in a slot of the cluster's shards; its statistics beside it."""

    name: str
    path: Path
    meta: dict
    cluster: Cluster
    connections: Connections
    results: LRUCache = field(default_factory=lambda: LRUCache(DEFAULT_CACHE_SIZE), repr=False)
    expansions: LRUCache = field(default_factory=lambda: LRUCache(8192), repr=False)
    terms: LRUCache = field(default_factory=lambda: LRUCache(65536), repr=False)
    #: One embedding per paragraph (row = corpus order) for re-ranking questions, memory-mapped; None without.
    vectors: np.ndarray | None = None
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _vocabulary: tuple[list[str], np.ndarray] | None = field(default=None, repr=False)
    _completions: Completions | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.index = slot_index(self.meta["slot"])
        self.sources: tuple[str, ...] = tuple(self.meta["sources"])
        self.months: tuple[str, ...] = tuple(self.meta["months"])
        self.source_of = {source_key(s): i for i, s in enumerate(self.sources)}
        self.month_of = {int(m.replace("-", "")): i for i, m in enumerate(self.months)}
        self.lengths: dict[str, float] = self.meta["field_lengths"]

    # -- statistics, from terms.sqlite -------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """Return this thread's read-only connection to the term statistics."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path / TERMS_FILE}?mode=ro", uri=True)
        return db

    @property
    def doc_count(self) -> int:
        """Return how many paragraphs the generation holds."""
        return int(self.meta["paragraphs"])

    def doc_frequency(self, field: str, text: str) -> int:
        """Return how many paragraphs hold a term, corpus-wide."""
        def read() -> int:
            row = self._db().execute("SELECT df FROM terms WHERE field = ? AND term = ?", (field, text)).fetchone()
            return row[0] if row else 0
        return self.terms.get_or_compute(("df", field, text), read)

    def prefix_frequency(self, field: str, prefix: str) -> int:
        """Return the summed document frequencies of a field's terms starting with ``prefix``."""
        row = self._db().execute(
            "SELECT COALESCE(SUM(df), 0) FROM terms WHERE field = ? AND term >= ? AND term < ?",
            (field, prefix, prefix + "\U0010ffff"),
        ).fetchone()
        return int(row[0])

    def idf(self, field: str, text: str) -> float:
        """Return a term's inverse document frequency as Whoosh's BM25F computes it."""
        return math.log(self.doc_count / (self.doc_frequency(field, text) + 1)) + 1

    def avg_field_length(self, field: str) -> float:
        """Return the corpus-wide average length of a field."""
        return self.lengths[field] / self.doc_count if self.doc_count else 0.0

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Return the saved vocabulary (words, document frequencies), loaded the first time."""
        if self._vocabulary is None:
            self._vocabulary = load_vocabulary(self.path)
        return self._vocabulary

    def completions(self) -> Completions:
        """Return the saved completion table, loaded the first time."""
        if self._completions is None:
            self._completions = load_completions(self.path)
        return self._completions

    def estimated_matches(self, node: Node) -> int:
        """Return an upper bound of a node's matches from the document frequencies (as Whoosh estimates)."""
        return estimate(self, node)

    # -- the first stage, on the cluster ------------------------------------------------------------

    def first_stage(self, plan: QueryPlan, request: SearchRequest, deadline: Deadline) -> Stage:
        """Run the request's first stage on the cluster: candidates, total and facets in one batch."""
        if plan.query is None:
            match: str | None = None
        else:
            match = to_match(plan.query)
            if match is None:  # nothing can match: no need to ask
                return self._empty(request)
        by_article = request.group == "article"
        count = "COUNT(DISTINCT article)" if by_article else "COUNT(*)"
        statements, args = [], []

        def add(sql: str, where: tuple[str, list]) -> None:
            statements.append(sql.replace("{index}", self.index).replace("{where}", where[0]))
            args.extend(where[1])

        limit = request.page * request.per_page
        timing = f"max_query_time={max(1, int(_remaining_ms(deadline)))}" if deadline.at is not None else ""
        if request.effective_sort == "relevance" and match is not None:
            wanted = max(CANDIDATES, CANDIDATE_FACTOR * limit, COVERAGE_CANDIDATES)
            if by_article:
                wanted *= ARTICLE_SPREAD
            options = ", ".join(filter(None, [f"ranker={candidate_ranker()}", f"max_matches={wanted}", timing]))
            add(f"SELECT {_COLUMNS} FROM {{index}} {{where}} ORDER BY WEIGHT() DESC, ord ASC LIMIT {wanted} "
                f"OPTION {options}", self._where(match, request))
        else:
            direction = "ASC" if request.effective_sort == "oldest" else "DESC"
            group = "GROUP BY article WITHIN GROUP ORDER BY ord ASC " if by_article else ""
            options = ", ".join(filter(None, ["ranker=none", f"max_matches={max(limit, 1)}", timing]))
            add(f"SELECT {_COLUMNS} FROM {{index}} {{where}} {group}ORDER BY date {direction}, ord ASC "
                f"LIMIT {limit} OPTION {options}", self._where(match, request))
        statements.append("SHOW META")
        grouped = f"OPTION max_matches={FACET_GROUPS}"
        add(f"SELECT source, {count} AS n FROM {{index}} {{where}} GROUP BY source LIMIT {FACET_GROUPS} {grouped}",
            self._where(match, request, skip="source"))
        add(f"SELECT month, {count} AS n FROM {{index}} {{where}} GROUP BY month LIMIT {FACET_GROUPS} {grouped}",
            self._where(match, request, skip="date"))
        if by_article:
            add(f"SELECT {count} AS n FROM {{index}} {{where}}", self._where(match, request))
        filtered = bool(request.sources or request.date_from or request.date_to)
        if filtered:
            add("SELECT id FROM {index} {where} LIMIT 1", self._where(match, request, skip="all"))
        results = self._batch(statements, args)
        rows, meta = results[0], dict((r[0], r[1]) for r in results[1] if len(r) >= 2)
        missing = self._missing(results[1])
        total = int(results[4][0][0]) if by_article and results[4] else int(meta.get("total_found", 0))
        matched_any = bool(results[-1]) if filtered else total > 0
        if any(r[0] == "warning" and "max_query_time" in str(r[1]) for r in results[1]):
            deadline.hit = True
        view = Candidates(self, rows, list(missing))
        sources = {self.sources[self.source_of[k]]: int(n) for k, n in results[2] if k in self.source_of}
        months = {self.months[self.month_of[k]]: int(n) for k, n in results[3] if k in self.month_of}
        facets = {
            "source": SourceFacet().counted(sources, self.sources, request),
            "date": DateFacet().counted(months, self.months, request),
        }

        def article_matches(docs: list[int]) -> list[int]:
            return self._article_matches(match, request, [view.article_number(d) for d in docs])

        return Stage(view, np.ones(len(rows), dtype=bool), total, matched_any, lambda: facets, article_matches,
                     view.missing)

    def _empty(self, request: SearchRequest) -> Stage:
        """The first stage of a plan that matches nothing."""
        empty = {"source": SourceFacet().counted({}, (), request), "date": []}
        view = Candidates(self, [])
        return Stage(view, np.zeros(0, dtype=bool), 0, False, lambda: empty, lambda docs: [0] * len(docs))

    def _where(self, match: str | None, request: SearchRequest, skip: str | None = None) -> tuple[str, list]:
        """Return a WHERE clause (with its arguments): the match and every filter but ``skip``'s."""
        conditions, args = [], []
        if match is not None:
            conditions.append("MATCH(%s)")
            args.append(match)
        if skip not in ("source", "all") and request.sources:
            keys = [source_key(s) for s in request.sources if s in self.sources] or [_IMPOSSIBLE_SOURCE]
            conditions.append(f"source IN ({', '.join(map(str, keys))})")
        if skip not in ("date", "all") and (request.date_from or request.date_to):
            conditions.append("date > 0")
            if request.date_from:
                conditions.append(f"date >= {int(request.date_from.replace('-', ''))}")
            if request.date_to:
                conditions.append(f"date <= {int(request.date_to.replace('-', ''))}")
        return ("WHERE " + " AND ".join(conditions)) if conditions else "", args

    def _batch(self, statements: list[str], args: list | tuple = ()) -> list[list[tuple]]:
        """Run a batch on the head; ClusterError naming the shards when none answered."""
        try:
            return self.connections.batch(statements, args)
        except ClusterError as exc:
            shards = [self.cluster.shard_named(a) or a for a in agents_in(exc.message)]
            if shards:
                names = ", ".join(shards)
                raise ClusterError(f"no shard of the cluster answers ({names})", "cluster_unavailable") from None
            raise

    def _missing(self, meta: list[tuple]) -> tuple[str, ...]:
        """Return the shards a SHOW META's warnings name."""
        found: list[str] = []
        for row in meta:
            if row[0] == "warning":
                for address in agents_in(str(row[1])):
                    name = self.cluster.shard_named(address) or address
                    if name not in found:
                        found.append(name)
        return tuple(found)

    def _article_matches(self, match: str | None, request: SearchRequest, articles: list[int]) -> list[int]:
        """Count the filtered matches in each of the given articles (by their numbers)."""
        if not articles:
            return []
        where, args = self._where(match, request)
        joined = ", ".join(str(a) for a in sorted(set(articles)))
        where = f"{where} AND article IN ({joined})" if where else f"WHERE article IN ({joined})"
        rows = self._batch([f"SELECT article, COUNT(*) AS n FROM {self.index} {where} GROUP BY article "
                            f"LIMIT {len(articles)} OPTION max_matches={max(len(articles), 1)}"], args)[0]
        counts = {int(a): int(n) for a, n in rows}
        return [counts.get(a, 0) for a in articles]

    def matching(self, node: Node | None, docs: list[int], deadline: Deadline) -> np.ndarray:
        """Return, for each of the given docnums (cluster ids), whether the plan matches it."""
        if not docs:
            return np.zeros(0, dtype=bool)
        match = None if node is None else to_match(node)
        if node is not None and match is None:
            return np.zeros(len(docs), dtype=bool)
        ids = ", ".join(str(d) for d in docs)
        where = f"WHERE MATCH(%s) AND id IN ({ids})" if match else f"WHERE id IN ({ids})"
        rows = self._batch([f"SELECT id FROM {self.index} {where} LIMIT {len(docs)} OPTION max_matches={len(docs)}"],
                           [match] if match else [])[0]
        found = {int(r[0]) for r in rows}
        return np.array([d in found for d in docs], dtype=bool)

    def article(self, article_id: str) -> list[tuple[int, dict]]:
        """Return (cluster id, stored fields) of each of an article's paragraphs ([] if none)."""
        number = self._article_number(article_id)
        if number is None:
            return []
        rows = self._batch([f"SELECT id, doc FROM {self.index} WHERE article = {number} LIMIT 10000 "
                            "OPTION max_matches=10000"])[0]
        return [(int(i), json.loads(doc)) for i, doc in rows]

    def _article_number(self, article_id: str) -> int | None:
        """Return an article's number (its attribute on the shards), or None if the generation has no such article."""
        row = self._db().execute("SELECT number FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def stored(self, docnum: int) -> dict:
        """Return a paragraph's stored fields by its cluster id."""
        found = self.stored_many([docnum])[0]
        if found is None:
            raise IndexUnavailable(f"paragraph {docnum} cannot be read from generation {self.name} now")
        return found

    def stored_many(self, docnums: list[int], missing: list[str] | None = None) -> list[dict | None]:
        """Return paragraphs' stored fields by their cluster ids, in one query; None for one whose shard does
        not answer (named in ``missing``)."""
        if not docnums:
            return []
        ids = ", ".join(str(int(d)) for d in docnums)
        results = self._batch([f"SELECT id, doc FROM {self.index} WHERE id IN ({ids}) LIMIT {len(docnums)} "
                               f"OPTION max_matches={len(docnums)}", "SHOW META"])
        found = {int(i): doc for i, doc in results[0]}
        if missing is not None:
            missing.extend(name for name in self._missing(results[1]) if name not in missing)
        return [json.loads(found[int(d)]) if int(d) in found else None for d in docnums]

    def health(self) -> dict[str, object]:
        """Return what /healthz says of this backend: the cluster's shards and whether each answers."""
        members = health_of(self.cluster)
        return {"backend": "sphinx", "sources": len(self.sources), "slot": self.meta["slot"],
                "status": "ok" if all(m["up"] for m in members) else "degraded", "cluster": members}

    # what a cluster generation leaves to its candidates' view (the engine never asks it)
    def match(self, node: Node | None, deadline: Deadline) -> np.ndarray:
        """Not answered by a cluster: its first stage matches."""
        raise NotImplementedError("a cluster generation matches in its first stage")

    def close(self) -> None:
        """Close this thread's connections."""
        self.connections.close()


def _remaining_ms(deadline: Deadline) -> float:
    """Return the time left before the deadline, in ms."""
    import time

    return max(0.0, (deadline.at - time.perf_counter()) * 1000) if deadline.at is not None else 0.0


def estimate(generation: SphinxGeneration, node: Node) -> int:
    """Return an upper bound of a node's matches from document frequencies, as Whoosh estimates: terms by
    their own, phrases and all-ofs by their rarest part, any-ofs by the sum of theirs."""
    if isinstance(node, Term):
        return generation.doc_frequency(node.field, node.text)
    if isinstance(node, Phrase):
        return min(generation.doc_frequency(node.field, w) for w in node.words)
    if isinstance(node, Prefix):
        return generation.prefix_frequency(node.field, node.text)
    if isinstance(node, Near):
        return min(estimate(generation, node.first), estimate(generation, node.second))
    if isinstance(node, (AnyOf, BestOf)):  # at most every paragraph, as Whoosh caps an Or's estimate
        return min(sum(estimate(generation, p) for p in node.parts), generation.doc_count)
    if isinstance(node, AllOf):
        return min(estimate(generation, p) for p in node.parts)
    if isinstance(node, Excluding):
        return estimate(generation, node.include)
    if isinstance(node, Everything):
        return generation.doc_count
    if isinstance(node, Nothing):
        return 0
    raise TypeError(f"cannot estimate {type(node).__name__}")


class Candidates:
    """The candidates of one search as a small :class:`search.backend.Backend` (docnums 0 .. n-1): their
    terms, positions and lengths from the rows, every statistic from the whole generation."""

    def __init__(self, generation: SphinxGeneration, rows: list[tuple], missing: list[str] | None = None) -> None:
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
