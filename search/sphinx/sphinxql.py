"""Speaking SphinxQL: connections to the head and the shards, the query plan as a ``MATCH()`` expression,
and the warnings that name a shard which did not answer.

Only the SphinxQL that Sphinx 2.2 and Manticore Search both speak is used: ``MATCH()`` with field limits,
phrases, prefixes, ``|`` and ``-``; ``WEIGHT()`` with ``OPTION ranker=expr(...)``, ``GROUP BY``,
``COUNT(DISTINCT)``, ``WITHIN GROUP ORDER BY``, ``SHOW META``, multi-statement batches, ``INSERT``,
``TRUNCATE RTINDEX`` and ``FLUSH RTINDEX``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import singledispatch

import pymysql
from pymysql.constants import CLIENT

from search.plan import AllOf, AnyOf, BestOf, Everything, Excluding, Near, Node, Nothing, Phrase, Prefix, Term
from search.sphinx.cluster import Cluster, ClusterError, split_address
from search.sphinx.fields import EVERY, spell

#: Seconds to wait for a connection or an answer.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 30.0
_AGENT = re.compile(r"agent ([^\s:]+:\d+)")
#: Errors of the connection and of the server, as PyMySQL raises them.
DRIVER_ERRORS = (pymysql.err.Error, OSError)


def connect(address: str) -> pymysql.connections.Connection:
    """Open a SphinxQL connection (autocommit, multi-statement batches); ClusterError if it fails."""
    host, port = split_address(address)
    try:
        return pymysql.connect(
            host=host, port=port, user="", password="", charset="utf8", autocommit=True,
            connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, write_timeout=READ_TIMEOUT,
            client_flag=CLIENT.MULTI_STATEMENTS,
        )
    except DRIVER_ERRORS as exc:
        raise ClusterError(f"the Sphinx server at {address} does not answer ({exc})") from None


class Connections:
    """One connection per thread to one address, reopened after a failure."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._local = threading.local()

    def batch(self, statements: Sequence[str], args: Sequence[object] = ()) -> list[list[tuple]]:
        """Run statements as one multi-statement batch; return each one's rows (ClusterError on failure)."""
        sql = ";\n".join(statements)
        for attempt in (1, 2):  # a connection the server closed (idle timeout, restart) is reopened once
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = connect(self.address)
            try:
                with conn.cursor() as cursor:
                    cursor.execute(sql, args or None)
                    results = [list(cursor.fetchall())]
                    while cursor.nextset():
                        results.append(list(cursor.fetchall()))
                return results
            except DRIVER_ERRORS as exc:
                self.close()
                if isinstance(exc, pymysql.err.OperationalError) and attempt == 1 and _lost(exc):
                    continue
                raise ClusterError(f"the Sphinx cluster failed a query: {_message(exc)}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except DRIVER_ERRORS:
                pass


def _lost(exc: Exception) -> bool:
    """True for a connection closed under us (2006 gone away, 2013 lost during query)."""
    return bool(exc.args) and exc.args[0] in (2006, 2013, 2014)


def _message(exc: Exception) -> str:
    """Return a driver error's message without its code and trailing NUL."""
    text = exc.args[-1] if exc.args else str(exc)
    return str(text).rstrip("\x00").replace("\n", " ")


def agents_in(message: str) -> list[str]:
    """Return the agent addresses a warning or error names.

    >>> agents_in("index fahras_a: agent 127.0.0.1:9313: connect() failed")
    ['127.0.0.1:9313']
    """
    return _AGENT.findall(message)


def quote(value: str) -> str:
    """Quote a string literal for SphinxQL.

    >>> quote("it's")
    "'it\\\\'s'"
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- the plan as a MATCH() expression -------------------------------------------------------------
# None stands for "matches nothing": a guess (rank-only term) alone, a Nothing, an all-of holding either.


@singledispatch
def to_match(node: Node) -> str | None:
    """Return the extended-syntax query of a plan node, or None when it matches nothing."""
    raise TypeError(f"no SphinxQL query for {type(node).__name__}")


@to_match.register
def _(node: Term) -> str | None:
    return None if node.rank_only else f"@{node.field} {spell(node.text)}"


@to_match.register
def _(node: Phrase) -> str | None:
    return f'@{node.field} "{" ".join(spell(w) for w in node.words)}"'


@to_match.register
def _(node: Prefix) -> str | None:
    return f"@{node.field} {spell(node.text)}*"


@to_match.register
def _(node: Near) -> str | None:
    # both words (proximity is re-ranking evidence, scored on the candidates; the plan ORs it beside them)
    return _all([to_match(node.first), to_match(node.second)])


def _any(parts: list[str | None]) -> str | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else "(" + " | ".join(f"({p})" for p in kept) + ")"


def _all(parts: list[str | None]) -> str | None:
    if any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else "(" + " ".join(f"({p})" for p in parts) + ")"


@to_match.register(AnyOf)
@to_match.register(BestOf)
def _(node: AnyOf | BestOf) -> str | None:
    return _any([to_match(p) for p in node.parts])  # a best-of scores differently, but matches as an any-of


@to_match.register
def _(node: AllOf) -> str | None:
    return _all([to_match(p) for p in node.parts])


@to_match.register
def _(node: Excluding) -> str | None:
    include = to_match(node.include)
    exclude = to_match(node.exclude)
    if include is None or exclude is None:
        return include
    return f"({include}) -({exclude})"


@to_match.register
def _(node: Everything) -> str | None:
    return f"@every {EVERY}"


@to_match.register
def _(node: Nothing) -> str | None:
    return None


def answers(address: str, timeout: float = 1.0) -> bool:
    """Return True when the SphinxQL server at host:port answers a query (SHOW STATUS) within ``timeout``."""
    host, port = split_address(address)
    try:
        conn = pymysql.connect(host=host, port=port, user="", password="", charset="utf8",
                               connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SHOW STATUS LIKE 'uptime'")
                cursor.fetchall()
        finally:
            conn.close()
    except DRIVER_ERRORS:
        return False
    return True


def health_of(cluster: Cluster) -> list[dict[str, object]]:
    """Return each member (the head first, then the shards) with its address and whether it answers."""
    rows = [{"name": "head", "address": cluster.head, "up": answers(cluster.head)}]
    return rows + [{"name": s.name, "address": s.sphinxql, "up": answers(s.sphinxql)} for s in cluster.shards]
