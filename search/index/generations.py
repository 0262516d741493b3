"""Build index generations and switch the live pointer only after a complete, checked commit.

Layout of an index directory::

    CURRENT                 name of the live generation (replaced atomically)
    reindex.lock            flock held by the one running re-index
    generations/<name>/     a Whoosh index + postings-1/ (its posting lists as numpy arrays)
                            + columns.npz (facet columns) + vocabulary.tsv + meta.json + COMPLETE
                            (+ semantic.npy, semantic-keys.npy: paragraph embeddings, when asked for)

A re-index writes a fresh generation; a failure or a kill leaves CURRENT untouched, and the next
re-index removes the partial directory. The live and the previous generations are kept.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from search.corpus.reader import ReadReport
from search.errors import IndexUnavailable, ReindexRunning

log = logging.getLogger("fahras")

CURRENT = "CURRENT"
LOCK = "reindex.lock"
GENERATIONS = "generations"
COMPLETE = "COMPLETE"
META = "meta.json"


@dataclass
class BuildSummary:
    """What a re-index did: the read report plus timing and size."""

    generation: str
    report: ReadReport
    seconds: float = 0.0
    size_bytes: int = 0
    removed: list[str] = field(default_factory=list)
    #: what the semantic vectors cost (model, paragraphs, reused, seconds); None when none were asked for
    semantic: dict | None = None
    #: the cluster's generation slot it filled (a Sphinx re-index); None for an embedded index
    slot: str | None = None

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


#: Descriptors of re-index locks this process holds: a forked writer closes its copies, so that a
#: killed re-index never leaves its lock held by its writers.
#: File descriptors of the re-index locks this process holds (writer processes close them).
held_locks: set[int] = set()


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
        held_locks.add(handle.fileno())
        try:
            yield
        finally:
            held_locks.discard(handle.fileno())
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


def folder_size(path: Path) -> int:
    """Return the total size of the files in a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def commit_generation(target: Path, meta: dict) -> None:
    """Write a built generation's metadata and mark it complete (flushed to disk): what opening it checks."""
    (target / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    with open(target / COMPLETE, "w") as handle:
        handle.write("ok\n")
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(target)


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


class GenerationHolder:
    """Hands out the live generation of any backend (``open_named`` opens one); re-reads CURRENT (one
    small file) at most every check."""

    def __init__(self, index_dir: str | Path, cache_size: int = 512) -> None:
        self.index_dir = Path(index_dir)
        self.cache_size = cache_size
        self._lock = threading.Lock()
        #: (CURRENT's stamp, its generation), replaced as one value: a reader never pairs a new stamp
        #: with the old generation.
        self._live: tuple[tuple[int, int] | None, Any] | None = None
        #: The last failure and the CURRENT stamp it was seen at: answered again without retrying
        #: (or logging) until CURRENT moves.
        self._failure: tuple[tuple[int, int] | None, IndexUnavailable] | None = None

    def _current_stamp(self) -> tuple[int, int] | None:
        """Return CURRENT's (inode, mtime) so a replaced pointer is noticed cheaply."""
        try:
            st = os.stat(self.index_dir / CURRENT)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def get(self) -> Any:
        """Return the live generation, opening a new one if CURRENT moved; IndexUnavailable if none."""
        stamp = self._current_stamp()
        live = self._live
        if live is not None and live[0] == stamp:
            return live[1]
        with self._lock:
            live = self._live
            if live is not None and live[0] == stamp:
                return live[1]
            if self._failure is not None and self._failure[0] == stamp:
                raise self._failure[1]
            try:
                opened = self._open(live[1] if live else None)
            except IndexUnavailable as exc:
                where = f"--index {self.index_dir}"
                hint = "" if where in exc.message else f"; run `fahras reindex {where}`"
                log.error("index unavailable: %s%s", exc.message, hint)
                self._failure = (stamp, exc)
                raise
            self._failure = None
            if live is None or opened is not live[1]:
                log.info("serving index generation %s (%s paragraphs)", opened.name, opened.doc_count)
            self._live = (stamp, opened)
            return opened

    def _open(self, current: Any) -> Any:
        """Open the generation CURRENT names (or keep the open one if it is the same)."""
        name = current_generation(self.index_dir)
        if name is None:
            raise IndexUnavailable(f"no index in {self.index_dir} yet: run `fahras reindex --index {self.index_dir}`")
        if current is not None and current.name == name:
            return current
        return self.open_named(name)

    def open_named(self, name: str) -> Any:
        """Open the generation of that name (each backend's holder says how)."""
        raise NotImplementedError
