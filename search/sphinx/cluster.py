"""A Sphinx cluster's layout: a head ``searchd`` whose ``distributed`` indexes fan a query out to the
shards' real-time indexes, two generation slots (``fahras_a``, ``fahras_b``) on every shard.

A cluster is described by one JSON file (the ``FAHRAS_SPHINX`` setting)::

    {"head": "10.0.0.1:9306",
     "shards": [{"name": "shard1", "sphinxql": "10.0.0.2:9306", "agent": "10.0.0.2:9312"}, ...]}

``head`` and each shard's ``sphinxql`` are SphinxQL (MySQL protocol) listeners; ``agent`` is the shard's
native API listener, which the head's ``agent`` lines name. :func:`up` writes such a file for a local
cluster of N shards on loopback, each shard its own ``searchd`` process, config and data folder, and
starts it; :func:`down` stops it. Paragraphs are routed to shards by article (:func:`shard_of`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from search.errors import SearchError

#: The generation slots every shard holds: a re-index fills the one not live, then switches to it.
SLOTS = ("a", "b")
#: The name of a slot's index (the same on the shards and, as a distributed index, on the head).
INDEX_PREFIX = "fahras_"
CLUSTER_FILE = "cluster.json"
#: Where ``fahras cluster up`` puts a local cluster, and the cluster file the sphinx backend reads by default.
DEFAULT_FOLDER = "var/cluster"
DEFAULT_CLUSTER = f"{DEFAULT_FOLDER}/{CLUSTER_FILE}"
#: The backends a holder can serve: the embedded Whoosh index (default), or a Sphinx cluster.
BACKENDS = ("whoosh", "sphinx")
#: First port of a local cluster: the head's SphinxQL; shard i listens on BASE + 2i + 2 (SphinxQL) and +3 (API).
DEFAULT_BASE_PORT = 9306
#: Seconds a started searchd may take to listen.
START_TIMEOUT = 15.0


class ClusterError(SearchError):
    """The cluster cannot be reached, started or described."""

    code = "cluster_error"
    status = 503


@dataclass(frozen=True)
class Shard:
    """One shard: a name, its SphinxQL address (writes) and its API address (the head's agent)."""

    name: str
    sphinxql: str
    agent: str


@dataclass(frozen=True)
class Cluster:
    """Where a cluster answers: its head and its shards, in routing order."""

    head: str
    shards: tuple[Shard, ...]
    folder: Path | None = None  # a local cluster's folder (None for one run elsewhere)

    def shard_named(self, address: str) -> str | None:
        """Return the name of the shard whose agent or SphinxQL address this is."""
        for shard in self.shards:
            if address in (shard.agent, shard.sphinxql):
                return shard.name
        return None

    def to_json(self) -> str:
        """Return the cluster file's text."""
        shards = [{"name": s.name, "sphinxql": s.sphinxql, "agent": s.agent} for s in self.shards]
        return json.dumps({"head": self.head, "shards": shards}, indent=2) + "\n"


def slot_index(slot: str) -> str:
    """Return the index name of a generation slot."""
    return INDEX_PREFIX + slot


def shard_of(article_number: int, shards: int) -> int:
    """Return the shard an article's paragraphs go to (all of them on one shard).

    >>> [shard_of(n, 2) for n in range(4)]
    [0, 1, 0, 1]
    """
    return article_number % shards


def source_key(source: str) -> int:
    """Return a source's attribute value on the shards (CRC-32 of its name; 0 for no source).

    >>> source_key(""), source_key("okaz") == source_key("okaz")
    (0, True)
    """
    return zlib.crc32(source.encode("utf-8")) or 1 if source else 0


def load_cluster(path: str | Path) -> Cluster:
    """Read a cluster file; ClusterError with what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
        shards = tuple(Shard(str(s["name"]), _address(s["sphinxql"]), _address(s["agent"])) for s in data["shards"])
        head = _address(data["head"])
    except FileNotFoundError:
        raise ClusterError(f"no Sphinx cluster file at {path}: start one with `fahras cluster up`") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"cannot read the Sphinx cluster file {path} ({type(exc).__name__}: {exc})") from None
    if not shards:
        raise ClusterError(f"the Sphinx cluster file {path} names no shard")
    if len({s.name for s in shards}) != len(shards):
        raise ClusterError(f"the Sphinx cluster file {path} names a shard twice")
    return Cluster(head, shards, path.parent)


def _address(value: object) -> str:
    """Check a host:port address."""
    host, _, port = str(value).rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{value!r} is not host:port")
    return f"{host}:{int(port)}"


def split_address(address: str) -> tuple[str, int]:
    """Return (host, port) of a host:port address."""
    host, _, port = address.rpartition(":")
    return host, int(port)


# -- a local cluster: N shards and a head on loopback -----------------------------------------

_RT_INDEX = """
index {name} {{
    type = rt
    path = {path}
    rt_field = text
    rt_field = exact
    rt_field = title
    rt_field = every
    rt_attr_bigint = ord
    rt_attr_bigint = article
    rt_attr_uint = source
    rt_attr_uint = month
    rt_attr_uint = date
    rt_attr_uint = len_text
    rt_attr_uint = len_exact
    rt_attr_uint = len_title
    rt_attr_string = terms
    rt_attr_string = doc
    rt_mem_limit = 256M
    dict = keywords
    min_prefix_len = 1
    min_word_len = 1
    morphology = none
    charset_table = {charset}
    stopwords = {stopwords}
    stopword_step = 1
    index_field_lengths = 1
}}
"""

_DISTRIBUTED_INDEX = """
index {name} {{
    type = distributed
{agents}
    agent_connect_timeout = 300
    agent_query_timeout = 3000
}}
"""

_SEARCHD = """
searchd {{
{listen}
    log = {folder}/searchd.log
    query_log = {folder}/query.log
    pid_file = {folder}/searchd.pid
    binlog_path = {folder}
    workers = threads
    max_packet_size = 128M
    max_filter_values = 10000
    read_timeout = 30
    client_timeout = 300
    seamless_rotate = 1
    unlink_old = 1
}}
"""


def _write_configs(folder: Path, shards: int, base: int) -> Cluster:
    """Write the head's and each shard's searchd config and the cluster file; return the cluster."""
    from search.sphinx.fields import CHARSET_TABLE, FILLER  # the terms' alphabet (import here: no cycle)

    folder.mkdir(parents=True, exist_ok=True)
    stopwords = folder / "stopwords.txt"
    stopwords.write_text(FILLER + "\n", "utf-8")
    members = []
    for number in range(shards):
        name = f"shard{number + 1}"
        own = folder / name
        (own / "data").mkdir(parents=True, exist_ok=True)
        sql, api = base + 2 * number + 2, base + 2 * number + 3
        indexes = "".join(
            _RT_INDEX.format(name=slot_index(s), path=own / "data" / slot_index(s), charset=CHARSET_TABLE,
                             stopwords=stopwords)
            for s in SLOTS
        )
        listen = f"    listen = 127.0.0.1:{sql}:mysql41\n    listen = 127.0.0.1:{api}"
        (own / "sphinx.conf").write_text(indexes + _SEARCHD.format(listen=listen, folder=own), "utf-8")
        members.append(Shard(name, f"127.0.0.1:{sql}", f"127.0.0.1:{api}"))
    head = folder / "head"
    head.mkdir(parents=True, exist_ok=True)
    indexes = "".join(
        _DISTRIBUTED_INDEX.format(
            name=slot_index(s), agents="\n".join(f"    agent = {m.agent}:{slot_index(s)}" for m in members)
        )
        for s in SLOTS
    )
    listen = f"    listen = 127.0.0.1:{base}:mysql41\n    listen = 127.0.0.1:{base + 1}"
    (head / "sphinx.conf").write_text(indexes + _SEARCHD.format(listen=listen, folder=head), "utf-8")
    cluster = Cluster(f"127.0.0.1:{base}", tuple(members), folder)
    (folder / CLUSTER_FILE).write_text(cluster.to_json(), "utf-8")
    return cluster


def _members(folder: Path) -> list[Path]:
    """Return the folders of a local cluster's searchd processes: the shards, then the head."""
    return sorted(p for p in folder.glob("shard*") if (p / "sphinx.conf").exists()) + [folder / "head"]


def _pid(member: Path) -> int | None:
    """Return the pid of a member's running searchd, or None."""
    try:
        pid = int((member / "searchd.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _listening(address: str) -> bool:
    """Return True when something accepts connections at host:port."""
    try:
        with socket.create_connection(split_address(address), timeout=0.5):
            return True
    except OSError:
        return False


def _log_tail(member: Path, lines: int = 3) -> str:
    """Return the last lines of a member's searchd log, as the end of an error message ('' if none)."""
    try:
        tail = (member / "searchd.log").read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return f"; its log ends: {' / '.join(tail)}" if tail else ""


def start_member(member: Path, address: str) -> None:
    """Start one member's searchd (if not running) and wait until it listens."""
    searchd = shutil.which("searchd")
    if searchd is None:
        raise ClusterError("searchd is not installed: `apt-get install sphinxsearch` (Sphinx 2.2)")
    if _pid(member) is None:
        result = subprocess.run([searchd, "--config", str(member / "sphinx.conf")], capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
            raise ClusterError(f"searchd of {member.name} did not start: {' / '.join(tail)}")
    deadline = time.monotonic() + START_TIMEOUT
    while not _listening(address):
        if time.monotonic() > deadline:
            raise ClusterError(f"searchd of {member.name} does not listen on {address}{_log_tail(member)}")
        time.sleep(0.05)


def up(folder: str | Path, shards: int, base: int = DEFAULT_BASE_PORT) -> Cluster:
    """Write (if new) and start a local cluster of ``shards`` shards; return it. A running one is kept."""
    folder = Path(folder).resolve()
    if (folder / CLUSTER_FILE).exists():
        cluster = load_cluster(folder / CLUSTER_FILE)
        if len(cluster.shards) != shards:
            raise ClusterError(
                f"{folder} holds a cluster of {len(cluster.shards)} shards; `fahras cluster down --purge` it first"
            )
    else:
        if shards < 1:
            raise ClusterError("a cluster needs at least one shard")
        cluster = _write_configs(folder, shards, base)
    for shard in cluster.shards:
        start_member(folder / shard.name, shard.sphinxql)
    start_member(folder / "head", cluster.head)
    return cluster


def stop_member(member: Path, wait: float = 10.0) -> bool:
    """Stop one member's searchd (SIGTERM, then SIGKILL); return True if one was running."""
    pid = _pid(member)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def down(folder: str | Path, purge: bool = False) -> int:
    """Stop a local cluster's searchd processes (and with ``purge`` remove its folder); return how many ran."""
    folder = Path(folder)
    stopped = sum(stop_member(m) for m in _members(folder)) if folder.exists() else 0
    if purge:
        shutil.rmtree(folder, ignore_errors=True)
    return stopped


def status(cluster: Cluster) -> list[dict[str, object]]:
    """Return each member (head first) with its address and whether it answers."""
    rows = [{"name": "head", "address": cluster.head, "up": _listening(cluster.head)}]
    rows += [{"name": s.name, "address": s.sphinxql, "up": _listening(s.sphinxql)} for s in cluster.shards]
    return rows
