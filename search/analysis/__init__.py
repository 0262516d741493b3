"""Arabic analysis: what a word becomes in the index and in a query.

Owns the character data (``chars``), the pure normalizers (``normalize``), the light stemmer (``stem``), the
word lists of ``search/data`` (``wordlists``), compound names (``names``) and the Whoosh-facing tokenizer and
filter chain (``analyzer``, whose classes Whoosh pickles into every index). It imports nothing else of
Fahras: every other package may import it.
"""
