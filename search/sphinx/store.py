"""The live generation on a Sphinx cluster, as readers see it: CURRENT names a generation folder (its
statistics and slot), opened once per process and swapped when CURRENT changes."""

from __future__ import annotations

import json
from pathlib import Path

from search.backend import LRUCache
from search.errors import IndexUnavailable
from search.index.generations import META, GenerationHolder, generations_dir, is_complete
from search.rank.semantic import load_vectors
from search.sphinx.cluster import Cluster, load_cluster
from search.sphinx.generation import DEFAULT_CACHE_SIZE, SphinxGeneration
from search.sphinx.indexing import SPHINX_FORMAT
from search.sphinx.sphinxql import Connections


def open_sphinx_generation(index_dir: Path, name: str, cluster: Cluster,
                           cache_size: int = DEFAULT_CACHE_SIZE) -> SphinxGeneration:
    """Open a complete Sphinx generation's statistics; its paragraphs are on the cluster."""
    path = generations_dir(index_dir) / name
    if not is_complete(path):
        raise IndexUnavailable(f"generation {name} is incomplete or missing")
    try:
        meta = json.loads((path / META).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"generation {name} cannot be opened ({type(exc).__name__}: {exc})") from exc
    if meta.get("backend") != "sphinx":
        raise IndexUnavailable(f"generation {name} is not a Sphinx generation: run `fahras reindex --backend sphinx`")
    if meta.get("format") != SPHINX_FORMAT:
        raise IndexUnavailable(f"generation {name} is of format {meta.get('format')}, this version reads "
                               f"{SPHINX_FORMAT}: run `fahras reindex --backend sphinx`")
    vectors = load_vectors(path, int(meta.get("paragraphs", 0)), meta)
    return SphinxGeneration(name, path, meta, cluster, Connections(cluster.head), results=LRUCache(cache_size),
                            vectors=vectors)


class SphinxHolder(GenerationHolder):
    """Hands out the live Sphinx generation of an index folder, on the cluster its file describes."""

    def __init__(self, index_dir: str | Path, cluster_file: str | Path, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        super().__init__(index_dir, cache_size)
        self.cluster_file = Path(cluster_file)
        self._cluster: Cluster | None = None

    def open_named(self, name: str) -> SphinxGeneration:
        """Open the Sphinx generation of that name (the cluster file is read once)."""
        if self._cluster is None:
            self._cluster = load_cluster(self.cluster_file)
        return open_sphinx_generation(self.index_dir, name, self._cluster, self.cache_size)

