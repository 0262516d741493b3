"""The query plan's node types: what to match and what to rank by, as Fahras's own data.

A plan is a tree of small frozen values: :class:`Term`, :class:`Phrase` (words side by side),
:class:`Prefix`, :class:`Near` (two words within a distance: re-ranking evidence), and the combinations
:class:`AnyOf` (or), :class:`AllOf` (and), :class:`BestOf` (the alternatives of one query word, scored by
the best one a paragraph holds) and :class:`Excluding` (and not), plus :data:`EVERYTHING` and
:data:`NOTHING`. No backend's types appear here: each backend translates a plan into its own queries
(the Whoosh backend into ``whoosh.query`` objects, a SphinxQL backend into a ``MATCH()`` expression).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Union


@dataclass(frozen=True)
class Term:
    """One indexed term of a field; ``rank_only`` marks a guess that scores but matches nothing alone."""

    field: str
    text: str
    boost: float = 1.0
    rank_only: bool = False


@dataclass(frozen=True)
class Phrase:
    """Words of a field standing side by side, in order; scored as the sum of its words."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    """Every term of a field starting with ``text``."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Near:
    """Two text terms within ``slop`` positions of each other, in either order (re-ranking evidence only)."""

    first: Term
    second: Term
    slop: int
    mindist: int = 1


@dataclass(frozen=True)
class AnyOf:
    """Documents matching any part; the parts' scores add up."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AllOf:
    """Documents matching every part; the parts' scores add up."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class BestOf:
    """The alternatives of one query word (its stem, variants, synonyms): a document matching any scores
    by the best one it holds. ``pair`` holds the two stems when two typed words are read as one."""

    parts: tuple[Node, ...]
    boost: float = 1.0
    pair: tuple[str, str] | None = None


@dataclass(frozen=True)
class Excluding:
    """Documents matching ``include`` and not ``exclude``; only ``include`` scores."""

    include: Node
    exclude: Node


@dataclass(frozen=True)
class Everything:
    """Every document (a query of exclusions only)."""


@dataclass(frozen=True)
class Nothing:
    """No document (a query whose words all fell away)."""


EVERYTHING = Everything()
NOTHING = Nothing()

Node = Union[Term, Phrase, Prefix, Near, AnyOf, AllOf, BestOf, Excluding, Everything, Nothing]  # noqa: UP007
#: The nodes that combine others (their ``parts`` are scored and matched by their own rule).
Compound = (AnyOf, AllOf, BestOf)


def one_of(parts: list[Node]) -> Node:
    """Return a group's nodes as one node: the node itself, or their :class:`AnyOf`."""
    return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))


def children(node: Node) -> tuple[Node, ...]:
    """Return a node's direct sub-nodes (none for a leaf)."""
    if isinstance(node, Compound):
        return node.parts
    if isinstance(node, Excluding):
        return (node.include, node.exclude)
    if isinstance(node, Near):
        return (node.first, node.second)
    return ()


def leaves(node: Node) -> Iterator[Node]:
    """Yield every leaf of a plan tree, depth first, left to right.

    >>> [t.text for t in leaves(AllOf((Term("text", "a"), AnyOf((Term("text", "b"), Term("title", "c"))))))]
    ['a', 'b', 'c']
    """
    subs = children(node)
    if not subs:
        yield node
    for sub in subs:
        yield from leaves(sub)


def terms(node: Node) -> list[tuple[str, str]]:
    """Return the (field, text) of every term a node holds, phrase words included.

    >>> terms(Phrase("exact", ("مجلس", "الامن")))
    [('exact', 'مجلس'), ('exact', 'الامن')]
    """
    found: list[tuple[str, str]] = []
    for leaf in leaves(node):
        if isinstance(leaf, Term):
            found.append((leaf.field, leaf.text))
        elif isinstance(leaf, Phrase):
            found.extend((leaf.field, w) for w in leaf.words)
    return found


def has_guesses(node: Node | None) -> bool:
    """Return True when a plan holds a guessed alternative (a rank-only :class:`Term`)."""
    return node is not None and any(isinstance(leaf, Term) and leaf.rank_only for leaf in leaves(node))


def requires_all(node: Node) -> bool:
    """Return True when a node holds an :class:`AllOf`: one of its terms alone does not match it."""
    return isinstance(node, AllOf) or any(requires_all(sub) for sub in children(node))


def scored_terms(node: Node, boost: float = 1.0) -> list[tuple[str, str, float]] | None:
    """Return the (field, text, boost) of every term a node scores with, or None if it holds anything else
    (phrases, prefixes, spans): the terms under any/all/best-of nodes, an exclusion's included part.

    >>> scored_terms(AnyOf((Term("text", "صين", 0.5),)))
    [('text', 'صين', 0.5)]
    """
    found: list[tuple[str, str, float]] = []
    stack: list[tuple[Node, float]] = [(node, boost)]
    while stack:
        item, weight = stack.pop()
        if isinstance(item, Term):
            found.append((item.field, item.text, weight * item.boost))
        elif isinstance(item, Compound):
            stack.extend((sub, weight * item.boost) for sub in item.parts)
        elif isinstance(item, Excluding):
            stack.append((item.include, weight))  # the excluded part never scores
        else:
            return None
    return found


def with_boost(node: Node, boost: float) -> Node:
    """Return the node with another boost (nodes are frozen)."""
    return replace(node, boost=boost)


@dataclass
class QueryPlan:
    """The query plan of a request (backend-neutral), and the terms a snippet should mark."""

    query: Node | None  # None: browse everything
    guesses_match: bool = False  # a guessed alternative matches (any-word mode, or nothing else did)
    stems: set[str] = field(default_factory=set)  # stems to mark (text field)
    exact_words: set[str] = field(default_factory=set)  # normalized words to mark (exact field)
    phrases: set[tuple[str, ...]] = field(default_factory=set)  # normalized word runs to mark where whole
    prefixes: set[str] = field(default_factory=set)  # normalized prefixes to mark
    positive_groups: int = 0
    words: list[str] = field(default_factory=list)  # normalized positive words, for suggestions
    ordered_stems: list[str] = field(default_factory=list)  # positive stems in query order
    #: each positive word's stem and its full-weight alternatives (the same word), in query order
    word_forms: list[list[str]] = field(default_factory=list)
    groups: list[Node] = field(default_factory=list)  # one query per positive word group (for coverage)
    evidence: Node | None = None  # scored on the top candidates only: title and proximity
