"""What semantic re-ranking costs: embedding at re-index, and question latency with and without vectors.

Usage: ``python benchmarks/semantic.py [--corpus DIR] [--articles 300] [--questions 300]``

Takes an evenly spread sample of SaudiNewsNet articles and indexes it twice, with ``semantic=True`` and
without, in this process (the re-index time of each, and what the embedding alone took); then asks the
same questions of both indexes in any-word mode (the sampled articles' own titles, as a reader who
remembers a headline would ask, uncached) and prints the median and p95 of each and their ratio.
Paragraphs are embedded on FAHRAS_SEMANTIC_THREADS threads (every core when unset), questions on one.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import default_corpus, percentile, read_articles, scaled, table, write_jsonl

from search.engine import search
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.request import parse_request
from search.rank import semantic


def main(argv: list[str] | None = None) -> None:
    """Build the two indexes, ask the questions, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--articles", type=int, default=300, help="articles in the sample")
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args(argv)
    everything = read_articles(args.corpus)
    sample = scaled(everything, args.articles / len(everything))
    total_paragraphs = sum(len(a.paragraphs) for a in everything)
    threads = semantic.passage_threads()
    with tempfile.TemporaryDirectory(prefix="fahras-semantic-") as tmp:
        work = Path(tmp)
        corpus = write_jsonl(sample, work / "corpus")
        builds, generations = [], {}
        for label, vectors in (("words only", False), ("semantic", True)):
            started = time.perf_counter()
            summary = build_index([corpus], work / label, procs=1, semantic=vectors)
            seconds = time.perf_counter() - started
            embedding = summary.semantic["seconds"] if vectors else 0.0
            builds.append([label, summary.report.paragraphs, seconds, embedding])
            generations[label] = IndexHolder(work / label).get()
        paragraphs = builds[1][1]
        per_paragraph = builds[1][3] * 1000 / paragraphs
        print(table(
            f"re-index of {len(sample)} articles ({paragraphs} paragraphs), embedding threads {threads}",
            ["index", "paragraphs", "re-index s", "embedding s"], builds,
        ))
        print(f"embedding: {per_paragraph:.1f} ms a paragraph; the whole corpus ({total_paragraphs} paragraphs) "
              f"would take {per_paragraph * total_paragraphs / 3.6e6:.2f} h\n")

        questions = list(dict.fromkeys(a.title for a in sample if len(a.title.split()) >= 3))[: args.questions]
        timings: dict[str, list[float]] = {label: [] for label in generations}
        for question in questions:  # interleaved, so a slow spell of the machine hits both alike
            for label, generation in generations.items():
                request = parse_request({"q": question, "mode": "any"})
                started = time.perf_counter()
                search(generation, request, cache=False)
                timings[label].append((time.perf_counter() - started) * 1000)
        base = percentile(timings["words only"], 50)
        rows = [
            [label, len(ms), percentile(ms, 50), percentile(ms, 95), percentile(ms, 50) / base]
            for label, ms in timings.items()
        ]
        print(table(
            f"{len(questions)} questions (article titles, any-word mode, uncached; each embedded on one thread)",
            ["index", "n", "median ms", "p95 ms", "median ratio"], rows,
        ))
        for generation in generations.values():
            generation.close()


if __name__ == "__main__":
    main()
