"""The second backend: the same Arabic search on a sharded Sphinx (or Manticore) cluster, over SphinxQL.

Fahras's analysis stays Fahras's: the shards index the terms its analyzer makes (stems, normalized
words, title stems), with the engine's own morphology off, so the cluster matches what the embedded
Whoosh backend matches. The cluster does what grows with the corpus (matching, totals, facet counts,
the date filter and date sorts, the first-stage candidates); Fahras ranks those candidates with its own
BM25F and corpus-wide statistics, and makes the snippets. Roles: ``cluster`` (the cluster's addresses,
and a local cluster of searchd processes for development and tests), ``fields`` (analyzed terms as the
shards index them), ``sphinxql`` (connections, the plan as ``MATCH()``), ``indexing`` (filling a
generation slot, then switching to it), ``generation`` (the backend and its first stage),
``candidates`` (a search's candidates, ranked by Fahras), ``store`` (the live generation).
"""
