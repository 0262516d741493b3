"""How much of a one-word search's first page is fragments: Fahras's length floor against plain BM25F.

Usage: ``python benchmarks/fragments.py [--index DIR] [--corpus DIR] [--words 150]``

Builds the SaudiNewsNet index into ``--index`` when it holds none, draws ``--words`` seeded words of the
corpus's titles (each in 50 to 5,000 paragraphs), searches each through ``engine.search`` (uncached), and
prints, for Fahras as served and for plain BM25F (the floor of ``scoring.MIN_SCORED_LENGTH`` off, in the
same process), the share of the first ten results that hold five words or fewer and their median length.
"""

from __future__ import annotations

import random
from statistics import median

from common import SEED, index_parser, percentile, read_articles, ready_generation, table

from search.analysis.analyzer import analyze
from search.engine import search
from search.query.request import parse_request
from search.rank import bm25 as scoring

FRAGMENT_WORDS = 5


def sample_words(generation, articles, count: int, low: int = 50, high: int = 5000) -> list[str]:  # noqa: ANN001
    """Return ``count`` seeded title words that ``low`` to ``high`` paragraphs hold (by their stem)."""
    words = sorted({t["original"] for a in articles for t in analyze(a.title) if t["stem"] and len(t["stem"]) > 2})
    random.Random(SEED).shuffle(words)
    chosen = []
    for word in words:
        stem = analyze(word)[0]["stem"]
        if low <= generation.doc_frequency("text", stem) <= high:
            chosen.append(word)
        if len(chosen) == count:
            break
    return chosen


def first_pages(generation, words: list[str]) -> list[list[int]]:  # noqa: ANN001
    """Return the word counts of the first ten results of each word's search."""
    pages = []
    for word in words:
        hits = search(generation, parse_request({"q": word, "per_page": "10"}), cache=False).hits
        pages.append([len(h["text"].split()) for h in hits])
    return pages


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table."""
    parser = index_parser(__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=150)
    args = parser.parse_args(argv)
    generation = ready_generation(args.index, args.corpus)
    words = sample_words(generation, read_articles(args.corpus), args.words)
    floor = dict(scoring.MIN_SCORED_LENGTH)
    rows = []
    try:
        for label, floors in (("Fahras (length floor)", floor), ("plain BM25F", {})):
            scoring.MIN_SCORED_LENGTH.clear()
            scoring.MIN_SCORED_LENGTH.update(floors)
            pages = first_pages(generation, words)
            shares = [sum(n <= FRAGMENT_WORDS for n in page) / len(page) for page in pages if page]
            lengths = [median(page) for page in pages if page]
            rows.append([label, len(words), 100 * sum(shares) / len(shares), percentile(lengths, 50)])
    finally:
        scoring.MIN_SCORED_LENGTH.clear()
        scoring.MIN_SCORED_LENGTH.update(floor)
    print(table(f"first ten results of one-word searches, index {args.index}",
                ["ranking", "words", f"% of results of <= {FRAGMENT_WORDS} words", "median words"], rows))


if __name__ == "__main__":
    main()
