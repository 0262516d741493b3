"""Real Sphinx clusters for the sphinx backend's tests: searchd processes on loopback (Debian's
sphinxsearch, which .ci/run installs), the seeds indexed into them, and a Whoosh index of the same seeds
to compare with. A test needing searchd fails with a clear message when it is not installed."""

from __future__ import annotations

import random
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.sphinx import cluster as sphinx_cluster
from search.sphinx.indexing import build_sphinx_index
from search.sphinx.store import SphinxHolder

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"


def _ephemeral_low() -> int:
    """Return the first port the kernel hands to outgoing connections (32768 where it does not say)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_base(members: int) -> int:
    """Return a base port whose next 2 * members ports are free on 127.0.0.1, below the ephemeral range.

    A shard killed and restarted must get its port back: inside the ephemeral range an outgoing
    connection (the load's own clients) can take the port while the shard is down, and hold it in
    TIME_WAIT for a minute."""
    top = max(_ephemeral_low() - 2 * members, 12000)
    for _ in range(200):
        base = random.randrange(10000, top, 2)
        try:
            for port in range(base, base + 2 * members):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free range of ports on 127.0.0.1")


def start_cluster(folder: Path, shards: int) -> sphinx_cluster.Cluster:
    """Start a local cluster of ``shards`` shards in ``folder``; fail clearly without searchd."""
    if shutil.which("searchd") is None:
        pytest.fail("searchd is not installed: `apt-get install sphinxsearch` (.ci/run installs it)")
    return sphinx_cluster.up(folder, shards, free_base(shards + 1))


@pytest.fixture(scope="session")
def seed_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sphinx_cluster.Cluster, Path]]:
    """A 2-shard cluster holding the seeds, and the index folder of its generation (read-only)."""
    root = tmp_path_factory.mktemp("sphinx")
    cluster = start_cluster(root / "cluster", 2)
    build_sphinx_index([SEEDS], root / "index", cluster)
    yield cluster, root / "index"
    sphinx_cluster.down(root / "cluster")


@pytest.fixture(scope="session")
def whoosh_seeds(tmp_path_factory: pytest.TempPathFactory):
    """The seeds in the embedded Whoosh backend, words only (the cluster holds no vectors)."""
    folder = tmp_path_factory.mktemp("whoosh-seeds")
    build_index([SEEDS], folder, procs=1)
    opened = IndexHolder(folder).get()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def sphinx_seeds(seed_cluster):
    """The live Sphinx generation of the seed cluster."""
    cluster, index = seed_cluster
    return SphinxHolder(index, cluster.folder / sphinx_cluster.CLUSTER_FILE).get()


@pytest.fixture(scope="session")
def semantic_seeds(tmp_path_factory: pytest.TempPathFactory):
    """A 1-shard cluster holding the seeds with their paragraph vectors (read-only)."""
    root = tmp_path_factory.mktemp("sphinx-semantic")
    cluster = start_cluster(root / "cluster", 1)
    build_sphinx_index([SEEDS], root / "index", cluster, semantic=True)
    yield SphinxHolder(root / "index", cluster.folder / sphinx_cluster.CLUSTER_FILE).get()
    sphinx_cluster.down(root / "cluster")
