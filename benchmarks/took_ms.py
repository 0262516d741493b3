"""``took_ms`` of realistic queries through the real Flask app's ``/api/search`` (facets and snippets on).

Usage: ``python benchmarks/took_ms.py [--index DIR] [--corpus DIR] [--queries 200]``

Builds the SaudiNewsNet index into ``--index`` when it holds none, then asks 200 seeded queries of one
to three words from the corpus's own titles through the app's test client, each once (uncached) and
again (answered by the cache), and prints the median and p95 of the ``took_ms`` the API reports.
"""

from __future__ import annotations

from common import index_parser, make_queries, percentile, read_articles, ready_index, table

from web import create_app


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table."""
    parser = index_parser(__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    ready_index(args.index, args.corpus)
    articles = read_articles(args.corpus)
    queries = [q for q in make_queries(articles, args.queries * 3) if q.kind == "words"][: args.queries]
    client = create_app({"INDEX_DIR": str(args.index)}).test_client()
    client.get("/healthz")  # open the generation before timing
    rows = []
    for label in ("first time (uncached)", "asked again (cached)"):
        took, totals = [], []
        for query in queries:
            answer = client.get("/api/search", query_string=query.params()).get_json()
            took.append(answer["took_ms"])
            totals.append(answer["total"])
        rows.append([label, len(took), percentile(took, 50), percentile(took, 95), max(took),
                     percentile(totals, 50)])
    print(table(f"took_ms of /api/search, {len(queries)} title-word queries, facets + snippets, index {args.index}",
                ["queries", "n", "median ms", "p95 ms", "max ms", "median total"], rows))


if __name__ == "__main__":
    main()
