"""Build index generations: read the corpus, write segments in parallel processes, save the arrays, the
vocabulary and the vectors beside them, and switch the live pointer only after a complete, checked commit
(the layout and the pointer are :mod:`search.index.generations`)."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import shutil
import signal
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search.corpus.reader import ReadReport, read_corpus
from search.errors import CorpusError
from search.index.columns import write_columns
from search.index.completions import write_completions
from search.index.generations import (
    BuildSummary,
    _new_generation_name,
    commit_generation,
    current_generation,
    folder_size,
    generations_dir,
    held_locks,
    is_complete,
    reindex_lock,
    remove_stale,
    switch_current,
)
from search.index.schema import SCHEMA_VERSION, build_schema
from search.index.segments import Written, write_segments
from search.index.vocabulary import write_vocabulary
from search.rank.semantic import embed_generation, passage_text

PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: Paragraphs per batch dealt to a writer process.
BATCH_DOCS = 400


def _documents(articles: Iterable, progress: Callable[[int], None] | None) -> Iterator[dict]:
    """Yield one Whoosh document per paragraph."""
    for article in articles:
        for number, text in enumerate(article.paragraphs, 1):
            yield {
                "id": f"{article.id}-{number}",
                "article_id": article.id,
                "title": article.title,
                "source": article.source,
                "date": article.date,
                "paragraph": number,
                "url": article.url,
                "text": text,
                "exact": text,
            }
        if progress:
            progress(1)


def build_index(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    procs: int = 1,
    semantic: bool = False,
    semantic_progress: Callable[[int, int], None] | None = None,
) -> BuildSummary:
    """Index the corpus under ``paths`` as a new generation and make it live.

    :param strict: fail (leaving the live index untouched) if reading reported any problem.
    :param progress: called with 1 for each article read.
    :param procs: writer processes (Whoosh's multiprocessing writer when above 1).
    :param semantic: also embed every paragraph for re-ranking questions (search.rank.semantic); the live
        generation's vectors are reused for unchanged paragraphs.
    :param semantic_progress: called with (paragraphs embedded so far, paragraphs to embed).
    """
    index_dir = Path(index_dir)
    paths = list(paths)
    started = time.perf_counter()
    with reindex_lock(index_dir):
        live = current_generation(index_dir)
        # A previous build that failed or was killed left a partial generation: remove it.
        keep = {live} if live else set()
        previous = _previous_generation(index_dir, live) if live else None
        if previous:
            keep.add(previous)
        removed = remove_stale(index_dir, keep)
        name = _new_generation_name()
        target = generations_dir(index_dir) / name
        target.mkdir(parents=True)
        report = ReadReport()
        try:
            written = _write_generation(target, read_corpus(paths, report), progress, procs)
            if report.paragraphs == 0:
                raise CorpusError("no paragraphs to index: the corpus is empty")
            if strict and report.problems:
                raise CorpusError(
                    f"{len(report.problems)} problem(s) while reading (--strict): "
                    + "; ".join(report.problems[:5])
                )
            def embed() -> dict:  # after the generation's checks, which take a moment, not hours
                kept = [generations_dir(index_dir) / name for name in (live, previous) if name]  # reused
                return {"semantic": _write_semantic(target, kept, semantic_progress)}

            meta = _finish_generation(target, report, live, written, embed if semantic else None)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        switch_current(index_dir, name)
        removed += remove_stale(index_dir, {name, live} if live else {name})
    summary = BuildSummary(
        name, report, time.perf_counter() - started, folder_size(target), removed, meta.get("semantic")
    )
    return summary


def _previous_generation(index_dir: Path, live: str) -> str | None:
    """Return the newest complete generation older than the live one, if any."""
    folder = generations_dir(index_dir)
    older = [p.name for p in folder.iterdir() if p.name < live and is_complete(p)] if folder.exists() else []
    return max(older) if older else None


def _write_generation(target: Path, articles: Iterable, progress, procs: int) -> Written:
    """Write every paragraph into a new Whoosh index in ``target`` and commit its table of contents.

    ``procs`` writer processes each write whole segments of their share of the paragraphs (this
    process reads the corpus and deals out batches); the segments are committed together, unmerged.
    """
    ix = whoosh_index.create_in(str(target), build_schema())
    numbered = enumerate(_documents(articles, progress))
    if procs > 1:
        parts = _write_in_processes(target, numbered, procs)
    else:
        parts = [write_segments(ix, numbered)]
    written = Written.join(parts)
    SegmentWriter._commit_toc(_TocWriter(ix), written.segments)
    shutil.rmtree(target / f"{ix.indexname}.tmp", ignore_errors=True)  # the writers' temporary files
    return written


class _TocWriter:
    """What ``SegmentWriter._commit_toc`` needs to write the next table of contents of an index."""

    def __init__(self, ix: whoosh_index.Index) -> None:
        self.schema, self.storage, self.indexname = ix.schema, ix.storage, ix.indexname
        self.generation = ix.latest_generation() + 1


def _write_in_processes(target: Path, numbered: Iterator[tuple[int, dict]], procs: int) -> list[Written]:
    """Deal batches of documents round-robin to ``procs`` writer processes; return their parts in order."""
    context = multiprocessing.get_context("fork")
    jobs = [context.Queue(4) for _ in range(procs)]
    results = context.Queue()
    workers = [
        context.Process(target=_writer_process, args=(target, jobs[n], results, n, os.getpid()), daemon=True)
        for n in range(procs)
    ]
    for worker in workers:
        worker.start()
    try:
        batch: list[tuple[int, dict]] = []
        turn = 0
        for item in numbered:
            batch.append(item)
            if len(batch) >= BATCH_DOCS:
                _put(jobs[turn % procs], batch, workers, results)
                batch, turn = [], turn + 1
        if batch:
            _put(jobs[turn % procs], batch, workers, results)
        for job in jobs:
            _put(job, None, workers, results)
        parts: dict[int, Written] = {}
        while len(parts) < procs:
            try:
                number, part, error = results.get(timeout=1)
            except queue.Empty:
                if not any(w.is_alive() for w in workers):
                    raise RuntimeError("a writer process died without a result") from None
                continue
            if error:
                raise RuntimeError(f"writer process {number} failed:\n{error}")
            parts[number] = part
        for worker in workers:
            worker.join()
        return [parts[n] for n in range(procs)]
    except BaseException:
        for job in (*jobs, results):
            job.cancel_join_thread()  # batches nobody will read must not hold this process at exit
        raise
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()


def _put(job: multiprocessing.Queue, item: object, workers: list, results: multiprocessing.Queue) -> None:
    """Hand a batch to a writer process, failing (not hanging) with its error if a writer died."""
    while True:
        try:
            job.put(item, timeout=1)
            return
        except queue.Full:
            if not all(w.is_alive() for w in workers):
                try:
                    number, _, error = results.get(timeout=1)
                except queue.Empty:
                    error, number = "killed", "?"
                raise RuntimeError(f"writer process {number} failed:\n{error}") from None


def _die_with_parent() -> None:
    """Have Linux kill this process the moment its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``);
    elsewhere the writer notices within a second, when its job queue is idle."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _writer_process(
    target: Path, jobs: multiprocessing.Queue, results: multiprocessing.Queue, number: int, parent: int
) -> None:
    """A writer process: index the batches it is dealt; exit when its parent is gone (killed)."""
    for fd in held_locks:
        os.close(fd)  # the lock is the parent's: it must go when the parent goes
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above
        os._exit(1)

    def numbered() -> Iterator[tuple[int, dict]]:
        while True:
            try:
                batch = jobs.get(timeout=1)
            except queue.Empty:
                if os.getppid() != parent:
                    os._exit(1)
                continue
            if batch is None:
                return
            yield from batch

    try:
        part = write_segments(whoosh_index.open_dir(str(target)), numbered())
    except BaseException:
        results.put((number, None, traceback.format_exc()))
    else:
        results.put((number, part, None))


def _written_from_index(reader) -> Written:
    """Read the facet column values and exact-field frequencies back from a committed index."""
    written = Written()
    for docnum, stored in reader.iter_docs():
        written.sources.append(stored.get("source", ""))
        written.dates.append(stored.get("date", ""))
        written.order.append(docnum)
        written.articles.append(stored.get("article_id", ""))
        written.runs.add(stored.get("text", ""))
    for term, info in reader.iter_field("exact"):
        written.frequencies[term.decode("utf-8")] = info.doc_frequency()
    return written


def _write_semantic(target: Path, previous: list[Path], progress: Callable[[int, int], None] | None) -> dict:
    """Embed the committed generation's paragraphs in docnum order; return what its metadata records."""
    with whoosh_index.open_dir(str(target)).reader() as reader:
        texts = (passage_text(stored.get("title", ""), stored.get("text", "")) for _, stored in reader.iter_docs())
        return embed_generation(target, texts, reader.doc_count_all(), previous, progress)


def _finish_generation(
    target: Path,
    report: ReadReport,
    previous: str | None,
    written: Written | None = None,
    extra: Callable[[], dict] | None = None,
) -> dict:
    """Write the columns, vocabulary, completion table and metadata, mark the generation complete; return the metadata.

    :param written: the column values and frequencies the writers collected; without it they are
        read back from the committed index (slower: every stored document is loaded).
    :param extra: called once the generation is checked; what it returns is added to the metadata.
    """
    ix = whoosh_index.open_dir(str(target))
    with ix.reader() as reader:
        if written is None:
            written = _written_from_index(reader)
        if len(written.sources) != reader.doc_count_all():
            raise CorpusError(f"index holds {reader.doc_count_all()} paragraphs, columns cover {len(written.sources)}")
    count = write_columns(target, written.sources, written.dates, written.order, written.articles)
    write_vocabulary(written.frequencies, target)
    completions = write_completions(written.runs, target)
    if count != report.paragraphs:
        raise CorpusError(f"index holds {count} paragraphs, {report.paragraphs} were read")
    meta = {
        "schema_version": SCHEMA_VERSION,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "articles": report.articles,
        "paragraphs": report.paragraphs,
        "previous": previous,
        "completions": completions,
        **(extra() if extra else {}),
    }
    commit_generation(target, meta)
    return meta
