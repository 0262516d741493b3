"""The Whoosh backend's matching: masks read from posting arrays equal Whoosh's own matching of the plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.backend import Deadline
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.index.translate import to_whoosh
from search.query.build import build_query
from search.query.request import parse_request

QUERIES = [
    "الصين",
    "الصين روسيا",
    '"البيت الأبيض"',
    "بوتين OR شي -بكين",
    "الص*",
    "موسكو وبكين",
    "-الصين",
    "ما",
    "xyzzy",
    "COVID-19",
]


@pytest.fixture
def generation(seed_index: Path):
    opened = IndexHolder(seed_index).get()
    yield opened
    opened.close()


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("mode", ["all", "any"])
def test_mask_equals_whoosh_matching(generation, q: str, mode: str) -> None:
    plan = build_query(parse_request({"q": q, "mode": mode}))
    expected = np.zeros(generation.columns.doc_count, dtype=bool)
    if plan.query is not None:
        expected[list(to_whoosh(plan.query).docs(generation.searcher()))] = True
    else:
        expected[:] = True
    assert np.flatnonzero(expected).tolist() == np.flatnonzero(generation.match(plan.query, Deadline(None))).tolist()


def test_term_postings_are_sorted_and_cached(generation) -> None:
    docs = generation.term_postings("exact", "الصين")[0]
    assert docs.tolist() == sorted(set(docs.tolist())) and len(docs) > 0
    assert generation.term_postings("exact", "الصين")[0] is docs
    assert generation.term_postings("exact", "xyzzy")[0].tolist() == []


def test_term_postings_read_many_blocks_and_segments(tmp_path: Path, shared: Path, monkeypatch) -> None:
    """Common words of a real news day span many posting blocks and several segments."""
    monkeypatch.setattr("search.index.segments.SEGMENT_DOCS", 2_000)
    day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
    build_index([day], tmp_path, procs=2)
    opened = IndexHolder(tmp_path).get()
    searcher = opened.searcher()
    assert len(searcher.reader().leaf_readers()) > 2
    sizes = []
    for fieldname, text in [("exact", "في"), ("exact", "الملك"), ("text", "سعود"), ("title", "مملك")]:
        expected = list(searcher.postings(fieldname, text).all_ids())
        sizes.append(len(expected))
        assert expected == opened.term_postings(fieldname, text)[0].tolist()
    assert max(sizes) > 10 * 128 and min(sizes) > 0  # many blocks of 128 postings
    opened.close()
