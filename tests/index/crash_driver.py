"""Run a real re-index that kills itself (SIGKILL) at a chosen stage: the crash tests' child process.

    python tests/index/crash_driver.py STAGE INDEX_DIR CORPUS... [--after N] [--procs P]

The hook is installed in this process only, by wrapping one stage of ``search.index.indexing`` (or of the
Whoosh writer it drives); then the real ``build_index`` runs. Nothing is faked: the kill is a real
``kill -9`` of this process, so no ``finally`` block, ``cancel()`` or lock release runs.

Stages:
    read      while reading the corpus, after N articles were read
    add       while adding documents to the writer, after N paragraphs were added
    segments  while writing segments: segment files are on disk, the Whoosh TOC is not
    finish    after the Whoosh commit and the facet columns, before the COMPLETE marker
    switch    right before CURRENT is switched to the new generation
    replace   inside the switch: CURRENT.tmp is written and fsynced, the rename has not happened
    hold      no kill: holding the lock, print "holding" and wait until stdin closes, then finish
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from whoosh import writing  # noqa: E402

from search.index import generations, indexing  # noqa: E402

STAGES = ("read", "add", "segments", "finish", "switch", "replace", "hold")


def die(stage: str) -> None:
    """Say where we are, then kill -9 ourselves."""
    print(f"crash_driver: SIGKILL at stage {stage}", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_after(iterable, n: int, stage: str):
    """Yield ``n`` items of ``iterable``, then die before the next one."""
    for count, item in enumerate(iterable):
        if count >= n:
            die(stage)
        yield item


def install(stage: str, after: int) -> None:
    """Wrap the stage's function so that this process kills itself there."""
    if stage == "read":
        real_read = indexing.read_corpus
        indexing.read_corpus = lambda paths, report: _kill_after(real_read(paths, report), after, stage)
    elif stage == "add":
        real_documents = indexing._documents
        indexing._documents = lambda articles, progress: _kill_after(real_documents(articles, progress), after, stage)
    elif stage == "segments":
        writing.SegmentWriter._commit_toc = lambda self, segments: die(stage)
    elif stage == "finish":
        real_vocabulary = indexing.write_vocabulary

        def vocabulary_then_die(reader, target):
            real_vocabulary(reader, target)
            die(stage)

        indexing.write_vocabulary = vocabulary_then_die
    elif stage == "switch":
        indexing.switch_current = lambda index_dir, name: die(stage)
    elif stage == "replace":
        real_replace = os.replace

        def replace_or_die(src, dst, *args, **kwargs):
            if Path(dst).name == generations.CURRENT:
                die(stage)
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace_or_die
    elif stage == "hold":
        real_read = indexing.read_corpus

        def hold_then_read(paths, report):
            print("holding", flush=True)
            sys.stdin.read()
            return real_read(paths, report)

        indexing.read_corpus = hold_then_read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("index_dir")
    parser.add_argument("corpus", nargs="+")
    parser.add_argument("--after", type=int, default=2, help="articles (read) or paragraphs (add) before the kill")
    parser.add_argument("--procs", type=int, default=1)
    args = parser.parse_args(argv)
    install(args.stage, args.after)
    summary = indexing.build_index(args.corpus, args.index_dir, procs=args.procs)
    print(f"crash_driver: built {summary.generation} ({summary.report.paragraphs} paragraphs)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
