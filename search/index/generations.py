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
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from search.errors import ReindexRunning

CURRENT = "CURRENT"
LOCK = "reindex.lock"
GENERATIONS = "generations"
COMPLETE = "COMPLETE"
META = "meta.json"


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
