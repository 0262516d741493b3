"""Whoosh's scoring model as Fahras scores: BM25F with the paragraph-length floor of
:data:`search.rank.bm25.MIN_SCORED_LENGTH`, so that Whoosh's own matchers (prefix searches, the
fallbacks of :mod:`search.index.translate`) rank as the bulk scorer does."""

from __future__ import annotations

from whoosh.scoring import BM25F, BM25FScorer

from search.query.build import BM25_B, BM25_K1
from search.rank.bm25 import MIN_SCORED_LENGTH


def ranking_model() -> FlooredBM25F:
    """Return the scoring model every searcher of a generation uses."""
    return FlooredBM25F(B=BM25_B, K1=BM25_K1)


class FlooredBM25F(BM25F):
    """Whoosh's BM25F with the lengths of the fields of MIN_SCORED_LENGTH raised to their floor (as ``_bm25``)."""

    def scorer(self, searcher, fieldname, text, qf=1):  # noqa: ANN001, ANN201 (Whoosh's signature)
        """Return the scorer of one term (a floored one for the fields of MIN_SCORED_LENGTH)."""
        if fieldname not in MIN_SCORED_LENGTH or not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _FlooredScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf=qf)


class _FlooredScorer(BM25FScorer):
    """A BM25F term scorer whose lengths are at least the field's MIN_SCORED_LENGTH."""

    def _score(self, weight: float, length: float) -> float:
        return super()._score(weight, max(length, self._floor))

    def setup(self, searcher, fieldname, text) -> None:  # noqa: ANN001 (Whoosh's signature)
        self._floor = MIN_SCORED_LENGTH[fieldname]
        super().setup(searcher, fieldname, text)
