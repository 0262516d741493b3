"""A whole archive embedded at re-index, then a daily re-index that embeds only what is new.

Usage: ``python benchmarks/semantic_reindex.py [--index DIR] [--new 0.01] [--skip-full]``

1. ``fahras reindex`` of all of SaudiNewsNet into ``--index`` (semantic vectors on, the default), timed:
   the whole re-index and the embedding alone (skipped with ``--skip-full`` when the index holds it).
2. The same corpus plus ``--new`` of it as new articles (evenly spread copies, new ids, each paragraph
   with a new opening sentence, so no vector can be reused for them): only they are embedded.
3. A real gunicorn on that index: a worker's resident memory before its first question and after
   it and after 50 more (the vectors are read memory-mapped; the model is loaded on the first question).

Each step runs the real command in a child process, as an operator would; prints one table.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from common import default_corpus, read_articles, scaled, table, write_jsonl

BIN = Path(sys.executable).parent
_SUMMARY = re.compile(r"semantic\s+(\d+) embedded, (\d+) reused \(embedding ([\d.]+) s")


def reindex(paths: list[Path], index: Path) -> tuple[float, int, int, float, int]:
    """Run ``fahras reindex``; return wall seconds, paragraphs embedded and reused, embedding seconds, paragraphs."""
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "fahras"), "reindex", *map(str, paths), "--index", str(index)],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fahras reindex failed: {done.stderr[-2000:]}")
    found = _SUMMARY.search(done.stdout)
    paragraphs = re.search(r"paragraphs\s+(\d+)", done.stdout)
    if found is None or paragraphs is None:
        raise SystemExit(f"no semantic line in the summary:\n{done.stdout}")
    return seconds, int(found[1]), int(found[2]), float(found[3]), int(paragraphs[1])


def new_articles(fraction: float, folder: Path) -> Path:
    """Write ``fraction`` of the corpus as new articles (new ids, a new first sentence in each paragraph)."""
    picked = scaled(read_articles(default_corpus()), fraction)
    fresh = [replace(a, id=f"{a.id}-new", paragraphs=[f"تحديث اليوم: {p}" for p in a.paragraphs]) for a in picked]
    return write_jsonl(fresh, folder, files=1)


def worker_memory(index: Path, questions: list[str]) -> tuple[tuple[float, float], ...]:
    """Return a gunicorn worker's memory (own, files) in MB before its first question, after it, after the others."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.helpers.server import get_json, gunicorn

    def rss(pid: int) -> tuple[float, float]:
        """Return a process's resident memory in MB: its own (anonymous), and pages of mapped files."""
        status = Path(f"/proc/{pid}/status").read_text()
        return tuple(int(re.search(rf"{field}:\s+(\d+)", status)[1]) / 1024 for field in ("RssAnon", "RssFile"))

    with gunicorn(index, "--workers", "1", env={"FAHRAS_CACHE_SIZE": "0"}) as (port, master):
        workers = [int(p) for p in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]
        get_json(port, "/api/search?q=الرياض")  # a keyword search: the generation is open, no model yet
        before = rss(workers[0])
        get_json(port, "/api/search?q=" + quote(questions[0]) + "&mode=any")
        first = rss(workers[0])
        for question in questions[1:]:
            get_json(port, "/api/search?q=" + quote(question) + "&mode=any")
        return before, first, rss(workers[0])


def main(argv: list[str] | None = None) -> None:
    """Run the steps, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "fahras-semantic-reindex")
    parser.add_argument("--new", type=float, default=0.01, help="new articles, as a fraction of the corpus")
    parser.add_argument("--skip-full", action="store_true", help="the index already holds the corpus with vectors")
    args = parser.parse_args(argv)
    corpus = default_corpus()
    rows = []
    if not args.skip_full:
        seconds, embedded, reused, embedding, paragraphs = reindex([corpus], args.index)
        rows.append(["all of SaudiNewsNet", paragraphs, embedded, reused, embedding, embedded / embedding, seconds])
    with tempfile.TemporaryDirectory(prefix="fahras-new-") as tmp:
        extra = new_articles(args.new, Path(tmp) / "new")
        seconds, embedded, reused, embedding, paragraphs = reindex([corpus, extra], args.index)
        rows.append([f"+ {args.new:.0%} new articles", paragraphs, embedded, reused, embedding,
                     embedded / embedding if embedding else 0.0, seconds])
    print(table("re-index with semantic vectors (fahras reindex, the default)",
                ["corpus", "paragraphs", "embedded", "reused", "embedding s", "embedded/s", "re-index s"], rows))
    titles = [a.title for a in scaled(read_articles(corpus), 51 / 31030)]
    before, first, after = worker_memory(args.index, titles)
    print(table("a gunicorn worker's resident memory (MB; own = anonymous, files = mapped index and vectors)",
                ["memory", "before its first question", "after it", "after 50 more", "growth"],
                [[kind, before[i], first[i], after[i], after[i] - before[i]]
                 for i, kind in enumerate(("own", "files"))]))


if __name__ == "__main__":
    main()
