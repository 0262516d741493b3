"""Known-item search: a paragraph remembered by a few of its words in a row, found among the first ten.

Usage: ``python benchmarks/known_item.py [--index DIR] [--corpus DIR] [--queries 300]``

Builds the SaudiNewsNet index into ``--index`` when it holds none, draws ``--queries`` seeded paragraphs of
15 words or more and from each two or three consecutive content words, as a reader who remembers them would
type them (all-word mode, no quotes), and prints MRR@10 and Recall@10 for Fahras as served and, in the same
process, without the side-by-side evidence of ``query.ADJACENT_BOOST``. A hit counts when it is the paragraph
the words came from, or (second table) any paragraph holding the same words in a row.
"""

from __future__ import annotations

import random
import re

from common import SEED, index_parser, ready_generation, table

from search.analysis.analyzer import analyze_word, exact_tokens
from search.engine import search
from search.index.store import Generation
from search.query import build as search_query
from search.query.request import parse_request

K = 10


def draw_queries(generation: Generation, count: int) -> list[tuple[str, int, str]]:
    """Return ``count`` seeded (query, docnum, normalized words) taken from paragraphs of 15+ words."""
    searcher = generation.searcher()
    rng = random.Random(SEED)
    drawn: list[tuple[str, int, str]] = []
    while len(drawn) < count:
        doc = rng.randrange(searcher.doc_count_all())
        words = searcher.stored_fields(doc).get("text", "").split()
        if len(words) < 15:
            continue
        size = rng.choice((2, 3))
        start = rng.randrange(len(words) - size)
        typed = [re.sub(r"[^\w]", "", w) for w in words[start : start + size]]
        normalized = exact_tokens(" ".join(typed))
        if len(normalized) == size and all(analyze_word(w)[1] is not None for w in normalized):
            drawn.append((" ".join(typed), doc, " ".join(normalized)))
    return drawn


def evaluate(generation: Generation, queries: list[tuple[str, int, str]]) -> tuple[list[float], list[float]]:
    """Return (MRR@10, Recall@10) for the source paragraph alone and for any paragraph holding the words."""
    stored = generation.searcher().stored_fields
    totals = [[0.0, 0.0], [0.0, 0.0]]
    for q, doc, words in queries:
        hits = search(generation, parse_request({"q": q, "per_page": str(K)}), cache=False).hits
        source = stored(doc)["id"]
        ranks = (
            next((i for i, h in enumerate(hits, 1) if h["id"] == source), None),
            next((i for i, h in enumerate(hits, 1)
                  if h["id"] == source or words in " ".join(exact_tokens(h["text"]))), None),
        )
        for total, rank in zip(totals, ranks, strict=True):
            total[0] += 1 / rank if rank else 0.0
            total[1] += rank is not None
    return [t[0] / len(queries) for t in totals], [t[1] / len(queries) for t in totals]


def main(argv: list[str] | None = None) -> None:
    """Measure and print the tables."""
    parser = index_parser(__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    generation = ready_generation(args.index, args.corpus)
    queries = draw_queries(generation, args.queries)
    boost = search_query.ADJACENT_BOOST
    rows: list[list[list[object]]] = [[], []]
    try:
        for label, value in (("Fahras", boost), ("without side-by-side evidence", 0.0)):
            search_query.ADJACENT_BOOST = value
            mrr, recall = evaluate(generation, queries)
            for i in range(2):
                rows[i].append([label, len(queries), mrr[i], recall[i]])
    finally:
        search_query.ADJACENT_BOOST = boost
    for title, part in zip(("the source paragraph", "any paragraph holding the words in a row"), rows, strict=True):
        print(table(f"known-item search, a hit is {title}, index {args.index}",
                    ["ranking", "queries", "MRR@10", "Recall@10"], part))
        print()


if __name__ == "__main__":
    main()
