"""The fast indexing path writes exactly what Whoosh's own writer writes, in one or several processes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search.analysis.analyzer import term_positions
from search.corpus.reader import ReadReport, read_corpus
from search.engine import search
from search.index.indexing import _documents, _TocWriter, build_index
from search.index.schema import build_schema
from search.index.segments import CHECKED_DOCS, write_segments
from search.index.store import IndexHolder
from search.query.request import parse_request

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
QUERIES = ["الصين", "الصين روسيا", '"البيت الأبيض"', "بوتين OR شي -بكين", "الص*", "موسكو وبكين", ""]


def _index_contents(path: Path) -> dict:
    """Every posting (field, term, docnum, weight, value), field length and stored document of an index."""
    with whoosh_index.open_dir(str(path)).reader() as reader:
        return _contents(reader)


def _contents(reader) -> dict:
    """The postings, lengths and stored documents read from an open reader."""
    postings = {}
    for fieldname, term in reader.all_terms():
        matcher = reader.postings(fieldname, term)
        postings[(fieldname, term)] = [(m, matcher.weight(), matcher.value()) for m in _ids(matcher)]
    lengths = {
        (docnum, name): reader.doc_field_length(docnum, name)
        for docnum in range(reader.doc_count_all())
        for name in ("text", "exact", "title")
    }
    stored = [reader.stored_fields(docnum) for docnum in range(reader.doc_count_all())]
    return {"postings": postings, "lengths": lengths, "stored": stored}


def _ids(matcher):
    """Iterate a matcher's ids (leaving it on each posting while the caller reads it)."""
    while matcher.is_active():
        yield matcher.id()
        matcher.next()


def _sample_articles(shared: Path, count: int) -> list:
    """The first ``count`` articles of one SaudiNewsNet day."""
    day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
    return list(itertools.islice(read_corpus([day], ReadReport()), count))


def _write_both(articles: list, tmp_path: Path) -> tuple[dict, dict]:
    """Write the same documents with Whoosh's ``add_document`` and with the fast writer."""
    docs = list(_documents(articles, None))
    (tmp_path / "slow").mkdir()
    slow = whoosh_index.create_in(str(tmp_path / "slow"), build_schema())
    with slow.writer() as writer:
        for doc in docs:
            writer.add_document(**doc)
    (tmp_path / "fast").mkdir()
    fast = whoosh_index.create_in(str(tmp_path / "fast"), build_schema())
    written = write_segments(fast, enumerate(docs))
    SegmentWriter._commit_toc(_TocWriter(fast), written.segments)
    return _index_contents(tmp_path / "slow"), _index_contents(tmp_path / "fast")


def test_fast_writer_matches_whoosh_on_seeds(tmp_path: Path) -> None:
    articles = list(read_corpus([SEEDS], ReadReport()))
    slow, fast = _write_both(articles, tmp_path)
    assert slow == fast


def test_fast_writer_matches_whoosh_on_real_news(tmp_path: Path, shared: Path) -> None:
    articles = _sample_articles(shared, 150)
    assert sum(len(a.paragraphs) for a in articles) > CHECKED_DOCS  # beyond the checked paragraphs too
    slow, fast = _write_both(articles, tmp_path)
    assert slow["postings"] == fast["postings"]
    assert (slow["lengths"], slow["stored"]) == (fast["lengths"], fast["stored"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ({}, {})),
        ("في من", ({}, {"في": [0], "من": [1]})),
        ("الصين، والصين", ({"صين": [0, 1]}, {"الصين": [0], "والصين": [1]})),
    ],
)
def test_term_positions(text: str, expected: tuple) -> None:
    assert expected == term_positions(text)


def _answers(index_dir: Path) -> list[dict]:
    """The answers (minus timing and generation) of a few queries, browse and filters included.

    Prefix scores are left out: Whoosh scores a prefix as a constant in a one-segment index and by
    BM25 across segments.
    """
    generation = IndexHolder(index_dir).get()
    answers = []
    for q in QUERIES:
        for extra in ({}, {"source": "الشرق"}, {"date_from": "2024-01-01", "sort": "newest"}):
            answer = search(generation, parse_request({"q": q, "per_page": "50", **extra}), cache=False).to_dict()
            answer.pop("took_ms"), answer.pop("generation")
            for hit in answer["results"]:
                hit["score"] = None if hit["score"] is None or "*" in q else round(hit["score"], 3)
            if "*" in q and not extra.get("sort"):
                answer["results"].sort(key=lambda hit: hit["id"])
            answers.append(answer)
    generation.close()
    return answers


def test_two_writer_processes_answer_like_one(tmp_path: Path) -> None:
    one = build_index([SEEDS], tmp_path / "one", procs=1)
    two = build_index([SEEDS], tmp_path / "two", procs=2)
    assert one.report.paragraphs == two.report.paragraphs
    assert _answers(tmp_path / "one") == _answers(tmp_path / "two")


def test_many_segments_answer_like_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments closed every 7 paragraphs, dealt to 3 processes in batches of 5: same answers."""
    build_index([SEEDS], tmp_path / "one", procs=1)
    monkeypatch.setattr("search.index.segments.SEGMENT_DOCS", 7)
    monkeypatch.setattr("search.index.indexing.BATCH_DOCS", 5)
    build_index([SEEDS], tmp_path / "many", procs=3)
    generation = IndexHolder(tmp_path / "many").get()
    assert len(generation.searcher().reader().leaf_readers()) > 3
    generation.close()
    assert _answers(tmp_path / "one") == _answers(tmp_path / "many")


def test_vocabulary_and_columns_cover_every_paragraph(tmp_path: Path) -> None:
    summary = build_index([SEEDS], tmp_path, procs=2)
    generation = IndexHolder(tmp_path).get()
    path = generation.path
    meta = json.loads((path / "meta.json").read_text("utf-8"))
    assert meta["paragraphs"] == summary.report.paragraphs == generation.columns.doc_count
    assert sorted(generation.columns.order.tolist()) == list(range(summary.report.paragraphs))
    assert (path / "vocabulary.tsv").read_text("utf-8").strip()
