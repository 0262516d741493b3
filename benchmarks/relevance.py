"""Relevance benchmark: Fahras as served against Lucene's rules and peer engines, in one run.

Usage: ``python benchmarks/relevance.py [--bench DIR ...] [--split NAME] [--engine NAME ...]``

Each DIR holds ``corpus.jsonl`` ({id, title, text}), ``queries.jsonl`` ({id, text, split}) and ``qrels.tsv``
(query id, passage id, grade); the default is every folder of ``$FAHRAS_SHARED/benchmarks`` (../shared).
Every engine indexes the passage text plus its title, and runs every question in any-word mode; one
table per set gives MRR@10 with its standard error, Recall@1/5/10, the number of questions with no hit
and ms/query (search only: Fahras's embedding of the passages at index time is not counted).
Peers need the ``bench`` extra (``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.analysis import StandardAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402

from search.analysis.analyzer import lucene_analyzer  # noqa: E402
from search.engine import search  # noqa: E402
from search.index.indexing import build_index  # noqa: E402
from search.index.schema import TITLE_BOOST  # noqa: E402
from search.index.store import IndexHolder  # noqa: E402
from search.query.request import parse_request  # noqa: E402
from search.rank import semantic  # noqa: E402

K = 10
Searcher = Callable[[str], list[str]]  # question -> ranked passage ids


@dataclass
class Bench:
    """One benchmark set: passages, questions and the relevant passages of each question."""

    name: str
    passages: list[dict]
    queries: list[dict]
    qrels: dict[str, set[str]]


def shared_dir() -> Path:
    """Return the shared material folder (FAHRAS_SHARED, default ../shared beside the repository)."""
    return Path(os.environ.get("FAHRAS_SHARED", REPO.parent / "shared")).resolve()


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON-lines file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_bench(folder: Path, split: str | None) -> Bench:
    """Read a benchmark folder, keeping the questions of ``split`` (all when None)."""
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels.tsv").read_text("utf-8").splitlines():
        qid, pid, grade = (line.split("\t") + ["1"])[:3]
        if int(grade) > 0:
            qrels.setdefault(qid, set()).add(pid)
    queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["id"] in qrels]
    if split is not None:
        queries = [q for q in queries if q.get("split") == split]
        if not queries:
            raise SystemExit(f"{folder}: no question in split {split!r}")
    return Bench(folder.name, read_jsonl(folder / "corpus.jsonl"), queries, qrels)


# ---------------------------------------------------------------------------------------------
# Engines: each builds an index in a temporary folder and returns its searcher.


def fahras(passages: list[dict], work: Path) -> Searcher:
    """Fahras as served: build_index (with semantic vectors) over a .jsonl of articles, any-word mode."""
    return _fahras(passages, work, semantic=True)


def fahras_words_only(passages: list[dict], work: Path) -> Searcher:
    """Fahras over an index built without semantic vectors: questions ranked by their words only."""
    return _fahras(passages, work, semantic=False)


def _fahras(passages: list[dict], work: Path, semantic: bool) -> Searcher:
    """Build a Fahras index of the passages; return its any-word search."""
    corpus = work / "passages.jsonl"
    with open(corpus, "w", encoding="utf-8") as handle:
        for i, p in enumerate(passages):
            record = {"id": f"p{i}", "title": p.get("title", ""), "text": " ".join(p["text"].split())}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    build_index([corpus], work / "index", procs=1, semantic=semantic)
    generation = IndexHolder(work / "index").get()
    ids = {f"p{i}": p["id"] for i, p in enumerate(passages)}

    def run(question: str) -> list[str]:
        request = parse_request({"q": question, "mode": "any", "per_page": str(K)})
        return [ids[hit["article_id"]] for hit in search(generation, request).hits]

    return run


def _whoosh(passages: list[dict], work: Path, analyzer, title_boost: float = 1.0) -> Searcher:
    """Index title and text with one Whoosh analyzer; rank any of the question's terms by BM25F."""
    schema = Schema(
        id=ID(stored=True),
        title=TEXT(analyzer=analyzer, field_boost=title_boost),
        text=TEXT(analyzer=analyzer),
    )
    ix = whoosh_index.create_in(str(work), schema)
    with ix.writer() as writer:
        for p in passages:
            writer.add_document(id=p["id"], title=p.get("title", ""), text=p["text"])
    searcher = ix.searcher()

    def run(question: str) -> list[str]:
        terms = list(dict.fromkeys(t.text for t in analyzer(question)))
        if not terms:
            return []
        query = wq.Or([wq.Term(f, t) for t in terms for f in ("text", "title")])
        return [hit["id"] for hit in searcher.search(query, limit=K)]

    return run


def lucene_rules(passages: list[dict], work: Path) -> Searcher:
    """Fahras's tokenizer and normalizer with Lucene's stop list and stemmer only, nothing else."""
    stops = _stopword_lines(shared_dir() / "conformance" / "lucene_arabic_stopwords.txt")
    return _whoosh(passages, work, lucene_analyzer(stops), TITLE_BOOST)


def whoosh_standard(passages: list[dict], work: Path) -> Searcher:
    """Whoosh's StandardAnalyzer (regex words, lowercase, English stop list)."""
    return _whoosh(passages, work, StandardAnalyzer())


_FTS_WORD = re.compile(r"\w+")


def sqlite_fts5(passages: list[dict], work: Path) -> Searcher:
    """SQLite FTS5, unicode61 tokenizer with remove_diacritics 2, ranked by bm25."""
    db = sqlite3.connect(str(work / "fts.db"))
    db.execute("CREATE VIRTUAL TABLE p USING fts5(id UNINDEXED, title, text, tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO p VALUES (?, ?, ?)", [(p["id"], p.get("title", ""), p["text"]) for p in passages])
    db.commit()

    def run(question: str) -> list[str]:
        words = list(dict.fromkeys(_FTS_WORD.findall(question)))
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = db.execute("SELECT id FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, K))
        return [row[0] for row in rows]

    return run


def e5_alone(passages: list[dict], work: Path) -> Searcher:
    """The embedding model Fahras fuses, alone: every passage ranked by cosine similarity to the question."""
    vectors = semantic.embed_passages([semantic.passage_text(p.get("title", ""), p["text"]) for p in passages])
    ids = [p["id"] for p in passages]

    def run(question: str) -> list[str]:
        closeness = vectors @ semantic.embed_query(question)
        return [ids[i] for i in np.argsort(-closeness, kind="stable")[:K]]

    return run


def _tantivy(passages: list[dict], work: Path, stemmed: bool) -> Searcher:
    """Tantivy with its default analyzer, or with the Arabic Snowball stemmer and our stop list."""
    import tantivy  # the bench extra

    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    builder = builder.filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
    if stemmed:
        stops = _stopword_lines(REPO / "search" / "data" / "stopwords_ar.txt")
        builder = builder.filter(tantivy.Filter.custom_stopword(stops)).filter(tantivy.Filter.stemmer("arabic"))
    analyzer = builder.build()
    name = "ar_stem" if stemmed else "default"
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_text_field("id", stored=True, tokenizer_name="raw")
    schema_builder.add_text_field("title", tokenizer_name=name)
    schema_builder.add_text_field("text", tokenizer_name=name)
    schema = schema_builder.build()
    index = tantivy.Index(schema, path=str(work))
    if stemmed:
        index.register_tokenizer(name, analyzer)
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for p in passages:
        writer.add_document(tantivy.Document(id=p["id"], title=p.get("title", ""), text=p["text"]))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def run(question: str) -> list[str]:
        terms = list(dict.fromkeys(analyzer.analyze(question)))
        if not terms:
            return []
        should = tantivy.Occur.Should
        query = tantivy.Query.boolean_query(
            [(should, tantivy.Query.term_query(schema, f, t)) for t in terms for f in ("title", "text")]
        )
        hits = searcher.search(query, limit=K).hits
        return [searcher.doc(address)["id"][0] for _, address in hits]

    return run


def tantivy_default(passages: list[dict], work: Path) -> Searcher:
    """Tantivy's default tokenizer (simple words, remove long, lowercase)."""
    return _tantivy(passages, work, stemmed=False)


def tantivy_arabic(passages: list[dict], work: Path) -> Searcher:
    """Tantivy with the Arabic Snowball stemmer and Fahras's stop list."""
    return _tantivy(passages, work, stemmed=True)


def _stopword_lines(path: Path) -> list[str]:
    """Read a stop list file (one word a line, # comments)."""
    lines = (line.strip() for line in path.read_text("utf-8").splitlines())
    return [w for w in lines if w and not w.startswith("#")]


ENGINES: dict[str, Callable[[list[dict], Path], Searcher]] = {
    "Fahras": fahras,
    "Fahras, words only": fahras_words_only,
    "Fahras, Lucene rules only": lucene_rules,
    "Whoosh StandardAnalyzer": whoosh_standard,
    "SQLite FTS5 unicode61": sqlite_fts5,
    "tantivy default": tantivy_default,
    "tantivy Arabic stemmer": tantivy_arabic,
    "multilingual-e5-small alone": e5_alone,
}


# ---------------------------------------------------------------------------------------------
# Measuring


def evaluate(bench: Bench, run: Searcher) -> dict[str, float]:
    """Run every question; return MRR@10 and its standard error, Recall@1/5/10, no-hit count and ms/query."""
    r1 = r5 = r10 = 0.0
    reciprocal: list[float] = []
    no_hit = 0
    started = time.perf_counter()
    for q in bench.queries:
        ranked = run(q["text"])[:K]
        relevant = bench.qrels[q["id"]]
        no_hit += not ranked
        rank = next((i for i, pid in enumerate(ranked, 1) if pid in relevant), None)
        reciprocal.append(1 / rank if rank else 0.0)
        found = [pid in relevant for pid in ranked]
        hits_at = [sum(found[:n]) / len(relevant) for n in (1, 5, 10)]
        r1, r5, r10 = r1 + hits_at[0], r5 + hits_at[1], r10 + hits_at[2]
    n = len(bench.queries)
    ms = (time.perf_counter() - started) * 1000 / n
    mrr = sum(reciprocal) / n
    # the standard error of the mean reciprocal rank: differences below about twice it are noise
    se = (sum((x - mrr) ** 2 for x in reciprocal) / (n - 1) / n) ** 0.5 if n > 1 else 0.0
    return {"MRR@10": mrr, "SE": se, "R@1": r1 / n, "R@5": r5 / n, "R@10": r10 / n, "no-hit": no_hit, "ms/q": ms}


def format_table(title: str, rows: dict[str, dict[str, float]]) -> str:
    """Render one result table as Markdown."""
    columns = ["MRR@10", "SE", "R@1", "R@5", "R@10", "no-hit", "ms/q"]
    lines = [f"### {title}", "", "| engine | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows.items():
        cells = [
            str(int(row[c])) if c == "no-hit" else f"{row[c]:.2f}" if c == "ms/q" else f"{row[c]:.4f}"
            for c in columns
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_bench(bench: Bench, engines: Iterable[str]) -> dict[str, dict[str, float]]:
    """Build every engine's index over the bench's passages and evaluate it."""
    rows = {}
    for name in engines:
        with tempfile.TemporaryDirectory(prefix="fahras-bench-") as tmp:
            rows[name] = evaluate(bench, ENGINES[name](bench.passages, Path(tmp)))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every set and print one table per set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", action="append", type=Path, help="benchmark folder (repeatable)")
    parser.add_argument("--split", default="test", help="question split to run (default test; 'all' for every one)")
    parser.add_argument("--engine", action="append", choices=list(ENGINES), help="run only these engines")
    args = parser.parse_args(argv)
    folders = args.bench or sorted(p for p in (shared_dir() / "benchmarks").iterdir() if p.is_dir())
    split = None if args.split == "all" else args.split
    for folder in folders:
        bench = load_bench(folder, split)
        rows = run_bench(bench, args.engine or list(ENGINES))
        title = f"{bench.name}, split {args.split}: {len(bench.queries)} questions, {len(bench.passages)} passages"
        print(format_table(title, rows), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
