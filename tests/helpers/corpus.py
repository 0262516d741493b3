"""Small real indexes for tests: rows written as a .jsonl corpus, built with build_index, opened."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from search.index.indexing import build_index
from search.index.store import Generation, IndexHolder


def text_rows(articles: Iterable[tuple[str, str]], title: str = "") -> list[dict]:
    """Return rows of one-paragraph articles under one title (none by default) from (id, text) pairs."""
    return [{"id": article_id, "title": title, "text": text} for article_id, text in articles]


@contextmanager
def opened_index(folder: Path, rows: list[dict], semantic: bool = False) -> Iterator[Generation]:
    """Build an index of ``rows`` ({id, title, text}) in ``folder`` and yield its live generation."""
    corpus = folder / "articles.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    build_index([corpus], folder / "index", procs=1, semantic=semantic)
    generation = IndexHolder(folder / "index").get()
    try:
        yield generation
    finally:
        generation.close()
