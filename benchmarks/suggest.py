"""Search-as-you-type: completion latency on SaudiNewsNet against a plain bisect over the vocabulary.

Usage: ``python benchmarks/suggest.py [--index DIR] [--corpus DIR] [--prefixes 1000]``

Builds the SaudiNewsNet index once into ``--index`` (a temporary folder by default) when it holds none, then
completes 1000 seeded prefixes cut from the corpus's own title words (2-6 letters, as printed) three ways in
this process: Fahras's ``search.complete`` on the live generation (readings without the article and with a
proclitic taken off, phrases, dedupe), the same through the Flask app's ``/api/suggest``, and the peer: the
generation's vocabulary (normalized words, document frequencies) in a sorted list, ``bisect`` for the range
and ``heapq.nlargest`` for the 8 most frequent, with no readings and no phrases. Prints the median and p95 of
each, the table's size (rows, file, memory once loaded, load time) and how often the typed title word (or
the word without its leading proclitic: والصين is offered as الصين) is among the 8 completions.
"""

from __future__ import annotations

import bisect
import heapq
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import SEED, _title_words, index_parser, percentile, read_articles, ready_generation, table

from search import CompletionRequest, complete, normalize
from search.analysis.stem import PROCLITIC_FORMS
from search.index.completions import COMPLETIONS_FILE, load_completions
from search.query.complete import completion_key
from web import create_app

LIMIT = 8


def make_prefixes(articles: list, count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """Return ``count`` seeded (prefix, word) pairs: a title word and its first 2-6 letters as printed."""
    rng = random.Random(seed)
    words = [w for a in articles for w in _title_words(a)]
    pairs = []
    while len(pairs) < count:
        word = rng.choice(words)
        pairs.append((word[: rng.randint(2, min(6, len(word)))], word))
    return pairs


class BisectPeer:
    """The peer: the vocabulary's words sorted, a typed prefix normalized, the most frequent of its range."""

    def __init__(self, words: list[str], dfs: list[int]) -> None:
        self.words = words  # already sorted (vocabulary.tsv)
        self.dfs = dfs

    def complete(self, prefix: str, limit: int = LIMIT) -> list[str]:
        """Return the ``limit`` most frequent words starting with the normalized prefix."""
        typed = normalize(prefix)
        start = bisect.bisect_left(self.words, typed)
        end = bisect.bisect_left(self.words, typed + "\U0010ffff", start)
        best = heapq.nlargest(limit, range(start, end), key=self.dfs.__getitem__)
        return [self.words[i] for i in best]


def timed(function, items: list) -> tuple[list[float], list]:
    """Call ``function`` on each item; return the milliseconds each took and the answers."""
    took, answers = [], []
    for item in items:
        started = time.perf_counter()
        answers.append(function(item))
        took.append((time.perf_counter() - started) * 1000)
    return took, answers


def main(argv: list[str] | None = None) -> None:
    """Measure and print the tables."""
    parser = index_parser(__doc__.splitlines()[0])
    parser.set_defaults(index=Path(tempfile.gettempdir()) / "fahras-suggest" / "fahras")
    parser.add_argument("--prefixes", type=int, default=1000)
    args = parser.parse_args(argv)
    generation = ready_generation(args.index, args.corpus)
    pairs = make_prefixes(read_articles(args.corpus), args.prefixes)
    prefixes = [p for p, _ in pairs]

    tracemalloc.start()
    started = time.perf_counter()
    loaded = load_completions(generation.path)
    load_ms = (time.perf_counter() - started) * 1000
    memory = tracemalloc.get_traced_memory()[0] + loaded.counts.nbytes
    tracemalloc.stop()
    del loaded
    table_rows = generation.completions()
    phrases = sum(" " in key for key in table_rows.keys)
    size = (generation.path / COMPLETIONS_FILE).stat().st_size
    print(table(f"completion table of {generation.name} ({generation.columns.doc_count} paragraphs)",
                ["rows", "words", "phrases", "file MB", "memory MB", "load ms"],
                [[len(table_rows), len(table_rows) - phrases, phrases, size / 1e6, memory / 1e6, load_ms]]))

    words, dfs = generation.vocabulary()
    peer = BisectPeer(words, dfs.tolist())
    client = create_app({"INDEX_DIR": str(args.index)}).test_client()
    client.get("/healthz")
    fahras_ms, answers = timed(lambda p: complete(generation, CompletionRequest(p, LIMIT)), prefixes)
    api_ms, _ = timed(lambda p: client.get("/api/suggest", query_string={"q": p}).get_json(), prefixes)
    peer_ms, peer_answers = timed(peer.complete, prefixes)

    def found(texts: list[str], word: str) -> bool:  # the word typed, or it without a leading proclitic
        key = completion_key(word)
        wanted = {key} | {key[len(p):] for p in PROCLITIC_FORMS if key.startswith(p) and len(key) > len(p) + 1}
        return bool(wanted & {completion_key(t) for t in texts})

    fahras_texts = [[c["text"] for c in a["completions"]] for a in answers]
    fahras_found = sum(found(a, w) for a, (_, w) in zip(fahras_texts, pairs, strict=True))
    peer_found = sum(found(a, w) for a, (_, w) in zip(peer_answers, pairs, strict=True))
    rows = [
        ["Fahras search.complete", len(prefixes), percentile(fahras_ms, 50), percentile(fahras_ms, 95),
         max(fahras_ms), f"{100 * fahras_found / len(pairs):.1f}%"],
        ["Fahras GET /api/suggest (Flask test client)", len(prefixes), percentile(api_ms, 50),
         percentile(api_ms, 95), max(api_ms), "same"],
        ["peer: bisect + heapq over vocabulary.tsv", len(prefixes), percentile(peer_ms, 50),
         percentile(peer_ms, 95), max(peer_ms), f"{100 * peer_found / len(pairs):.1f}%"],
    ]
    print(table(f"completing {len(prefixes)} title-word prefixes of 2-6 letters, {LIMIT} completions each",
                ["", "n", "median ms", "p95 ms", "max ms", "typed word among them"], rows))


if __name__ == "__main__":
    main()
