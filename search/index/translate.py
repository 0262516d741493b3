"""The query plan in Whoosh's terms: each plan node as a ``whoosh.query`` object, for what the bulk
arrays do not answer (prefixes, spans, segments without position arrays), and the Whoosh pieces that
needed fixing for it (a best-of matcher, a time-budget collector, a ``RequireMatcher`` patch).
"""

from __future__ import annotations

from functools import singledispatch

import numpy as np
from whoosh import matching
from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.matching.wrappers import RequireMatcher

from search.backend import Deadline
from search.plan import (
    AllOf,
    AnyOf,
    BestOf,
    Everything,
    Excluding,
    Near,
    Node,
    Nothing,
    Phrase,
    Prefix,
    Term,
)


class _BestMatcher(matching.DisjunctionMaxMatcher):
    """Whoosh's DisjunctionMaxMatcher, scoring only the sub-matchers that stand on the current document.

    Whoosh's own takes the max of both sides wherever both are active, so a document holding only the
    lighter alternative got the heavier one's score from another document.
    """

    def score(self) -> float:
        """Return the best score among the sub-matchers on the current document."""
        a, b = self.a, self.b
        if not b.is_active() or (a.is_active() and a.id() < b.id()):
            return a.score()
        if not a.is_active() or b.id() < a.id():
            return b.score()
        return max(a.score(), b.score())


class Alternatives(wq.DisjunctionMax):
    """A :class:`search.plan.BestOf` in Whoosh: a paragraph scores by the best alternative it holds."""

    def _matcher(self, subs, searcher, context):  # noqa: ANN001, ANN202 (Whoosh's signature)
        reader = searcher.reader()
        return self._tree_matcher(subs, _BestMatcher, searcher, context, lambda q: q.estimate_size(reader))


@singledispatch
def to_whoosh(node: Node) -> wq.Query:
    """Return the Whoosh query of a plan node."""
    raise TypeError(f"no Whoosh query for {type(node).__name__}")


@to_whoosh.register
def _(node: Term) -> wq.Query:
    return wq.Term(node.field, node.text, boost=node.boost)


@to_whoosh.register
def _(node: Phrase) -> wq.Query:
    return wq.Phrase(node.field, list(node.words), boost=node.boost)


@to_whoosh.register
def _(node: Prefix) -> wq.Query:
    return wq.Prefix(node.field, node.text, boost=node.boost)


@to_whoosh.register
def _(node: Near) -> wq.Query:
    terms = [to_whoosh(node.first), to_whoosh(node.second)]
    return wq.spans.SpanNear2(terms, slop=node.slop, ordered=False, mindist=node.mindist)


@to_whoosh.register
def _(node: AnyOf) -> wq.Query:
    return wq.Or([to_whoosh(p) for p in node.parts], boost=node.boost)


@to_whoosh.register
def _(node: AllOf) -> wq.Query:
    return wq.And([to_whoosh(p) for p in node.parts], boost=node.boost)


@to_whoosh.register
def _(node: BestOf) -> wq.Query:
    return Alternatives([to_whoosh(p) for p in node.parts], boost=node.boost)


@to_whoosh.register
def _(node: Excluding) -> wq.Query:
    return wq.AndNot(to_whoosh(node.include), to_whoosh(node.exclude))


@to_whoosh.register
def _(node: Everything) -> wq.Query:
    return wq.Every()


@to_whoosh.register
def _(node: Nothing) -> wq.Query:
    return wq.NullQuery


class BudgetCollector(TimeLimitCollector):
    """Collect only documents of the ``allow`` mask, stopping at the deadline (the clock is read every
    CHECK_EVERY documents; no timer thread, so it works in any thread)."""

    CHECK_EVERY = 256

    def __init__(self, child, deadline: Deadline, allow: np.ndarray | None = None) -> None:  # noqa: ANN001
        super().__init__(child, timelimit=0, use_alarm=False)
        self.deadline = deadline
        self.allow = allow

    def prepare(self, top_searcher, q, context) -> None:  # noqa: ANN001 (Whoosh's signature)
        """Prepare the wrapped collector (no timer is started)."""
        self.child.prepare(top_searcher, q, context)
        self.timedout = False

    def collect_matches(self) -> None:
        """Collect the allowed matches, raising TimeLimit once the deadline has passed."""
        child, allow, offset = self.child, self.allow, self.child.offset
        for count, sub_docnum in enumerate(child.matches()):
            if count % self.CHECK_EVERY == 0 and self.deadline.passed():
                self.timedout = True
                raise TimeLimit
            if allow is None or allow[offset + sub_docnum]:
                child.collect(sub_docnum)

    def finish(self) -> None:
        """Finish the wrapped collector."""
        self.child.finish()


def _require_skip_to_quality(self, minquality: float) -> int:  # noqa: ANN001 (a method of RequireMatcher)
    """``RequireMatcher.skip_to_quality`` that re-aligns its intersection only when the two sides differ.

    whoosh-reloaded 2.7.5 calls ``IntersectionMatcher._find_next`` unconditionally after skipping
    blocks of the required side, and ``_find_next`` asserts the sides stand on different documents:
    a title term required with a text term (``title:x REQUIRE text:x``) failed there on real news.
    """
    skipped = self.a.skip_to_quality(minquality)
    a, b = self.child.a, self.child.b
    if a.is_active() and b.is_active() and a.id() != b.id():
        self.child._find_next()
    return skipped


def patch_whoosh() -> None:
    """Apply the fix of :func:`_require_skip_to_quality` (idempotent; done where a generation is opened)."""
    RequireMatcher.skip_to_quality = _require_skip_to_quality
