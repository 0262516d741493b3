"""Analyzer throughput: tokens/s of the Arabic analyzer with and without its per-word cache.

    python benchmarks/analyzer.py [--corpus DIR] [--paragraphs N] [--repeat K]

Runs over the seeds and SaudiNewsNet (FAHRAS_SHARED, default ../shared) and prints one table per
corpus: tokens/s, median and p95 microseconds per paragraph, and the ratio against Whoosh's
StandardAnalyzer run in the same process (a peer that does far less: no Arabic normalization, no stemming).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from whoosh.analysis import StandardAnalyzer

from search.analysis import analyzer as analysis
from search.corpus.reader import ReadReport, read_corpus

REPO = Path(__file__).resolve().parent.parent


def paragraphs_of(path: Path, limit: int) -> list[str]:
    """Read up to ``limit`` paragraphs of a corpus."""
    out: list[str] = []
    for article in read_corpus([path], ReadReport()):
        out.extend(article.paragraphs)
        if len(out) >= limit:
            break
    return out[:limit]


def run(analyzer, paragraphs: list[str]) -> tuple[float, list[float], int]:
    """Analyze every paragraph once; return seconds, per-paragraph microseconds, token count."""
    times, tokens = [], 0
    started = time.perf_counter()
    for text in paragraphs:
        t0 = time.perf_counter()
        tokens += sum(1 for _ in analyzer(text, positions=True, chars=True))
        times.append((time.perf_counter() - t0) * 1e6)
    return time.perf_counter() - started, times, tokens


def p95(values: list[float]) -> float:
    """95th percentile."""
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else values[0]


def table(name: str, paragraphs: list[str], repeat: int) -> None:
    """Print the comparison table for one corpus."""
    for cache in (analysis._cached_read, analysis._cached_stem, analysis._cached_whole_stem):
        cache.cache_clear()
    rows = [
        ("fahras, no cache", analysis.arabic_analyzer(cached=False)),
        ("fahras, cache cold (1st pass)", analysis.arabic_analyzer(cached=True)),
        ("fahras, cache warm", analysis.arabic_analyzer(cached=True)),
        ("peer: whoosh StandardAnalyzer", StandardAnalyzer()),
    ]
    results = []
    for label, analyzer in rows:
        best = None
        for _ in range(1 if "cold" in label else repeat):
            seconds, times, tokens = run(analyzer, paragraphs)
            if best is None or seconds < best[0]:
                best = (seconds, times, tokens)
        results.append((label, *best))
    peer_rate = results[-1][3] / results[-1][1]
    print(f"\n{name}: {len(paragraphs)} paragraphs, {sum(len(p) for p in paragraphs) / 1e6:.1f} M chars")
    print(f"{'analyzer':32} {'tokens':>9} {'tokens/s':>10} {'median µs':>10} {'p95 µs':>9} {'vs peer':>8}")
    for label, seconds, times, tokens in results:
        rate = tokens / seconds
        print(f"{label:32} {tokens:>9} {rate:>10,.0f} {statistics.median(times):>10.1f} {p95(times):>9.1f} "
              f"{rate / peer_rate:>7.2f}x")
    info = analysis._cached_stem.cache_info()
    print(f"stem cache: {info.currsize} words, {info.hits / max(1, info.hits + info.misses):.1%} hits")


def main() -> int:
    """Parse arguments and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("FAHRAS_SHARED", REPO.parent / "shared"))
    parser.add_argument("--corpus", type=Path, default=shared / "corpora" / "saudinewsnet")
    parser.add_argument("--paragraphs", type=int, default=30000, help="SaudiNewsNet paragraphs to analyze")
    parser.add_argument("--repeat", type=int, default=2, help="passes per row (best kept)")
    args = parser.parse_args()
    table("seeds (x20)", paragraphs_of(REPO / "seeds", 1000) * 20, args.repeat)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus} (set FAHRAS_SHARED)", file=sys.stderr)
        return 1
    table("SaudiNewsNet", paragraphs_of(args.corpus, args.paragraphs), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
