"""The Whoosh index: everything that knows Whoosh's files and objects.

Owns the schema, the fast segment writer and the posting, length and facet-column arrays saved beside each
segment, index generations and their atomic ``CURRENT`` pointer (building, re-indexing), the live store
that hands out the current generation, and the Whoosh backend: the implementation of
:class:`search.backend.Backend` that translates a query plan into Whoosh queries where its own arrays do
not answer. May import every package below it (analysis, corpus, query, rank, results); nothing below
imports it.
"""
