"""Reading a corpus: articles and their paragraphs from folders, JSON lines, JSON and zip files, with page
chrome (navigation, share, copyright lines) dropped or cut off (``chrome``).

May import ``search.analysis`` and ``search.errors`` only; knows nothing of any index.
"""
