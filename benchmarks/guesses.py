"""How much of a keyword search's results hold the word typed: Fahras against letting guessed forms match.

Usage: ``python benchmarks/guesses.py [--index DIR] [--corpus DIR] [--words 300]``

Builds the SaudiNewsNet index into ``--index`` when it holds none, draws ``--words`` seeded words of the
corpus's titles (each in 5 to 5,000 paragraphs), and matches each alone in all-word mode (the default)
with the engine's own query building and match mask (no filters, and every word drawn is in the index, so
``engine.search``'s retry for a query that matches nothing does not arise). A result holds the word when
it holds the word's stem or a form that stands for the word itself: a proclitic or و read off (بروسيا,
وزارة), a listed synonym, ب or ل glued on (بمصر). The other alternatives are guesses: a related form
(تقع -> يقع), a spelling with a long vowel or g-letter changed (بوتن -> بوتين). Fahras as served lets a
related form, or a spelling in over ``variants.DOMINANT_VARIANT`` times the word's paragraphs, re-rank but
not match (``variants.RankOnly``); the peer, in the same process, lets every one of its guesses match. The
table gives the results per word, the share of all results that hold the word, the words whose results
are mostly guesses, and the share of the ten newest results holding the word (a date sort has no score
to keep guesses last).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
from common import index_parser, percentile, read_articles, ready_generation, table
from fragments import sample_words

from search.backend import Deadline
from search.plan import Compound, Excluding, Node, Term
from search.query.build import build_query
from search.query.request import parse_request
from search.query.variants import GLUED_PROCLITICS, SYNONYM_WEIGHT, expand_variants
from search.rank.pages import page_by_date

#: Alternatives at this weight or more stand for the word itself (the word, a proclitic read off, a synonym).
WORD_WEIGHT = SYNONYM_WEIGHT


def word_terms(query: Node, stem: str) -> set[tuple[str, str]]:
    """Return the (field, text) terms of a one-word query that stand for the word itself."""
    glued = {p + stem for p in GLUED_PROCLITICS}
    found, stack = set(), [(query, 1.0)]
    while stack:
        node, boost = stack.pop()
        if isinstance(node, Term):
            if boost * node.boost >= WORD_WEIGHT or node.text in glued:
                found.add((node.field, node.text))
        elif isinstance(node, Compound):
            stack.extend((sub, boost * node.boost) for sub in node.parts)
        elif isinstance(node, Excluding):
            stack.append((node.include, boost))
    return found


def every_guess_matches(node: Node) -> Node:
    """Return the plan with its rank-only guesses made ordinary alternatives (the engine before guesses re-ranked)."""
    if isinstance(node, Term):
        return replace(node, rank_only=False)
    if isinstance(node, Compound):
        return replace(node, parts=tuple(every_guess_matches(p) for p in node.parts))
    if isinstance(node, Excluding):
        return replace(node, include=every_guess_matches(node.include))
    return node


def measure(generation, words: list[str], all_match: bool = False) -> list[object]:  # noqa: ANN001 (a live Generation)
    """Return the table row for the engine as it is now: results, share holding the word, mostly guessed."""
    totals, held_shares, newest_shares = [], [], []
    total_results = total_held = 0
    for word in words:
        request = parse_request({"q": word})
        plan = build_query(request, expand=partial(expand_variants, generation))
        if plan.query is None or not plan.ordered_stems:
            continue
        query = every_guess_matches(plan.query) if all_match else plan.query
        matched = generation.match(query, Deadline(None))
        holds = np.zeros(len(matched), dtype=bool)
        for fieldname, text in word_terms(plan.query, plan.ordered_stems[0]):
            holds[generation.term_postings(fieldname, text)[0]] = True
        total, held = int(matched.sum()), int((matched & holds).sum())
        totals.append(total)
        total_results, total_held = total_results + total, total_held + held
        held_shares.append(held / total if total else 1.0)
        newest = [doc for doc, _ in page_by_date(generation, matched, True, 0, 10)]  # the ten newest
        newest_shares.append(sum(bool(holds[d]) for d in newest) / len(newest) if newest else 1.0)
    return [
        len(totals),
        percentile(totals, 50),
        100 * total_held / max(total_results, 1),
        sum(s < 0.5 for s in held_shares),
        100 * sum(newest_shares) / max(len(newest_shares), 1),
    ]


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table."""
    parser = index_parser(__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=300)
    args = parser.parse_args(argv)
    generation = ready_generation(args.index, args.corpus)
    words = sample_words(generation, read_articles(args.corpus), args.words, low=5)
    rows = [["Fahras (guesses re-rank)", *measure(generation, words)]]
    rows.append(["every guess matches", *measure(generation, words, all_match=True)])
    print(table(f"one-word keyword searches, index {args.index}",
                ["matching", "words", "median results", "% of results holding the word",
                 "words mostly guessed", "% of newest 10 holding the word"], rows))


if __name__ == "__main__":
    main()
