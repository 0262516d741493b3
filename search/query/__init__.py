"""From a request to a query plan: Fahras's own description of what to match and what to rank by.

``request`` validates parameters and parses the query language; ``plan`` holds the plan's node types
(terms, phrases, prefixes, alternatives, and/or/not, proximity evidence); ``build`` turns a request into a
plan; ``variants`` adds a word's proclitic readings, spelling variants, synonyms and related forms;
``suggest`` is did-you-mean. Index facts (how many paragraphs hold a term, the vocabulary) come through
the :class:`search.backend.Backend` protocol. May import ``search.analysis``, ``search.backend`` and
``search.errors``; imports no Whoosh.
"""
