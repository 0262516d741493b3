"""One live generation on a Sphinx cluster: the :class:`search.backend.Backend` whose first stage runs on
the shards, and the candidates it hands to Fahras's own ranking.

A search sends one multi-statement batch to the head's distributed index of the generation's slot:
the candidates (the page's rows for a date sort; for relevance, the best by the cluster's own BM25F),
``SHOW META`` (the exact total, and warnings naming a shard that did not answer), and one ``GROUP BY``
per facet, each with every filter but its own. The candidates come back with their analyzed terms and
stored fields, and :class:`search.sphinx.candidates.Candidates` serves them as a small backend, with the
corpus-wide document frequencies saved beside the generation (``terms.sqlite``).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.backend import Completions, Deadline, LRUCache, Stage
from search.errors import IndexUnavailable
from search.index.vocabulary import SavedTables
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
from search.rank.bm25 import MIN_SCORED_LENGTH
from search.rank.pages import ARTICLE_SPREAD
from search.rank.rerank import COVERAGE_CANDIDATES
from search.results.facets import DateFacet, SourceFacet
from search.sphinx.candidates import Candidates
from search.sphinx.cluster import Cluster, ClusterError, slot_index, source_key
from search.sphinx.fields import FIELD_BOOSTS, FIELDS
from search.sphinx.sphinxql import Connections, agents_in, health_of, to_match

#: Candidates fetched for a relevance page: at least this many, and this many times the page's end.
CANDIDATES = 200
CANDIDATE_FACTOR = 4
#: Candidates also holding the title evidence, fetched beside them (a title word weighs twice a text word).
TITLED_CANDIDATES = 100
#: Groups a facet query may return (sources, months).
FACET_GROUPS = 10000
TERMS_FILE = "terms.sqlite"
DEFAULT_CACHE_SIZE = 512
_IMPOSSIBLE_SOURCE = 0xFFFFFFFF  # no source has it: a filter of unknown sources keeps nothing
_COLUMNS = "id, ord, article, source, month, date, terms"


#: Each field's number in the candidate ranker (``OPTION field_weights``: ``user_weight`` tells the fields apart).
FIELD_NUMBERS = {"text": 1, "exact": 2, "title": 3, "every": 4}
#: How much a field counts in the candidate ranker: the title as the plan's title evidence weighs it.
RANKED_FIELDS = {"text": 1.0, "exact": 1.0, "title": 2.0 * FIELD_BOOSTS["title"]}


def candidate_ranker(average_lengths: dict[str, float]) -> str:
    """Return the cluster's ranking of candidates: Fahras's BM25F as Sphinx's ranking factors can spell it.

    Per matched field: the query words' summed tf x idf (``tf_idf``, plain idf), saturated with k1 by their
    mean frequency, normalized by the field's length (an attribute, raised to MIN_SCORED_LENGTH as Fahras
    floors it) against the corpus average. Sphinx's own ``bm25f`` has no such floor, and ranked scraped
    fragments of three words first: its top 200 of a one-word search missed most of Fahras's top 10.
    """
    parts = []
    for name, weight in RANKED_FIELDS.items():
        floor = MIN_SCORED_LENGTH.get(name, 0)
        length = f"IF(len_{name}<{floor:g},{floor:g},len_{name})" if floor else f"len_{name}"
        average = max(average_lengths.get(name, 1.0), 1e-3)
        saturation = f"hit_count/word_count+{BM25_K1}*({1 - BM25_B:g}+{BM25_B}*{length}/{average:.4f})"
        parts.append(f"IF(user_weight=={FIELD_NUMBERS[name]},{weight:g}*tf_idf*{BM25_K1 + 1:g}/({saturation}),0)")
    return f"expr('1000*sum({'+'.join(parts)})')"


def title_evidence(plan: QueryPlan) -> str | None:
    """Return the plan's title evidence (the words in the article's title) as a MATCH expression, or None."""
    if plan.evidence is None:
        return None
    parts = plan.evidence.parts if isinstance(plan.evidence, AnyOf) else (plan.evidence,)
    titles = [f"({m})" for p in parts if isinstance(p, Term) and p.field == "title" and (m := to_match(p))]
    return "(" + " | ".join(titles) + ")" if titles else None


def candidate_options() -> str:
    """Return the OPTIONs the candidate ranker needs: field numbers and plain idf."""
    numbers = ", ".join(f"{f}={n}" for f, n in FIELD_NUMBERS.items())
    return f"field_weights=({numbers}), idf='plain'"


@dataclass
class SphinxGeneration(SavedTables):
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
        self.average_lengths = {f: self.avg_field_length(f) for f in FIELDS}

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
        statements, args, at = [], [], {}

        def add(name: str, sql: str, where: tuple[str, list] = ("", [])) -> None:
            at[name] = len(statements)
            statements.append(sql.replace("{index}", self.index).replace("{where}", where[0]))
            args.extend(where[1])

        limit = request.page * request.per_page
        timing = f"max_query_time={max(1, int(_remaining_ms(deadline)))}" if deadline.at is not None else ""
        if request.effective_sort == "relevance" and match is not None:
            wanted = max(CANDIDATES, CANDIDATE_FACTOR * limit, COVERAGE_CANDIDATES)
            if by_article:
                wanted *= ARTICLE_SPREAD
            options = ", ".join(filter(None, [f"ranker={candidate_ranker(self.average_lengths)}",
                                              candidate_options(), f"max_matches={wanted}", timing]))
            add("rows", f"SELECT {_COLUMNS} FROM {{index}} {{where}} ORDER BY WEIGHT() DESC, ord ASC LIMIT {wanted} "
                f"OPTION {options}", self._where(match, request))
            titled = title_evidence(plan)
        else:
            titled = None
            direction = "ASC" if request.effective_sort == "oldest" else "DESC"
            group = "GROUP BY article WITHIN GROUP ORDER BY ord ASC " if by_article else ""
            options = ", ".join(filter(None, ["ranker=none", f"max_matches={max(limit, 1)}", timing]))
            add("rows", f"SELECT {_COLUMNS} FROM {{index}} {{where}} {group}ORDER BY date {direction}, ord ASC "
                f"LIMIT {limit} OPTION {options}", self._where(match, request))
        add("meta", "SHOW META")  # of the statement before it: the candidates' total and warnings
        if titled is not None:  # the best matches also holding the title evidence: re-ranking may lift them
            options = ", ".join(filter(None, [f"ranker={candidate_ranker(self.average_lengths)}",
                                              candidate_options(), f"max_matches={TITLED_CANDIDATES}", timing]))
            add("titled", f"SELECT {_COLUMNS} FROM {{index}} {{where}} ORDER BY WEIGHT() DESC, ord ASC "
                f"LIMIT {TITLED_CANDIDATES} OPTION {options}", self._where(f"({match}) ({titled})", request))
        grouped = f"OPTION max_matches={FACET_GROUPS}"
        add("sources", f"SELECT source, {count} AS n FROM {{index}} {{where}} GROUP BY source LIMIT {FACET_GROUPS} "
            f"{grouped}", self._where(match, request, skip="source"))
        add("months", f"SELECT month, {count} AS n FROM {{index}} {{where}} GROUP BY month LIMIT {FACET_GROUPS} "
            f"{grouped}", self._where(match, request, skip="date"))
        if by_article:
            add("articles", f"SELECT {count} AS n FROM {{index}} {{where}}", self._where(match, request))
        filtered = bool(request.sources or request.date_from or request.date_to)
        if filtered:
            add("any", "SELECT id FROM {index} {where} LIMIT 1", self._where(match, request, skip="all"))
        results = self._batch(statements, args)
        rows, meta = results[at["rows"]], dict((r[0], r[1]) for r in results[at["meta"]] if len(r) >= 2)
        if "titled" in at:
            seen = {r[0] for r in rows}
            rows = list(rows) + [r for r in results[at["titled"]] if r[0] not in seen]
        missing = self._missing(results[at["meta"]])
        total = int(results[at["articles"]][0][0]) if by_article and results[at["articles"]] else int(
            meta.get("total_found", 0))
        matched_any = bool(results[at["any"]]) if filtered else total > 0
        if any(r[0] == "warning" and "max_query_time" in str(r[1]) for r in results[at["meta"]]):
            deadline.hit = True
        view = Candidates(self, rows, list(missing))
        sources = {self.sources[self.source_of[k]]: int(n) for k, n in results[at["sources"]] if k in self.source_of}
        months = {self.months[self.month_of[k]]: int(n) for k, n in results[at["months"]] if k in self.month_of}
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
