"""The live index as readers see it: the current generation, opened once per process, swapped when
CURRENT changes, so web workers pick up a new generation without a restart."""

from __future__ import annotations

import json
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError

from search.backend import LRUCache
from search.errors import IndexUnavailable
from search.index.columns import load_columns
from search.index.generation import DEFAULT_CACHE_SIZE, Generation
from search.index.generations import META, GenerationHolder, generations_dir, is_complete
from search.index.schema import SCHEMA_VERSION
from search.rank.semantic import load_vectors


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


class IndexHolder(GenerationHolder):
    """Hands out the live Whoosh generation; re-reads CURRENT (one small file) at most every check."""

    def open_named(self, name: str) -> Generation:
        """Open the Whoosh generation of that name."""
        return open_generation(self.index_dir, name, self.cache_size)
