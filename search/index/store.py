"""The live index as readers see it: the current generation, opened once per process, swapped when
CURRENT changes, so web workers pick up a new generation without a restart."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError

from search.backend import LRUCache
from search.errors import IndexUnavailable
from search.index.columns import load_columns
from search.index.generation import DEFAULT_CACHE_SIZE, Generation
from search.index.generations import CURRENT, META, current_generation, generations_dir, is_complete
from search.index.schema import SCHEMA_VERSION
from search.rank.semantic import load_vectors

log = logging.getLogger("fahras")

def open_generation(index_dir: Path, name: str, cache_size: int = DEFAULT_CACHE_SIZE) -> Generation:
    """Open a complete generation, checking it is whole and of this schema version."""
    path = generations_dir(index_dir) / name
    if not is_complete(path):
        raise IndexUnavailable(f"generation {name} is incomplete or missing")
    try:
        meta = json.loads((path / META).read_text("utf-8"))
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise IndexUnavailable(
                f"generation {name} was built by schema version {meta.get('schema_version')}, "
                f"this version reads {SCHEMA_VERSION}: run `fahras reindex`"
            )
        # Without mmap: Whoosh copies each memory-mapped segment file into a BytesIO (hundreds of MB in
        # every worker); read through the file instead, a block at a time.
        index = FileStorage(str(path), supports_mmap=False).open_index()
        columns = load_columns(path)
        if columns.doc_count != index.doc_count_all():
            raise IndexUnavailable(f"generation {name} is inconsistent: columns do not match the index")
        vectors = load_vectors(path, columns.doc_count, meta)
    except IndexUnavailable:
        raise
    except (OSError, ValueError, KeyError, EOFError, WhooshIndexError) as exc:
        raise IndexUnavailable(f"generation {name} cannot be opened ({type(exc).__name__}: {exc})") from exc
    return Generation(name, path, index, columns, meta, results=LRUCache(cache_size), vectors=vectors)


class IndexHolder:
    """Hands out the live generation; re-reads CURRENT (one small file) at most every check."""

    def __init__(self, index_dir: str | Path, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.index_dir = Path(index_dir)
        self.cache_size = cache_size
        self._lock = threading.Lock()
        #: (CURRENT's stamp, its generation), replaced as one value: a reader never pairs a new stamp
        #: with the old generation.
        self._live: tuple[tuple[int, int] | None, Generation] | None = None
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

    def get(self) -> Generation:
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
                log.info("serving index generation %s (%s paragraphs)", opened.name, opened.columns.doc_count)
            self._live = (stamp, opened)
            return opened

    def _open(self, current: Generation | None) -> Generation:
        """Open the generation CURRENT names (or keep the open one if it is the same)."""
        name = current_generation(self.index_dir)
        if name is None:
            raise IndexUnavailable(f"no index in {self.index_dir} yet: run `fahras reindex --index {self.index_dir}`")
        if current is not None and current.name == name:
            return current
        return open_generation(self.index_dir, name, self.cache_size)
