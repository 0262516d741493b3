"""Ranking a plan's matches: BM25F in bulk (``bm25``), re-ranking the best candidates by proximity, title and
coverage (``rerank``), and by meaning for questions (``semantic``: paragraph and question embeddings).

Reads postings, lengths and statistics through the :class:`search.backend.Backend` protocol only. May
import ``search.query``, ``search.analysis``, ``search.backend`` and ``search.errors``; imports no Whoosh.
"""
