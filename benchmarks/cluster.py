"""Cluster benchmark: the Sphinx backend against the embedded Whoosh one, on the same answers, speed and ranking.

Usage: ``python benchmarks/cluster.py [--same] [--speed] [--arcd] [--scales 1 3] [--shards 1 2 4]``
(no part flag: all three, in that order). Needs Debian's ``sphinxsearch`` (``searchd``) and, for the
gunicorn runs, ``wrk`` (``apt-get install -y wrk``).

- ``--same``: the Whoosh index of SaudiNewsNet 1x (``--whoosh-index``, built if it holds no generation)
  against a running cluster holding the same corpus (``--same-cluster`` folder with its ``cluster.json``,
  ``--same-index``): over ``--queries`` queries of ``make_queries``, in paragraph mode and with
  ``group=article``, how many have the same total, the same source and date facets, and the mean top-10
  overlap (|ids of Whoosh ∩ ids of Sphinx| / max(1, ids of Whoosh)), by query kind; then the first
  mismatching queries with both totals.
- ``--speed``: at each ``--scales`` (copies of the corpus with new ids above 1), Whoosh and a fresh cluster of
  each ``--shards`` count, each in its own temporary folder and base port (``--base-port``, default 19700):
  build seconds and paragraphs/s; query p50/p95 in ms (facets and snippets of the top 10, uncached, through
  ``parse_request`` -> ``search`` -> ``to_dict``), the backends interleaved query by query, with the ratio to
  Whoosh; requests/s and p50/p95 through gunicorn (``gunicorn.conf.py``) under ``wrk``; the resident memory
  of every searchd (head and shards) and of each gunicorn worker after the load. Clusters are stopped and
  purged after measuring. The Whoosh index of 1x is ``--whoosh-index`` (its build time is read from its
  generation's name and COMPLETE marker); other scales are built in a fresh process, as speed.py does.
- ``--arcd``: arcd test-split MRR@10 and Recall@10 of "Fahras, words only" (relevance.py) on Whoosh and on a
  2-shard cluster holding the same passages.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from common import (
    BenchQuery,
    default_corpus,
    make_queries,
    percentile,
    read_articles,
    scaled,
    shared_dir,
    table,
    write_jsonl,
)
from speed import KINDS, _rss_mb, gunicorn_run, measure_build

from search.engine import search
from search.index.generations import current_generation, generations_dir
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.request import parse_request
from search.sphinx import cluster as sc
from search.sphinx.indexing import build_sphinx_index
from search.sphinx.store import SphinxHolder

TMP = Path(tempfile.gettempdir())
MODES = ("paragraph", "article")
Holder = IndexHolder | SphinxHolder


# ---------------------------------------------------------------------------------------------
# Shared helpers


def answer(holder: Holder, params: dict, budget_ms: float | None = 2000) -> dict:
    """Answer one request as /api/search does (uncached) and return its JSON-ready dict."""
    return search(holder.get(), parse_request(params), budget_ms=budget_ms, cache=False).to_dict()


def whoosh_holder(index: Path, corpus: Path) -> IndexHolder:
    """Return the holder of a Whoosh index, building the corpus into it when it holds no generation."""
    if current_generation(index) is None:
        print(f"building the Whoosh index {index} (no generation yet)", flush=True)
        build_index([corpus], index, procs=2)
    return IndexHolder(index)


def mode_params(query: BenchQuery, mode: str) -> dict[str, list[str]]:
    """The API parameters of a query in paragraph or article mode."""
    params = query.params()
    if mode == "article":
        params["group"] = ["article"]
    return params


def describe(query: BenchQuery) -> str:
    """One line naming a query and its filters."""
    filters = [f"source={query.source}"] if query.source else []
    if query.date_from:
        filters.append(f"date={query.date_from}..{query.date_to}")
    return " ".join([query.q, *filters])


def facet_counts(result: dict, name: str) -> list[tuple[str, int, bool]]:
    """Return one facet's buckets as (value, count, selected), in the order served."""
    return [(b["value"], b["count"], bool(b.get("selected"))) for b in result["facets"].get(name, [])]


def rss_mb(pid: int | None) -> float:
    """Return a process's VmRSS in MB (nan when it is gone)."""
    if pid is None:
        return float("nan")
    try:
        return _rss_mb(pid)
    except OSError:
        return float("nan")


def member_pid(folder: Path, member: str) -> int | None:
    """Return the pid a cluster member's searchd.pid names, or None."""
    try:
        return int((folder / member / "searchd.pid").read_text().strip())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Part 1: the same answers


@dataclass
class Comparison:
    """How one query's answers on the two backends compare."""

    query: BenchQuery
    mode: str
    whoosh_total: int
    sphinx_total: int
    same_source: bool
    same_date: bool
    overlap: float
    empty: bool
    partial: tuple[bool, bool]
    whoosh: dict = field(repr=False)
    sphinx: dict = field(repr=False)

    @property
    def same_total(self) -> bool:
        """True when both totals agree."""
        return self.whoosh_total == self.sphinx_total

    @property
    def identical(self) -> bool:
        """True when the totals and both facets agree."""
        return self.same_total and self.same_source and self.same_date


def compare(query: BenchQuery, mode: str, whoosh: Holder, sphinx: Holder) -> Comparison:
    """Ask both backends one query (no time budget) and compare totals, facets and the top 10."""
    params = mode_params(query, mode)
    w, s = answer(whoosh, params, None), answer(sphinx, params, None)
    ids_w, ids_s = [h["id"] for h in w["results"]][:10], [h["id"] for h in s["results"]][:10]
    overlap = len(set(ids_w) & set(ids_s)) / max(1, len(ids_w))
    return Comparison(query, mode, w["total"], s["total"], facet_counts(w, "source") == facet_counts(s, "source"),
                      facet_counts(w, "date") == facet_counts(s, "date"), overlap, not ids_w and not ids_s,
                      (bool(w.get("partial")), bool(s.get("partial"))), w, s)


def facet_difference(a: dict, b: dict) -> str:
    """Describe where two answers' facets differ (first differing bucket of each facet)."""
    notes = []
    for name in ("source", "date"):
        fa, fb = dict((v, c) for v, c, _ in facet_counts(a, name)), dict((v, c) for v, c, _ in facet_counts(b, name))
        diff = [f"{v}:{fa.get(v)}/{fb.get(v)}" for v in sorted(set(fa) | set(fb)) if fa.get(v) != fb.get(v)]
        if diff:
            notes.append(f"{name} " + " ".join(diff[:3]) + (" ..." if len(diff) > 3 else ""))
    return "; ".join(notes)


def run_same(args: argparse.Namespace, queries: Sequence[BenchQuery]) -> bool:
    """Compare Whoosh and the running cluster on every query in both modes; print the tables; True if it passes."""
    whoosh = whoosh_holder(args.whoosh_index, args.corpus)
    sphinx = SphinxHolder(args.same_index, args.same_cluster / sc.CLUSTER_FILE)
    started = time.perf_counter()
    results = {mode: [compare(q, mode, whoosh, sphinx) for q in queries] for mode in MODES}
    seconds = time.perf_counter() - started
    rows = []
    for mode in MODES:
        for kind in (*KINDS, "all"):
            group = [c for c in results[mode] if kind in ("all", c.query.kind)]
            rows.append([mode, kind, len(group), sum(c.same_total for c in group), sum(c.same_source for c in group),
                         sum(c.same_date for c in group), sum(c.identical for c in group),
                         f"{sum(c.overlap for c in group) / max(1, len(group)):.3f}",
                         f"{sum(1.0 if c.empty else c.overlap for c in group) / max(1, len(group)):.3f}",
                         sum(c.empty for c in group),
                         f"{sum(c.partial[0] for c in group)}/{sum(c.partial[1] for c in group)}"])
    print(table(f"Same answers: Whoosh {args.whoosh_index} vs cluster {args.same_cluster} ({len(queries)} queries, "
                f"no time budget, {seconds:.0f} s)",
                ["mode", "queries", "n", "same total", "same source facet", "same date facet", "all three",
                 "mean top-10 overlap", "(both empty = 1)", "both empty", "partial W/S"], rows), flush=True)
    mismatches = [c for mode in MODES for c in results[mode] if not c.identical]
    rows = [[c.mode, c.query.kind, describe(c.query), c.whoosh_total, c.sphinx_total, f"{c.overlap:.1f}",
             facet_difference(c.whoosh, c.sphinx)] for c in mismatches[:10]]
    print(table(f"First mismatching queries (total or facets differ): {len(mismatches)} of {2 * len(queries)}",
                ["mode", "kind", "query", "whoosh total", "sphinx total", "overlap", "facets whoosh/sphinx"], rows),
          flush=True)
    low = sorted((c for mode in MODES for c in results[mode] if not c.empty), key=lambda c: c.overlap)[:10]
    rows = [[c.mode, c.query.kind, describe(c.query), c.whoosh_total, c.sphinx_total, f"{c.overlap:.1f}",
             " ".join(h["id"] for h in c.whoosh["results"][:3]), " ".join(h["id"] for h in c.sphinx["results"][:3])]
            for c in low if c.overlap < 1 and not c.empty]
    print(table("Lowest top-10 overlaps", ["mode", "kind", "query", "whoosh total", "sphinx total", "overlap",
                                            "whoosh top 3", "sphinx top 3"], rows), flush=True)
    if args.dump:
        dump = [{"mode": c.mode, "params": mode_params(c.query, c.mode), "whoosh": c.whoosh, "sphinx": c.sphinx}
                for c in mismatches + [c for c in low if c.overlap < 1]]
        args.dump.write_text(json.dumps(dump, ensure_ascii=False, indent=1), "utf-8")
    overall = {mode: results[mode] for mode in MODES}
    # Two empty answers agree: they count as overlap 1 (|{} & {}| / max(1, 0) would count them as 0, and
    # 39 of the 60 quoted title phrases of make_queries find nothing on either backend).
    passed = all(c.identical for mode in MODES for c in overall[mode]) and all(
        sum(1.0 if c.empty else c.overlap for c in overall[mode]) / len(overall[mode]) >= 0.9 for mode in MODES)
    print(f"Required (all totals and facets identical, mean overlap >= 0.9 in each mode, two empty answers "
          f"agreeing): {'PASS' if passed else 'FAIL'}\n", flush=True)
    return passed


# ---------------------------------------------------------------------------------------------
# Part 2: speed


@dataclass
class Backend:
    """One backend under measurement at one scale: its holder, and for a cluster its folder and files."""

    name: str
    holder: Holder
    index: Path
    build_seconds: float
    paragraphs: int
    cluster: Path | None = None
    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (*KINDS, "all")})

    @property
    def env(self) -> dict[str, str]:
        """The FAHRAS_* settings that make the web app serve this backend."""
        env = {"FAHRAS_INDEX_DIR": str(self.index)}
        if self.cluster is not None:
            env |= {"FAHRAS_BACKEND": "sphinx", "FAHRAS_SPHINX": str(self.cluster / sc.CLUSTER_FILE)}
        return env


def whoosh_build_seconds(index: Path) -> float:
    """Return how long the live generation of an existing index took: from its name's time to its COMPLETE."""
    name = current_generation(index)
    assert name is not None
    begun = datetime.strptime(name[1:].split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=timezone.utc)
    ended = (generations_dir(index) / name / "COMPLETE").stat().st_mtime
    return ended - begun.timestamp()


def time_interleaved(backends: Sequence[Backend], queries: Sequence[BenchQuery]) -> None:
    """Time every query on every backend, the backends in a rotating order query by query."""
    for backend in backends:  # warm each process-side path (imports, first loads), not a cache
        for query in queries[:20]:
            answer(backend.holder, query.params())
    for i, query in enumerate(queries):
        for k in range(len(backends)):
            backend = backends[(i + k) % len(backends)]
            started = time.perf_counter()
            json.dumps(answer(backend.holder, query.params()))
            took = (time.perf_counter() - started) * 1000
            backend.times[query.kind].append(took)
            backend.times["all"].append(took)


def searchd_rss(folder: Path) -> dict[str, tuple[int | None, float]]:
    """Return (pid, VmRSS MB) of each member's searchd (the process its searchd.pid names)."""
    members = sorted(p.name for p in folder.glob("shard*") if p.is_dir()) + ["head"]
    return {m: (member_pid(folder, m), rss_mb(member_pid(folder, m))) for m in members}


def run_scale(args: argparse.Namespace, articles: list, queries: Sequence[BenchQuery], load: Sequence[BenchQuery],
              scale: float, work: Path, port_slot: int) -> list[list[object]]:
    """Build, time and load every backend at one scale; print its tables; return its rows for the summary."""
    label = f"{scale:g}x"
    if scale == 1:
        corpus = args.corpus
    else:
        corpus = write_jsonl(scaled(articles, scale), work / f"corpus-x{scale:g}")
    backends: list[Backend] = []
    clusters: list[Path] = []
    try:
        if scale == 1:
            holder = whoosh_holder(args.whoosh_index, args.corpus)
            paragraphs = holder.get().columns.doc_count
            backends.append(Backend("whoosh", holder, args.whoosh_index, whoosh_build_seconds(args.whoosh_index),
                                    paragraphs))
        else:
            index = work / f"whoosh-x{scale:g}"
            print(f"[{label}] building Whoosh ...", flush=True)
            b = measure_build("fahras", [corpus], index, 2)
            backends.append(Backend("whoosh", IndexHolder(index), index, b["seconds"], b["paragraphs"]))
        for n, shards in enumerate(args.shards):
            folder, index = work / f"cluster-x{scale:g}-s{shards}", work / f"sidx-x{scale:g}-s{shards}"
            base = args.base_port + 50 * port_slot + 10 * n
            print(f"[{label}] building Sphinx {shards} shard(s) on ports {base}.. ...", flush=True)
            clusters.append(folder)
            cluster = sc.up(folder, shards, base)
            summary = build_sphinx_index([corpus], index, cluster)
            backends.append(Backend(f"sphinx {shards}", SphinxHolder(index, folder / sc.CLUSTER_FILE), index,
                                    summary.seconds, summary.report.paragraphs, folder))
        print(f"[{label}] timing {len(queries)} queries interleaved over {len(backends)} backends ...", flush=True)
        time_interleaved(backends, queries)
        loads = {}
        for n, backend in enumerate(backends):
            print(f"[{label}] gunicorn + wrk on {backend.name} ...", flush=True)
            after = (lambda f=backend.cluster: searchd_rss(f)) if backend.cluster else None
            loads[backend.name] = gunicorn_run(backend.index, load, args.seconds, args.connections,
                                               args.gunicorn_port + 10 * port_slot + n, backend.env, after)
    finally:
        for folder in clusters:
            sc.down(folder, purge=True)
        if scale != 1:
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(work / f"whoosh-x{scale:g}", ignore_errors=True)
        for folder in work.glob(f"sidx-x{scale:g}-s*"):
            shutil.rmtree(folder, ignore_errors=True)

    whoosh = backends[0]
    print(table(f"[{label}] Build", ["backend", "paragraphs", "seconds", "paragraphs/s"],
                [[b.name, b.paragraphs, b.build_seconds, round(b.paragraphs / b.build_seconds)] for b in backends]
                + [["(whoosh 1x: from its generation's timestamps)" if scale == 1 else "(whoosh: fresh process, "
                    "procs=2; sphinx: in this process)", "", "", ""]]), flush=True)
    rows = []
    for b in backends:
        row: list[object] = [b.name]
        for kind in (*KINDS, "all"):
            row += [percentile(b.times[kind], 50), percentile(b.times[kind], 95)]
        row += [f"{percentile(b.times['all'], p) / percentile(whoosh.times['all'], p):.2f}" for p in (50, 95)]
        rows.append(row)
    header = ["backend"] + [f"{k} {p}" for k in (*KINDS, "all") for p in ("p50", "p95")] + ["/W p50", "/W p95"]
    print(table(f"[{label}] Query latency ms, uncached, facets + snippets of the top 10, {len(queries)} queries "
                "interleaved (/W = backend / Whoosh, all queries)", header, rows), flush=True)
    rows = []
    for b in backends:
        g = loads[b.name]
        rows.append([b.name, g["rps"], g["requests"], g["errors"], g["p50"], g["p95"], g["p99"],
                     f"{g['rps'] / loads[whoosh.name]['rps']:.2f}",
                     " / ".join(f"{rss:.0f}" for _, rss in g["workers"])])
    print(table(f"[{label}] gunicorn (gunicorn.conf.py) under wrk: {args.connections} connections, {args.seconds} s, "
                "loopback, load of 5000 distinct queries",
                ["backend", "requests/s", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "rps/W",
                 "worker RSS MB"], rows), flush=True)
    rows = []
    for b in backends:
        for member, (pid, rss) in loads[b.name]["after"].items():
            rows.append([b.name, member, pid, rss])
        if loads[b.name]["after"]:
            rows.append([b.name, "all searchd", "", sum(r for _, r in loads[b.name]["after"].values())])
    print(table(f"[{label}] searchd resident memory (VmRSS) after the gunicorn load", ["backend", "member", "pid",
                                                                                     "RSS MB"], rows), flush=True)
    return [[label, b.name, b.paragraphs, round(b.paragraphs / b.build_seconds), percentile(b.times["all"], 50),
             percentile(b.times["all"], 95), loads[b.name]["rps"], loads[b.name]["p95"],
             sum(r for _, r in loads[b.name]["workers"]) + sum(r for _, r in loads[b.name]["after"].values())]
            for b in backends]


def run_speed(args: argparse.Namespace, articles: list, queries: Sequence[BenchQuery]) -> None:
    """Run every scale (smallest first) and print the summary curve."""
    load = make_queries(articles, 5000, seed=7)  # mostly distinct URLs, as speed.py: the cache rarely answers
    work = Path(tempfile.mkdtemp(prefix="fahras-cluster-", dir=args.work))
    curve = []
    try:
        for slot, scale in enumerate(sorted(args.scales)):
            curve += run_scale(args, articles, queries, load, scale, work, slot)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table("Summary: the curve against corpus size and shards",
                ["scale", "backend", "paragraphs", "build p/s", "query p50", "query p95", "gunicorn rps",
                 "gunicorn p95", "RSS MB (workers + searchd)"], curve), flush=True)


# ---------------------------------------------------------------------------------------------
# Part 3: arcd


def run_arcd(args: argparse.Namespace) -> None:
    """arcd test MRR@10 of Fahras words-only on Whoosh and on a 2-shard cluster of the same passages."""
    import relevance  # the benchmark's own loading and scoring

    bench = relevance.load_bench(args.arcd_bench, args.split)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="fahras-cluster-arcd-", dir=args.work) as tmp:
        work = Path(tmp)
        rows["Fahras, words only (Whoosh)"] = relevance.evaluate(bench, relevance.fahras_words_only(bench.passages,
                                                                                                    work))
        folder = work / "cluster"
        cluster = sc.up(folder, 2, args.arcd_port)
        try:
            build_sphinx_index([work / "passages.jsonl"], work / "sidx", cluster)  # the file Whoosh indexed
            generation = SphinxHolder(work / "sidx", folder / sc.CLUSTER_FILE).get()
            ids = {f"p{i}": p["id"] for i, p in enumerate(bench.passages)}

            def run(question: str) -> list[str]:
                request = parse_request({"q": question, "mode": "any", "per_page": str(relevance.K)})
                return [ids[hit["article_id"]] for hit in search(generation, request).hits]

            rows["Fahras, words only (Sphinx, 2 shards)"] = relevance.evaluate(bench, run)
        finally:
            sc.down(folder, purge=True)
    title = f"{bench.name}, split {args.split}: {len(bench.queries)} questions, {len(bench.passages)} passages"
    print(relevance.format_table(title, rows), end="\n\n")
    mrr = [r["MRR@10"] for r in rows.values()]
    print(f"MRR@10 difference {abs(mrr[0] - mrr[1]):.4f} (required <= 0.005): "
          f"{'PASS' if abs(mrr[0] - mrr[1]) <= 0.005 else 'FAIL'}\n", flush=True)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and run the parts asked for (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--same", action="store_true", help="same answers: Whoosh vs a running cluster")
    parser.add_argument("--speed", action="store_true", help="build, latency, gunicorn and memory")
    parser.add_argument("--arcd", action="store_true", help="arcd MRR@10 on both backends")
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--whoosh-index", type=Path, default=TMP / "fahras-speed" / "fahras")
    parser.add_argument("--same-cluster", type=Path, default=TMP / "big" / "cluster")
    parser.add_argument("--same-index", type=Path, default=TMP / "big" / "sidx")
    parser.add_argument("--dump", type=Path, help="write the mismatching answers of --same to this JSON file")
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 3])
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--base-port", type=int, default=19700, help="first port of the --speed clusters")
    parser.add_argument("--gunicorn-port", type=int, default=19800)
    parser.add_argument("--arcd-port", type=int, default=19900)
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--work", type=Path, default=TMP, help="where temporary folders go")
    parser.add_argument("--arcd-bench", type=Path, default=shared_dir() / "benchmarks" / "arcd",
                        help="the passage-retrieval folder of --arcd")
    parser.add_argument("--split", default="test")
    args = parser.parse_args(argv)
    everything = not (args.same or args.speed or args.arcd)
    if args.same or args.speed or everything:
        articles = read_articles(args.corpus)
        queries = make_queries(articles, args.queries)
        print(f"corpus {args.corpus}: {len(articles)} articles; {len(queries)} queries "
              f"({', '.join(f'{k} {sum(q.kind == k for q in queries)}' for k in KINDS)})\n", flush=True)
    if args.same or everything:
        run_same(args, queries)
    if args.arcd or everything:
        run_arcd(args)
    if args.speed or everything:
        run_speed(args, articles, queries)


if __name__ == "__main__":
    main()
