"""The live index as readers see it: the current generation, opened once per process, swapped when
CURRENT changes, so web workers pick up a new generation without a restart."""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError
from whoosh.searching import Searcher

from search.columns import Columns, load_columns
from search.errors import IndexUnavailable
from search.indexing import CURRENT, META, current_generation, generations_dir, is_complete
from search.postings import FOLDER, FieldPostings, load_field
from search.query import ranking_model
from search.schema import SCHEMA_VERSION
from search.semantic import load_vectors

log = logging.getLogger("fahras")

#: Answered searches kept per generation (the web layer may pass its CACHE_SIZE setting).
DEFAULT_CACHE_SIZE = 512
#: Matching documents kept per generation, by term (int32 docnum arrays).
TERM_CACHE_SIZE = 2048
#: Query-word expansions kept per generation, by word (related stems, glued-word splits: short tuples).
EXPANSION_CACHE_SIZE = 8192


class LRUCache:
    """A small thread-safe least-recently-used mapping; ``size`` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        """Return the value kept for ``key`` (marking it recent), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key``, forgetting the least recent entry when full."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]) -> object:
        """Return the kept value for ``key``, computing and keeping it when missing."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Generation:
    """One opened, immutable index generation with its facet columns and metadata."""

    name: str
    path: Path
    index: whoosh_index.Index
    columns: Columns
    meta: dict
    _local: threading.local = field(default_factory=threading.local, repr=False)
    #: (words, document frequencies) for did-you-mean and unknown words, loaded when first needed.
    vocabulary: tuple[list[str], np.ndarray] | None = field(default=None, repr=False)
    #: Answered searches of this generation only, by normalized request: a new generation starts empty.
    results: LRUCache = field(default_factory=lambda: LRUCache(DEFAULT_CACHE_SIZE), repr=False)
    #: Matching docnums by (field, term), shared by every query of this generation.
    terms: LRUCache = field(default_factory=lambda: LRUCache(TERM_CACHE_SIZE), repr=False)
    #: What a query word expands to in this generation's vocabulary (search.variants, search.suggest).
    expansions: LRUCache = field(default_factory=lambda: LRUCache(EXPANSION_CACHE_SIZE), repr=False)
    #: One embedding per paragraph for re-ranking questions (search.semantic), memory-mapped; None without.
    vectors: np.ndarray | None = field(default=None, repr=False)

    #: Each segment's posting arrays by (segment id, field), mapped when first needed (None: read via Whoosh).
    _arrays: dict = field(default_factory=dict, repr=False)

    #: Every searcher opened on this generation, by any thread: closed together when it is dropped.
    _opened: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        # A generation replaced by a newer one is dropped by every holder; its files are then closed
        # explicitly rather than left to the garbage collector (no file handle outlives it).
        weakref.finalize(self, _close_searchers, self._opened)

    def searcher(self) -> Searcher:
        """Return this thread's searcher (opened once; generations never change on disk)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = self.index.searcher(weighting=ranking_model())
            self._opened.append(searcher)
        return searcher

    def posting_arrays(self, segment: str, fieldname: str) -> FieldPostings | None:
        """Return one segment's posting arrays for a field, or None if it has none (mapped once)."""
        key = (segment, fieldname)
        if key not in self._arrays:  # two threads may both map the files: the first kept wins
            self._arrays.setdefault(key, load_field(self.path / FOLDER, segment, fieldname))
        return self._arrays[key]

    def close(self) -> None:
        """Close every searcher opened on this generation (it must not be used afterwards)."""
        _close_searchers(self._opened)
        self._local = threading.local()


def _close_searchers(searchers: list) -> None:
    """Close the given Whoosh searchers and forget them."""
    while searchers:
        searchers.pop().close()


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
