"""Build index generations and switch the live pointer only after a complete, checked commit.

Layout of an index directory::

    CURRENT                 name of the live generation (replaced atomically)
    reindex.lock            flock held by the one running re-index
    generations/<name>/     a Whoosh index + columns.npz (facet columns) + meta.json + COMPLETE

A re-index writes a fresh generation; a failure or a kill leaves CURRENT untouched, and the next
re-index removes the partial directory. The live and the previous generations are kept.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index as whoosh_index

from search.columns import write_columns
from search.corpus import ReadReport, read_corpus
from search.errors import CorpusError, ReindexRunning
from search.schema import SCHEMA_VERSION, build_schema
from search.suggest import write_vocabulary

CURRENT = "CURRENT"
LOCK = "reindex.lock"
GENERATIONS = "generations"
COMPLETE = "COMPLETE"
META = "meta.json"
WRITER_MEMORY_MB = 256


@dataclass
class BuildSummary:
    """What a re-index did: the read report plus timing and size."""

    generation: str
    report: ReadReport
    seconds: float = 0.0
    size_bytes: int = 0
    removed: list[str] = field(default_factory=list)

    @property
    def paragraphs_per_second(self) -> float:
        """Indexing throughput."""
        return self.report.paragraphs / self.seconds if self.seconds else 0.0


def generations_dir(index_dir: Path) -> Path:
    """Return the folder holding the generations."""
    return index_dir / GENERATIONS


def current_generation(index_dir: Path) -> str | None:
    """Return the live generation's name, or None when there is none."""
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name or None


def is_complete(generation_path: Path) -> bool:
    """Return True when a generation finished building (its COMPLETE marker exists)."""
    return (generation_path / COMPLETE).exists()


@contextmanager
def reindex_lock(index_dir: Path) -> Iterator[None]:
    """Hold the re-index lock; fail at once if another re-index holds it (a killed one does not)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReindexRunning(
                f"another re-index of {index_dir} is running; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_generation_name() -> str:
    """Return a sortable, unique generation name."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"g{stamp}-{os.getpid()}"


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at a generation atomically (write, fsync, rename)."""
    tmp = index_dir / f"{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def remove_stale(index_dir: Path, keep: Iterable[str]) -> list[str]:
    """Remove generations not in ``keep``: partial ones left by a failed build, and old ones."""
    keep = set(keep)
    removed = []
    folder = generations_dir(index_dir)
    if not folder.exists():
        return removed
    for path in sorted(folder.iterdir()):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


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


def _folder_size(path: Path) -> int:
    """Return the total size of the files in a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_index(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    procs: int = 1,
) -> BuildSummary:
    """Index the corpus under ``paths`` as a new generation and make it live.

    :param strict: fail (leaving the live index untouched) if reading reported any problem.
    :param progress: called with 1 for each article read.
    :param procs: writer processes (Whoosh's multiprocessing writer when above 1).
    """
    index_dir = Path(index_dir)
    paths = list(paths)
    started = time.perf_counter()
    with reindex_lock(index_dir):
        live = current_generation(index_dir)
        # A previous build that failed or was killed left a partial generation: remove it.
        keep = {live} if live else set()
        if live and (previous := _previous_generation(index_dir, live)):
            keep.add(previous)
        removed = remove_stale(index_dir, keep)
        name = _new_generation_name()
        target = generations_dir(index_dir) / name
        target.mkdir(parents=True)
        report = ReadReport()
        try:
            _write_generation(target, read_corpus(paths, report), progress, procs)
            if report.paragraphs == 0:
                raise CorpusError("no paragraphs to index: the corpus is empty")
            if strict and report.problems:
                raise CorpusError(
                    f"{len(report.problems)} problem(s) while reading (--strict): "
                    + "; ".join(report.problems[:5])
                )
            _finish_generation(target, report, live)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        switch_current(index_dir, name)
        removed += remove_stale(index_dir, {name, live} if live else {name})
    summary = BuildSummary(name, report, time.perf_counter() - started, _folder_size(target), removed)
    return summary


def _previous_generation(index_dir: Path, live: str) -> str | None:
    """Return the newest complete generation older than the live one, if any."""
    folder = generations_dir(index_dir)
    older = [p.name for p in folder.iterdir() if p.name < live and is_complete(p)] if folder.exists() else []
    return max(older) if older else None


def _write_generation(target: Path, articles: Iterable, progress, procs: int) -> None:
    """Write every paragraph into a new Whoosh index in ``target`` and commit it."""
    ix = whoosh_index.create_in(str(target), build_schema())
    options = {"limitmb": WRITER_MEMORY_MB}
    if procs > 1:
        options.update(procs=procs, multisegment=True)
    writer = ix.writer(**options)
    try:
        for document in _documents(articles, progress):
            writer.add_document(**document)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _finish_generation(target: Path, report: ReadReport, previous: str | None) -> None:
    """Write the facet columns and metadata, then mark the generation complete."""
    ix = whoosh_index.open_dir(str(target))
    with ix.reader() as reader:
        count = write_columns(reader, target)
        write_vocabulary(reader, target)
    if count != report.paragraphs:
        raise CorpusError(f"index holds {count} paragraphs, {report.paragraphs} were read")
    meta = {
        "schema_version": SCHEMA_VERSION,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "articles": report.articles,
        "paragraphs": report.paragraphs,
        "previous": previous,
    }
    (target / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    marker = target / COMPLETE
    with open(marker, "w") as handle:
        handle.write("ok\n")
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(target)
