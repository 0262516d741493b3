"""Speed benchmark: index build, query latency against peers, the scaling curve, gunicorn throughput.

Usage: ``python benchmarks/speed.py [--corpus DIR] [--scale 0.1 0.5 1 3] [--queries N]``

All in one run on this machine, printed as tables:

- build: seconds, paragraphs/s, size on disk and peak memory of Fahras, plain Whoosh and SQLite FTS5
  (each build in a fresh process; peak memory is the largest resident size among its processes);
- latency: p50/p95/p99 over a fixed, seeded set of realistic queries (title words, quoted title
  phrases, a source or date filter), each with facets and snippets of the top 10, uncached, through the
  code path of ``/api/search`` (``parse_request`` -> ``search`` -> ``to_dict``); the same queries on plain
  Whoosh (StandardAnalyzer, ``groupedby`` facets, Whoosh's highlighter) and FTS5 (GROUP BY, ``snippet()``),
  with the ratio Fahras/peer; the cached p50 of the same queries asked again;
- facet counting alone: Fahras's column counts against Whoosh's ``groupedby``;
- scaling: p50/p95 against paragraphs at each ``--scale`` (copies of the corpus with new ids above 1);
- gunicorn: requests/s, p50/p95/p99 from ``wrk`` (loopback, 8 connections, 30 s) against ``make serve``'s
  ``gunicorn.conf.py``, then each worker's resident memory.

Peers need the ``bench`` extra; ``wrk`` comes from Debian (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from common import (
    REPO,
    BenchQuery,
    default_corpus,
    folder_size,
    make_queries,
    percentile,
    read_articles,
    scaled,
    table,
    write_jsonl,
)
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import sorting
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser

from search.backend import Deadline
from search.corpus.reader import ReadReport, read_corpus
from search.engine import search
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.build import build_query
from search.query.request import parse_request
from search.results.facets import count_facets, filter_masks

KINDS = ("words", "phrase", "filtered")
def matched_mask(generation, plan):  # noqa: ANN001, ANN201
    """Return the boolean mask of the plan's matches (no time budget)."""
    return generation.match(plan.query, Deadline(None))
Runner = Callable[[BenchQuery], None]


# ---------------------------------------------------------------------------------------------
# Builds (each in a fresh process, so peak memory is its own)


def _build_fahras(paths: list[str], index: Path, procs: int) -> int:
    """Build a Fahras index; return the paragraph count."""
    return build_index(paths, index, procs=procs).report.paragraphs


def _plain_schema() -> Schema:
    """Plain Whoosh: StandardAnalyzer over text and title, ID fields for facets."""
    return Schema(id=ID(stored=True), title=TEXT(analyzer=StandardAnalyzer(), stored=True),
                  source=ID(stored=True), month=ID(stored=True), date=ID(stored=True),
                  text=TEXT(analyzer=StandardAnalyzer(), stored=True, phrase=True))


def _paragraphs(paths: list[str]):
    """Yield (id, article, number, text) for every paragraph, as the Fahras reader sees it."""
    for article in read_corpus(paths, ReadReport()):
        for number, text in enumerate(article.paragraphs, 1):
            yield f"{article.id}-{number}", article, number, text


def _build_whoosh(paths: list[str], index: Path, procs: int) -> int:
    """Build the plain Whoosh peer (Whoosh's own multiprocessing writer)."""
    index.mkdir(parents=True)
    ix = whoosh_index.create_in(str(index), _plain_schema())
    writer = ix.writer(procs=procs, limitmb=256, multisegment=True) if procs > 1 else ix.writer(limitmb=256)
    count = 0
    for pid, a, _, text in _paragraphs(paths):
        writer.add_document(id=pid, title=a.title, source=a.source, month=a.date[:7], date=a.date, text=text)
        count += 1
    writer.commit()
    return count


def _build_fts5(paths: list[str], index: Path, procs: int) -> int:
    """Build the SQLite FTS5 peer (unicode61 tokenizer, diacritics removed)."""
    index.mkdir(parents=True)
    db = sqlite3.connect(index / "fts.db")
    db.executescript(
        "CREATE TABLE docs(id TEXT, title TEXT, source TEXT, date TEXT, month TEXT, paragraph INT, text TEXT);"
        "CREATE VIRTUAL TABLE fts USING fts5(text, content='docs', content_rowid='rowid',"
        " tokenize='unicode61 remove_diacritics 2');"
    )
    rows = ((pid, a.title, a.source, a.date, a.date[:7], n, text) for pid, a, n, text in _paragraphs(paths))
    with db:
        db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
        db.execute("CREATE INDEX docs_source ON docs(source)")
        db.execute("CREATE INDEX docs_date ON docs(date)")
    count = db.execute("SELECT count(*) FROM docs").fetchone()[0]
    db.close()
    return count


BUILDERS = {"fahras": _build_fahras, "whoosh": _build_whoosh, "fts5": _build_fts5}


def build_child(engine: str, index: str, paths: list[str], procs: int) -> None:
    """Run one build in this process and print its figures as JSON (called by ``measure_build``)."""
    started = time.perf_counter()
    count = BUILDERS[engine](paths, Path(index), procs)
    seconds = time.perf_counter() - started
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "paragraphs": count, "peak_mb": peak_kb / 1024}))


def measure_build(engine: str, paths: Sequence[Path], index: Path, procs: int) -> dict:
    """Build an index in a fresh process; return seconds, paragraphs, paragraphs/s, size and peak memory."""
    if index.exists():
        shutil.rmtree(index)
    out = subprocess.run(
        [sys.executable, __file__, "--build-child", engine, str(index), str(procs), *map(str, paths)],
        check=True, capture_output=True, text=True,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["rate"] = figures["paragraphs"] / figures["seconds"]
    figures["size_mb"] = folder_size(index) / 1e6
    return figures


# ---------------------------------------------------------------------------------------------
# Query runners: one call answers one query completely (count, facets, top 10 with snippets)


def fahras_runner(index: Path, cache: bool = False, extra: dict | None = None) -> tuple[Runner, Callable]:
    """Return a runner over the live Fahras generation, the path /api/search takes (``extra``: more parameters)."""
    holder = IndexHolder(index)

    options = {"cache": cache} if "cache" in inspect.signature(search).parameters else {}

    def run(query: BenchQuery) -> None:
        json.dumps(search(holder.get(), parse_request({**query.params(), **(extra or {})}), **options).to_dict())

    def facets_only(query: BenchQuery) -> None:
        generation = holder.get()
        request = parse_request(query.params())
        plan = build_query(request)
        matched = matched_mask(generation, plan)
        count_facets(generation.columns, matched, filter_masks(generation.columns, request), request)

    return run, facets_only


def whoosh_runner(index: Path) -> tuple[Runner, Callable]:
    """Return a runner over the plain Whoosh peer."""
    ix = whoosh_index.open_dir(str(index))
    searcher = ix.searcher()
    parser = QueryParser("text", ix.schema)
    facets = {"source": sorting.FieldFacet("source", maptype=sorting.Count),
              "month": sorting.FieldFacet("month", maptype=sorting.Count)}

    def prepare(query: BenchQuery):
        parsed = parser.parse(query.q)
        if query.source:
            return parsed, wq.Term("source", query.source)
        if query.date_from:
            return parsed, wq.TermRange("date", query.date_from, query.date_to)
        return parsed, None

    def run(query: BenchQuery) -> None:
        parsed, filter_query = prepare(query)
        results = searcher.search(parsed, limit=10, filter=filter_query, groupedby=facets)
        len(results), results.groups("source"), results.groups("month")
        for hit in results:
            hit.highlights("text")

    def facets_only(query: BenchQuery) -> None:
        parsed, filter_query = prepare(query)
        results = searcher.search(parsed, limit=1, filter=filter_query, groupedby=facets)
        results.groups("source"), results.groups("month")

    return run, facets_only


def fts5_runner(index: Path) -> tuple[Runner, Callable]:
    """Return a runner over the SQLite FTS5 peer."""
    db = sqlite3.connect(index / "fts.db")

    def where(query: BenchQuery) -> tuple[str, list[str]]:
        match = f'"{" ".join(query.words)}"' if query.phrase else " ".join(f'"{w}"' for w in query.words)
        sql, args = "fts MATCH ?", [match]
        if query.source:
            sql, args = sql + " AND docs.source = ?", [*args, query.source]
        if query.date_from:
            sql, args = sql + " AND docs.date BETWEEN ? AND ?", [*args, query.date_from, query.date_to]
        return sql, args

    def facets(sql: str, args: list[str]) -> None:
        for column in ("source", "month"):
            db.execute(f"SELECT docs.{column}, count(*) FROM fts JOIN docs ON docs.rowid = fts.rowid "
                       f"WHERE {sql} GROUP BY docs.{column}", args).fetchall()

    def run(query: BenchQuery) -> None:
        sql, args = where(query)
        db.execute(f"SELECT count(*) FROM fts JOIN docs ON docs.rowid = fts.rowid WHERE {sql}", args).fetchone()
        facets(sql, args)
        db.execute(
            "SELECT docs.id, docs.title, docs.source, docs.date, docs.text,"
            " snippet(fts, 0, '<mark>', '</mark>', '…', 40), bm25(fts)"
            f" FROM fts JOIN docs ON docs.rowid = fts.rowid WHERE {sql} ORDER BY bm25(fts) LIMIT 10", args,
        ).fetchall()

    def facets_only(query: BenchQuery) -> None:
        facets(*where(query))

    return run, facets_only


def time_queries(run: Runner, queries: Sequence[BenchQuery]) -> list[float]:
    """Return each query's wall time in ms."""
    times = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def by_kind(queries: Sequence[BenchQuery], times: list[float]) -> dict[str, list[float]]:
    """Group timings by query kind, plus "all"."""
    groups: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for query, ms in zip(queries, times, strict=True):
        groups[query.kind].append(ms)
    groups["all"] = list(times)
    return groups


def first_query_ms(index: Path, query: BenchQuery) -> float:
    """Time the first query of a fresh process (opening the generation included)."""
    code = (
        f"import sys, time, json; sys.path.append({str(REPO)!r}); t = time.perf_counter();"
        "from search.engine import search; from search.query.request import parse_request;"
        "from search.index.store import IndexHolder;"
        f"search(IndexHolder({str(index)!r}).get(), parse_request(json.loads({json.dumps(query.params())!r})));"
        "print((time.perf_counter() - t) * 1000)"
    )
    run = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=tempfile.gettempdir())  # not the repository: PYTHONPATH may name another checkout
    return float(run.stdout)


# ---------------------------------------------------------------------------------------------
# gunicorn under wrk

WRK_SCRIPT = """
local paths = {%s}
local counter = 0
local offset = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 1000)
end
function init(args)
  offset = wrk.thread:get("offset") or 0
end
local i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[((i + offset) %% #paths) + 1])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.2f %%.2f %%.2f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    """Return the child process ids of a process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def gunicorn_run(index: Path, queries: Sequence[BenchQuery], seconds: int, connections: int, port: int,
                 env: dict[str, str] | None = None, after: Callable[[], dict] | None = None) -> dict:
    """Serve the index with gunicorn.conf.py (and these extra FAHRAS_* settings), load it with wrk; return
    throughput, latency, each worker's RSS after the load and what ``after`` measured then."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is missing: run `apt-get install -y wrk`")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = tempfile.NamedTemporaryFile(prefix="fahras-gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "--error-logfile", log.name],
        cwd=REPO, env={"FAHRAS_INDEX_DIR": str(index), "PATH": "/usr/bin:/bin", **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    script = None
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"gunicorn did not answer /healthz on {base}; see {log.name}")
        paths = ",".join(
            json.dumps("/api/search?" + urllib.parse.urlencode(q.params(), doseq=True)) for q in queries
        )
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(WRK_SCRIPT % paths)
            script = handle.name
        out = subprocess.run(
            [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, base],
            check=True, capture_output=True, text=True,
        ).stdout
        line = next(line for line in out.splitlines() if line.startswith("RESULT"))
        requests, errors, duration, p50, p95, p99 = line.split()[1:]
        return {
            "requests": int(requests), "errors": int(errors), "rps": int(requests) / (int(duration) / 1e6),
            "p50": float(p50), "p95": float(p95), "p99": float(p99),
            "workers": [(pid, _rss_mb(pid)) for pid in _children(server.pid)],
            "after": after() if after else {},
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        if script:
            os.unlink(script)


# ---------------------------------------------------------------------------------------------


def latency_rows(results: dict[str, dict[str, list[float]]]) -> list[list[object]]:
    """One row per query kind: each engine's p50/p95/p99 and the Fahras/peer ratios."""
    rows = []
    peers = [name for name in results if name != "fahras"]
    for kind in (*KINDS, "all"):
        row: list[object] = [kind, len(results["fahras"][kind])]
        for name in results:
            row += [percentile(results[name][kind], p) for p in (50, 95, 99)]
        for peer in peers:
            for p in (50, 95):
                row.append(f"{percentile(results['fahras'][kind], p) / percentile(results[peer][kind], p):.2f}")
        rows.append(row)
    return rows


def latency_header(engines: Sequence[str]) -> list[str]:
    """The header matching ``latency_rows``."""
    header = ["queries", "n"]
    for name in engines:
        header += [f"{name} p50", "p95", "p99"]
    for peer in engines[1:]:
        header += [f"F/{peer} p50", "p95"]
    return header


def main(argv: list[str] | None = None) -> None:
    """Run every part of the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--scale", type=float, nargs="+", default=[0.1, 0.5, 1, 3])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "fahras-speed")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--no-peers", action="store_true", help="skip plain Whoosh and FTS5")
    parser.add_argument("--no-gunicorn", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse indexes left in --work (no build table)")
    parser.add_argument("--seconds", type=int, default=30, help="wrk duration")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--build-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_child:
        engine, index, procs, *paths = args.build_child
        build_child(engine, index, paths, int(procs))
        return

    articles = read_articles(args.corpus)
    queries = make_queries(articles, args.queries)
    engines = ["fahras"] if args.no_peers else ["fahras", "whoosh", "fts5"]
    indexes = {name: args.work / name for name in engines}
    print(f"corpus {args.corpus}: {len(articles)} articles; {len(queries)} queries "
          f"({', '.join(f'{k} {sum(q.kind == k for q in queries)}' for k in KINDS)})\n", flush=True)

    if not args.reuse:
        rows = []
        for name in engines:
            b = measure_build(name, [args.corpus], indexes[name], args.procs)
            rows.append([name, b["paragraphs"], b["seconds"], round(b["rate"]), b["size_mb"], b["peak_mb"]])
        print(table(f"Index build (procs={args.procs})",
                    ["engine", "paragraphs", "seconds", "paragraphs/s", "size MB", "peak RSS MB"], rows), flush=True)

    first = first_query_ms(indexes["fahras"], queries[0])
    runners = {"fahras": fahras_runner(indexes["fahras"])}
    if not args.no_peers:
        runners["whoosh"] = whoosh_runner(indexes["whoosh"])
        runners["fts5"] = fts5_runner(indexes["fts5"])
    results, facet_times = {}, {}
    for name, (run, facets_only) in runners.items():
        time_queries(run, queries[:20])  # warm the process (imports, first loads), not the cache
        results[name] = by_kind(queries, time_queries(run, queries))
        facet_times[name] = by_kind(queries, time_queries(facets_only, queries))
    print(table("Query latency ms, uncached, facets + snippets of the top 10 (F/x = Fahras / peer)",
                latency_header(engines), latency_rows(results)), flush=True)
    print(table("Facet counting only, ms (F/x = Fahras / peer)", latency_header(engines),
                latency_rows(facet_times)), flush=True)

    by_paragraph, _ = fahras_runner(indexes["fahras"])
    by_article, _ = fahras_runner(indexes["fahras"], extra={"group": "article"})
    time_queries(by_article, queries[:20])
    paired = {"paragraph": {k: [] for k in (*KINDS, "all")}, "article": {k: [] for k in (*KINDS, "all")}}
    for query in queries:  # interleaved, so that a change in the machine's speed touches both alike
        for unit, run in (("paragraph", by_paragraph), ("article", by_article)):
            started = time.perf_counter()
            run(query)
            took = (time.perf_counter() - started) * 1000
            paired[unit][query.kind].append(took)
            paired[unit]["all"].append(took)
    rows = [[kind, len(paired["article"][kind]),
             *(percentile(paired[u][kind], p) for u in ("paragraph", "article") for p in (50, 95)),
             f"{percentile(paired['article'][kind], 95) / percentile(paired['paragraph'][kind], 95):.2f}"]
            for kind in (*KINDS, "all")]
    print(table("Fahras one result per article (group=article) against one per paragraph, ms, uncached",
                ["queries", "n", "paragraph p50", "p95", "article p50", "p95", "article/paragraph p95"], rows),
          flush=True)

    cached_run, _ = fahras_runner(indexes["fahras"], cache=True)
    time_queries(cached_run, queries)
    cached = time_queries(cached_run, queries)
    print(table("Fahras first query and cache", ["measure", "ms"], [
        ["first query of a fresh process", first],
        ["uncached p50", percentile(results["fahras"]["all"], 50)],
        ["cached p50 (same queries again)", percentile(cached, 50)],
        ["cached p95", percentile(cached, 95)],
    ]), flush=True)

    rows = []
    for scale in args.scale:
        if scale == 1:
            index = indexes["fahras"]
            paragraphs = IndexHolder(index).get().columns.doc_count
            build = None
        else:
            index = args.work / f"fahras-x{scale:g}"
            if not (args.reuse and index.exists()):
                corpus = write_jsonl(scaled(articles, scale), args.work / f"corpus-x{scale:g}")
                build = measure_build("fahras", [corpus], index, args.procs)
                shutil.rmtree(corpus)
            else:
                build = None
            paragraphs = IndexHolder(index).get().columns.doc_count
        run, _ = fahras_runner(index)
        time_queries(run, queries[:20])
        times = time_queries(run, queries)
        rows.append([f"{scale * 100:g}%", paragraphs, percentile(times, 50), percentile(times, 95),
                     percentile(times, 99), "" if build is None else round(build["rate"])])
    print(table("Scaling: Fahras latency ms against corpus size (copies with new ids above 100%)",
                ["scale", "paragraphs", "p50", "p95", "p99", "build p/s"], rows), flush=True)

    if not args.no_gunicorn:
        load = make_queries(articles, 5000, seed=7)  # mostly distinct URLs: the cache rarely answers
        g = gunicorn_run(indexes["fahras"], load, args.seconds, args.connections, args.port)
        rows = [["requests/s", g["rps"]], ["requests", g["requests"]], ["errors", g["errors"]],
                ["p50 ms", g["p50"]], ["p95 ms", g["p95"]], ["p99 ms", g["p99"]]]
        rows += [[f"worker {pid} RSS MB", rss] for pid, rss in g["workers"]]
        print(table(f"gunicorn (gunicorn.conf.py) under wrk: {args.connections} connections, {args.seconds} s, "
                    "loopback", ["measure", "value"], rows), flush=True)


if __name__ == "__main__":
    main()
