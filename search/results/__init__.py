"""What a reader sees of a result: facet buckets counted over the backend's columns (``facets``) and
snippets of the original text with the matched words marked (``snippets``; its fragmenter and formatter
are Whoosh's highlighting parts, which work on text alone).

May import ``search.query``, ``search.analysis``, ``search.backend`` and ``search.errors``.
"""
